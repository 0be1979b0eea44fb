//! OPC UA values to tag values: a DataValue whose status is Bad or
//! Uncertain is not a value (the caller counts it, naming the node and the
//! status); scalars of Boolean, integer, Float, Double, String and DateTime
//! (Unix milliseconds) types map, an array element is taken by index. Pure.

use crate::sources::TagValue;
use opcua::types::{DataValue, DateTime, Variant};

/// Why a DataValue gives no tag value.
#[derive(Debug, Clone, PartialEq)]
pub enum NoValue {
    /// Its status is Bad or Uncertain (the status name).
    Status(String),
    /// A type or shape that is no tag value.
    Unreadable(String),
}

/// The tag value of `dv`, or element `index` of its array.
pub fn tag_value(dv: &DataValue, index: Option<u32>) -> Result<TagValue, NoValue> {
    if let Some(status) = dv.status
        && (status.is_bad() || status.is_uncertain())
    {
        return Err(NoValue::Status(status.sub_code().name().to_string()));
    }
    let variant = dv
        .value
        .as_ref()
        .ok_or_else(|| NoValue::Unreadable("no value".into()))?;
    match (variant, index) {
        (Variant::Array(array), Some(i)) => {
            let element = array.values.get(i as usize).ok_or_else(|| {
                NoValue::Unreadable(format!(
                    "index {i} is past the array's {} elements",
                    array.values.len()
                ))
            })?;
            scalar(element)
        }
        (Variant::Array(_), None) => Err(NoValue::Unreadable("an array (configure an index)".into())),
        (_, Some(i)) => Err(NoValue::Unreadable(format!(
            "index {i} of a value that is no array"
        ))),
        (v, None) => scalar(v),
    }
}

fn scalar(v: &Variant) -> Result<TagValue, NoValue> {
    Ok(match v {
        Variant::Boolean(b) => TagValue::Bool(*b),
        Variant::SByte(i) => TagValue::Int(i64::from(*i)),
        Variant::Byte(i) => TagValue::Int(i64::from(*i)),
        Variant::Int16(i) => TagValue::Int(i64::from(*i)),
        Variant::UInt16(i) => TagValue::Int(i64::from(*i)),
        Variant::Int32(i) => TagValue::Int(i64::from(*i)),
        Variant::UInt32(i) => TagValue::Int(i64::from(*i)),
        Variant::Int64(i) => TagValue::Int(*i),
        Variant::UInt64(u) => {
            TagValue::Int(i64::try_from(*u).map_err(|_| NoValue::Unreadable(format!("{u} is too large")))?)
        }
        Variant::Float(f) => TagValue::Float(f64::from(*f)),
        Variant::Double(f) => TagValue::Float(*f),
        Variant::String(s) => TagValue::Text(s.as_ref().to_string()),
        Variant::DateTime(t) => TagValue::Int(unix_millis(t)),
        Variant::Empty => return Err(NoValue::Unreadable("an empty value".into())),
        other => return Err(NoValue::Unreadable(format!("a {:?} value", other.type_id()))),
    })
}

/// Unix milliseconds of an OPC UA DateTime (100 ns ticks since 1601).
pub fn unix_millis(t: &DateTime) -> i64 {
    const TICKS_TO_UNIX_EPOCH: i64 = 116_444_736_000_000_000;
    (t.ticks() - TICKS_TO_UNIX_EPOCH) / 10_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use opcua::types::StatusCode;

    fn dv(value: Variant, status: StatusCode) -> DataValue {
        DataValue {
            value: Some(value),
            status: Some(status),
            ..DataValue::default()
        }
    }

    #[test]
    fn scalars_and_array_elements_map_and_bad_or_uncertain_is_no_value() {
        assert_eq!(
            tag_value(&dv(Variant::Int16(-3), StatusCode::Good), None),
            Ok(TagValue::Int(-3))
        );
        assert_eq!(
            tag_value(&dv(Variant::from("running"), StatusCode::Good), None),
            Ok(TagValue::Text("running".into()))
        );
        let array = Variant::from(vec![1.5f64, 2.5, 3.5]);
        assert_eq!(
            tag_value(&dv(array.clone(), StatusCode::Good), Some(1)),
            Ok(TagValue::Float(2.5))
        );
        assert!(matches!(
            tag_value(&dv(array, StatusCode::Good), Some(3)),
            Err(NoValue::Unreadable(_))
        ));
        assert_eq!(
            tag_value(&dv(Variant::Double(1.0), StatusCode::BadSensorFailure), None),
            Err(NoValue::Status("BadSensorFailure".into()))
        );
        assert!(matches!(
            tag_value(
                &dv(Variant::Double(1.0), StatusCode::UncertainLastUsableValue),
                None
            ),
            Err(NoValue::Status(_))
        ));
        let epoch = DateTime::from(116_444_736_000_000_000i64 + 10_000);
        assert_eq!(unix_millis(&epoch), 1);
    }
}

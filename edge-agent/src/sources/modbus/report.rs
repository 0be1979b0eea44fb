//! From a decoded raw value to what is reported: engineering units, counters
//! kept exact, f32 values kept at their own precision, and the
//! report-on-change / deadband filter.

use super::config::{ReportMode, TagSpec};
use crate::sources::TagValue;
use mes_protocols::modbus::{DataType, RawValue};

/// Converts a raw value to the tag's reported value.
pub fn to_tag_value(tag: &TagSpec, raw: RawValue) -> Result<TagValue, String> {
    let identity = tag.scaling.scale() == 1.0 && tag.scaling.offset() == 0.0;
    match raw {
        RawValue::Bool(b) => Ok(TagValue::Bool(b)),
        RawValue::Text(t) => Ok(TagValue::Text(t)),
        RawValue::Unsigned(u) if identity => i64::try_from(u)
            .map(TagValue::Int)
            .map_err(|_| format!("{u} does not fit a signed 64-bit value")),
        RawValue::Signed(i) if identity => Ok(TagValue::Int(i)),
        raw @ RawValue::Float(_) if tag.point.data_type() == DataType::F32 => raw
            .to_process_value(tag.scaling)
            .map(|x| TagValue::Float(f32_precision(x)))
            .map_err(|e| e.to_string()),
        raw => raw
            .to_process_value(tag.scaling)
            .map(TagValue::Float)
            .map_err(|e| e.to_string()),
    }
}

/// Whether `value` is to be reported, given the last reported value.
pub fn should_report(tag: &TagSpec, last: Option<&TagValue>, value: &TagValue) -> bool {
    if tag.report == ReportMode::EveryPoll {
        return true;
    }
    let Some(last) = last else { return true };
    match (tag.deadband, last.as_f64(), value.as_f64()) {
        (Some(band), Some(prev), Some(new)) if !matches!(value, TagValue::Text(_)) => {
            band.should_report(Some(prev), new)
        }
        _ => last != value,
    }
}

/// An f32 register's value (after scaling) as the f64 nearest to the
/// shortest decimal that round-trips the f32: 61.4, not the widened
/// 61.400001525878906, which is noise the PLC never had. A value outside
/// the f32 range (a large scale) is kept as it is.
fn f32_precision(x: f64) -> f64 {
    let narrow = x as f32;
    if !narrow.is_finite() {
        return x;
    }
    narrow.to_string().parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::f32_precision;

    #[test]
    fn f32_values_keep_the_shortest_decimal_that_round_trips() {
        let widened = f64::from(61.4f32);
        assert_eq!(widened.to_string(), "61.400001525878906");
        assert_eq!(f32_precision(widened).to_string(), "61.4");
        assert_eq!(f32_precision(f64::from(0.1f32) * 10.0).to_string(), "1");
        assert_eq!(f32_precision(-273.15f32 as f64).to_string(), "-273.15");
        assert_eq!(f32_precision(1e300), 1e300, "outside the f32 range: kept");
        for bits in [0x3f80_0001u32, 0x4b7f_ffff, 0x0000_0001, 0x7f7f_ffff] {
            let f = f32::from_bits(bits);
            assert_eq!(f32_precision(f64::from(f)) as f32, f, "the same f32 comes back");
        }
    }
}

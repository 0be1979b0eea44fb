//! From a decoded raw value to what is reported: engineering units, counters
//! kept exact, and the report-on-change / deadband filter.

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
        raw @ RawValue::Float(_) if matches!(tag.point.data_type(), DataType::F32 | DataType::F64) => raw
            .to_process_value(tag.scaling)
            .map(TagValue::Float)
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

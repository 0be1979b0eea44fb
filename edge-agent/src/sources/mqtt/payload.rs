//! Payload decoding: plain-text values, JSON field paths (`data.temp`,
//! `axes[0].speed`) and device timestamps (RFC 3339 or Unix milliseconds).
//!
//! Everything here is pure; the caller decides what a failure means (it is
//! counted as bad input, never a crash).

use crate::sources::TagValue;
use mes_protocols::Timestamp;
use serde_json::Value;
use std::fmt;

/// Why a payload or one of its fields could not be turned into a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The payload is not UTF-8 text.
    #[error("payload is not UTF-8 text")]
    NotUtf8,
    /// The payload is empty (or only whitespace).
    #[error("payload is empty")]
    Empty,
    /// The payload is not JSON.
    #[error("payload is not JSON: {0}")]
    BadJson(String),
    /// A configured field is absent.
    #[error("field `{0}` is missing")]
    Missing(String),
    /// A configured field holds something that is not a tag value.
    #[error("field `{path}` is {found}, expected a number, boolean or string")]
    WrongType {
        /// The field path.
        path: String,
        /// What the field holds (`null`, `an array`, `an object`).
        found: &'static str,
    },
    /// The timestamp field cannot be read as a time.
    #[error("timestamp field `{path}`: {reason}")]
    BadTimestamp {
        /// The field path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why a JSON field path in the configuration is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path is empty.
    #[error("a field path must not be empty")]
    Empty,
    /// Two dots in a row, or a dot at either end.
    #[error("empty field name (check the dots)")]
    EmptyKey,
    /// `[...]` not holding a non-negative integer, or not closed.
    #[error("`[{0}]` is not an array index (digits in brackets)")]
    BadIndex(String),
    /// Something other than `.` or `[` after `]`.
    #[error("expected '.' or '[' after ']'")]
    AfterIndex,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A path to a field of a JSON document: object keys separated by dots,
/// array indices in brackets (`data.temp`, `axes[0].speed`, `[2]`). A
/// trailing `?` makes the field optional (`fault_code?`): a document without
/// it (or with `null`) is not bad input, the tag is just not observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    raw: String,
    steps: Vec<Step>,
    optional: bool,
}

impl JsonPath {
    /// Parses a field path.
    pub fn parse(raw: &str) -> Result<Self, PathError> {
        let (raw, optional) = match raw.strip_suffix('?') {
            Some(body) => (body, true),
            None => (raw, false),
        };
        if raw.is_empty() {
            return Err(PathError::Empty);
        }
        let mut steps = Vec::new();
        let mut rest = raw;
        let mut first = true;
        loop {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty() && !(first && rest.starts_with('[')) {
                return Err(PathError::EmptyKey);
            }
            if !key.is_empty() {
                steps.push(Step::Key(key.to_string()));
            }
            rest = &rest[end..];
            while let Some(after) = rest.strip_prefix('[') {
                let close = after
                    .find(']')
                    .ok_or_else(|| PathError::BadIndex(after.to_string()))?;
                let digits = &after[..close];
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(PathError::BadIndex(digits.to_string()));
                }
                let index = digits
                    .parse()
                    .map_err(|_| PathError::BadIndex(digits.to_string()))?;
                steps.push(Step::Index(index));
                rest = &after[close + 1..];
            }
            if rest.is_empty() {
                break;
            }
            rest = rest.strip_prefix('.').ok_or(PathError::AfterIndex)?;
            first = false;
        }
        Ok(Self {
            raw: raw.to_string(),
            steps,
            optional,
        })
    }

    /// The field at this path, if the document has it.
    pub fn get<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        self.steps.iter().try_fold(doc, |v, step| match step {
            Step::Key(k) => v.as_object()?.get(k),
            Step::Index(i) => v.as_array()?.get(*i),
        })
    }

    /// The field as a tag value; `None` when an optional field is absent.
    pub fn value(&self, doc: &Value) -> Result<Option<TagValue>, PayloadError> {
        let field = match self.get(doc) {
            None | Some(Value::Null) if self.optional => return Ok(None),
            None => return Err(PayloadError::Missing(self.raw.clone())),
            Some(field) => field,
        };
        json_value(field)
            .map(Some)
            .ok_or_else(|| PayloadError::WrongType {
                path: self.raw.clone(),
                found: kind(field),
            })
    }

    /// The field as a timestamp, `None` when the document has no such field.
    /// Strings are RFC 3339, integers are Unix milliseconds.
    pub fn timestamp(&self, doc: &Value) -> Result<Option<Timestamp>, PayloadError> {
        let bad = |reason: String| PayloadError::BadTimestamp {
            path: self.raw.clone(),
            reason,
        };
        match self.get(doc) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Timestamp::parse(s).map(Some).map_err(bad),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(|ms| Some(Timestamp::from_unix_millis(ms)))
                .ok_or_else(|| bad(format!("{n} is not a whole number of Unix milliseconds"))),
            Some(other) => Err(bad(format!(
                "is {}, expected an RFC 3339 string or Unix milliseconds",
                kind(other)
            ))),
        }
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Parses a payload as JSON.
pub fn parse_json(payload: &[u8]) -> Result<Value, PayloadError> {
    serde_json::from_slice(payload).map_err(|e| PayloadError::BadJson(e.to_string()))
}

/// Decodes a plain-text payload: `true`/`false` (any case), an integer, a
/// finite decimal number, or else the text itself (trimmed).
pub fn plain_value(payload: &[u8]) -> Result<TagValue, PayloadError> {
    let text = std::str::from_utf8(payload)
        .map_err(|_| PayloadError::NotUtf8)?
        .trim();
    if text.is_empty() {
        return Err(PayloadError::Empty);
    }
    if text.eq_ignore_ascii_case("true") {
        return Ok(TagValue::Bool(true));
    }
    if text.eq_ignore_ascii_case("false") {
        return Ok(TagValue::Bool(false));
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(TagValue::Int(i));
    }
    match text.parse::<f64>() {
        // "inf" and "NaN" parse as floats but are words to a device.
        Ok(f) if f.is_finite() => Ok(TagValue::Float(f)),
        _ => Ok(TagValue::Text(text.to_string())),
    }
}

fn json_value(v: &Value) -> Option<TagValue> {
    match v {
        Value::Bool(b) => Some(TagValue::Bool(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(TagValue::Int)
            .or_else(|| n.as_f64().map(TagValue::Float)),
        Value::String(s) => Some(TagValue::Text(s.clone())),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(raw: &str) -> JsonPath {
        JsonPath::parse(raw).expect("valid path")
    }

    #[test]
    fn plain_payloads_become_typed_values() {
        assert_eq!(plain_value(b"42"), Ok(TagValue::Int(42)));
        assert_eq!(plain_value(b" -7\n"), Ok(TagValue::Int(-7)));
        assert_eq!(plain_value(b"21.5"), Ok(TagValue::Float(21.5)));
        assert_eq!(plain_value(b"TRUE"), Ok(TagValue::Bool(true)));
        assert_eq!(plain_value(b"false"), Ok(TagValue::Bool(false)));
        assert_eq!(plain_value(b"running"), Ok(TagValue::Text("running".into())));
        assert_eq!(plain_value(b"NaN"), Ok(TagValue::Text("NaN".into())));
        assert_eq!(plain_value(b"  "), Err(PayloadError::Empty));
        assert_eq!(plain_value(&[0xff, 0xfe]), Err(PayloadError::NotUtf8));
    }

    #[test]
    fn paths_walk_objects_and_arrays() {
        let doc = json!({"data": {"temp": 21.5, "axes": [{"speed": 1200}, {"speed": 900}]},
                         "state": "run", "ok": true, "big": 18446744073709551615u64});
        assert_eq!(path("data.temp").value(&doc), Ok(Some(TagValue::Float(21.5))));
        assert_eq!(
            path("data.axes[1].speed").value(&doc),
            Ok(Some(TagValue::Int(900)))
        );
        assert_eq!(path("state").value(&doc), Ok(Some(TagValue::Text("run".into()))));
        assert_eq!(path("ok").value(&doc), Ok(Some(TagValue::Bool(true))));
        assert_eq!(
            path("big").value(&doc),
            Ok(Some(TagValue::Float(18446744073709551615.0)))
        );
        assert_eq!(path("[1]").value(&json!([5, 6])), Ok(Some(TagValue::Int(6))));
        assert_eq!(
            path("m[0][1]").value(&json!({"m": [[1, 2]]})),
            Ok(Some(TagValue::Int(2)))
        );
    }

    #[test]
    fn missing_fields_and_wrong_types_are_errors_naming_the_path() {
        let doc = json!({"data": {"temp": null, "list": [1], "obj": {}}, "n": 5});
        assert_eq!(
            path("data.speed").value(&doc),
            Err(PayloadError::Missing("data.speed".into()))
        );
        assert_eq!(
            path("data.list[3]").value(&doc),
            Err(PayloadError::Missing("data.list[3]".into()))
        );
        assert_eq!(path("n.x").value(&doc), Err(PayloadError::Missing("n.x".into())));
        assert_eq!(
            path("n[0]").value(&doc),
            Err(PayloadError::Missing("n[0]".into()))
        );
        let err = path("data.temp").value(&doc).expect_err("null");
        assert_eq!(
            err.to_string(),
            "field `data.temp` is null, expected a number, boolean or string"
        );
        assert!(matches!(
            path("data.list").value(&doc),
            Err(PayloadError::WrongType {
                found: "an array",
                ..
            })
        ));
        assert!(matches!(
            path("data.obj").value(&doc),
            Err(PayloadError::WrongType {
                found: "an object",
                ..
            })
        ));
    }

    #[test]
    fn optional_fields_may_be_absent_but_not_wrong() {
        let p = path("fault_code?");
        assert_eq!(p.to_string(), "fault_code");
        assert_eq!(p.value(&json!({"state": "idle"})), Ok(None));
        assert_eq!(p.value(&json!({"fault_code": null})), Ok(None));
        assert_eq!(p.value(&json!({"fault_code": 205})), Ok(Some(TagValue::Int(205))));
        assert!(p.value(&json!({"fault_code": {}})).is_err());
        assert_eq!(JsonPath::parse("?"), Err(PathError::Empty));
    }

    #[test]
    fn timestamps_are_rfc3339_or_unix_millis() {
        let ts = path("ts");
        let at = ts
            .timestamp(&json!({"ts": "2026-11-25T21:02:23.123Z"}))
            .expect("valid");
        assert_eq!(at.map(|t| t.unix_millis()), Some(1_795_640_543_123));
        let at = ts.timestamp(&json!({"ts": 1_795_640_543_123i64})).expect("valid");
        assert_eq!(at, Some(Timestamp::from_unix_millis(1_795_640_543_123)));
        assert_eq!(ts.timestamp(&json!({"other": 1})), Ok(None));
        assert_eq!(ts.timestamp(&json!({"ts": null})), Ok(None));
        for bad in [
            json!({"ts": "yesterday"}),
            json!({"ts": 1.5}),
            json!({"ts": true}),
        ] {
            let err = ts.timestamp(&bad).expect_err("bad timestamp");
            assert!(err.to_string().starts_with("timestamp field `ts`: "), "{err}");
        }
    }

    #[test]
    fn invalid_paths_say_why() {
        assert_eq!(JsonPath::parse(""), Err(PathError::Empty));
        assert_eq!(JsonPath::parse("a..b"), Err(PathError::EmptyKey));
        assert_eq!(JsonPath::parse(".a"), Err(PathError::EmptyKey));
        assert_eq!(JsonPath::parse("a."), Err(PathError::EmptyKey));
        assert_eq!(JsonPath::parse("a[x]"), Err(PathError::BadIndex("x".into())));
        assert_eq!(JsonPath::parse("a[+1]"), Err(PathError::BadIndex("+1".into())));
        assert_eq!(JsonPath::parse("a[1"), Err(PathError::BadIndex("1".into())));
        assert_eq!(JsonPath::parse("a[1]b"), Err(PathError::AfterIndex));
        assert!(JsonPath::parse("a.[1]").is_err());
    }

    #[test]
    fn bad_json_is_an_error() {
        assert!(matches!(parse_json(b"{\"a\":"), Err(PayloadError::BadJson(_))));
        assert_eq!(parse_json(b"{\"a\":1}"), Ok(json!({"a": 1})));
    }
}

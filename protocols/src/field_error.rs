//! The one error shape for "this input is wrong here": a field path and a
//! human-readable reason. Every parser in this crate reports through it so
//! that the hub can turn it into `{ "error": { "field", "message" } }` and the
//! agent into a log line naming the same path.

use std::fmt;

/// A validation failure naming the offending field (a dotted/indexed path such
/// as `events[3].data.quantity.value`) and why it was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the offending field, relative to the document being parsed.
    pub field: String,
    /// Why the value was rejected, in words an integrator understands.
    pub reason: String,
}

impl FieldError {
    /// A new error for `field` with `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error, with `prefix` put in front of its field path
    /// (`events[3]` + `data.state` = `events[3].data.state`).
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }

    /// Converts a serde_json error located by `serde_path_to_error`-style path
    /// strings into a field error.
    pub fn from_json(path: String, err: &serde_json::Error) -> Self {
        let field = if path == "." { String::new() } else { path };
        Self::new(field, strip_position(&err.to_string()))
    }
}

/// serde_json appends " at line X column Y"; for a field-level message the
/// path is more useful than a byte position inside a compressed batch.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(idx) => msg[..idx].to_string(),
        None => msg.to_string(),
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.field, self.reason)
        }
    }
}

impl std::error::Error for FieldError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_joins_paths() {
        let e = FieldError::new("data.state", "bad").within("events[3]");
        assert_eq!(e.field, "events[3].data.state");
        let e = FieldError::new("", "bad").within("events[3]");
        assert_eq!(e.field, "events[3]");
        assert_eq!(e.to_string(), "events[3]: bad");
    }
}

//! `Code`: the identifier of a thing on the shop floor (equipment, station,
//! worker badge, order number, material, lot, reason code, tag name).

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Maximum length of a code, in characters.
pub const MAX_CODE_LEN: usize = 64;

/// A non-empty identifier of at most [`MAX_CODE_LEN`] characters with no
/// control characters and no leading or trailing whitespace.
///
/// Once a `Code` exists it is known to be valid; code that takes one never
/// re-checks it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Code(String);

impl Code {
    /// Parses a code, explaining what is wrong with an invalid one.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        let len = raw.chars().count();
        if len > MAX_CODE_LEN {
            return Err(format!(
                "is {len} characters long, at most {MAX_CODE_LEN} are allowed"
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        if raw.trim() != raw {
            return Err("must not start or end with whitespace".into());
        }
        Ok(Self(raw.to_string()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Code {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<str>::deserialize(de)?;
        Code::parse(&raw).map_err(|why| serde::de::Error::custom(format!("code {why}")))
    }
}

impl From<u32> for Code {
    /// A number as a code (`10` → `"10"`: operation numbers); always valid.
    fn from(number: u32) -> Self {
        Self(number.to_string())
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_CODE_LEN,
            // No control characters (Unicode Cc), no whitespace at either end.
            "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f\\s]([^\\x00-\\x1f\\x7f-\\x9f]*[^\\x00-\\x1f\\x7f-\\x9f\\s])?$",
            "description": "An identifier: 1-64 characters, no control characters, no surrounding spaces."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_codes() {
        for ok in ["press-1", "ORD-2026-0001", "L 24/05", "Δ-lot"] {
            assert_eq!(Code::parse(ok).expect("valid").as_str(), ok);
        }
    }

    #[test]
    fn rejects_empty_long_control_and_padded() {
        assert!(Code::parse("").is_err());
        assert!(Code::parse(&"x".repeat(65)).is_err());
        assert!(Code::parse("a\u{1d}b").is_err());
        assert!(Code::parse(" a").is_err());
    }

    #[test]
    fn deserialize_reports_reason() {
        let err = serde_json::from_str::<Code>("\"\"").expect_err("empty code");
        assert!(err.to_string().contains("code must not be empty"), "{err}");
    }
}

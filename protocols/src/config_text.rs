//! Parsing configuration text (TOML) into typed configuration, with errors
//! that name the file, the key and the reason.
//!
//! Both programs read their config files themselves; this module only turns
//! the text into structs, so the error format is the same everywhere:
//! `edge-agent.toml: key buffer.max_size_mb: invalid type: string "x", expected u64 (line 7, column 15)`.

use serde::de::DeserializeOwned;
use std::fmt;

/// A configuration file that could not be turned into configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (or other source, e.g. `environment`) the value came from.
    pub file: String,
    /// The dotted key path, empty when the file as a whole is malformed.
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

impl ConfigError {
    /// An error about `key` in `file`.
    pub fn new(file: impl Into<String>, key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            key: key.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}: key {}: {}", self.file, self.key, self.reason)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Something a configuration says that works, but probably not as its
/// author meant (an option that has no effect, an address in the wrong
/// numbering, a subscription nothing uses). The program still starts;
/// `check-config` prints it and the program logs it at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file the value came from.
    pub file: String,
    /// The dotted key path.
    pub key: String,
    /// What looks wrong, and what to write instead.
    pub message: String,
}

impl ConfigWarning {
    /// A warning about `key` in `file`.
    pub fn new(file: impl Into<String>, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: key {}: {}", self.file, self.key, self.message)
        }
    }
}

/// Parses TOML `text` read from `file` into `T`. Unknown keys are errors when
/// `T` says `deny_unknown_fields`, as every configuration struct of ours does.
pub fn parse_toml<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, ConfigError> {
    let de = toml::de::Deserializer::parse(text)
        .map_err(|e| ConfigError::new(file, "", one_line(&e.to_string())))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        ConfigError::new(file, key, reason_with_position(e.inner(), text))
    })
}

/// toml's messages carry a multi-line source excerpt; keep the last line (the
/// reason) and say where it was.
fn reason_with_position(err: &toml::de::Error, text: &str) -> String {
    let reason = in_words(err.message().trim());
    match err.span() {
        Some(span) => {
            let (line, column) = line_and_column(text, span.start);
            format!("{reason} (line {line}, column {column})")
        }
        None => reason,
    }
}

/// serde's derived enums speak of "variants"; a config file's reader knows
/// names and tables. This rewrites those messages, whatever the enum, so no
/// key of any configuration answers in serde's words:
/// `unknown variant `panic`, expected `a` or `b`` becomes
/// `unknown value `panic`, expected `a` or `b``, and toml's "wanted string
/// or table" (a number where a name belongs) says that a name is wanted.
/// Types whose forms need more than a name say it themselves (the Modbus
/// `DataType`).
fn in_words(reason: &str) -> String {
    if reason == "wanted string or table" {
        return "expected a name in quotes (see the example configuration for the names allowed)".into();
    }
    reason
        .replace("unknown variant", "unknown value")
        .replace("expected variant identifier", "expected a name in quotes")
        .replace("unit variant", "a name")
        .replace("newtype variant", "a table of one entry")
        .replace("tuple variant", "a table of one entry")
        .replace("struct variant", "a table")
}

fn one_line(msg: &str) -> String {
    msg.lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        buffer: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        max_size_mb: u64,
    }

    #[test]
    fn names_file_key_and_reason() {
        let err =
            parse_toml::<Outer>("agent.toml", "[buffer]\nmax_size_mb = \"big\"\n").expect_err("bad type");
        assert_eq!(err.file, "agent.toml");
        assert_eq!(err.key, "buffer.max_size_mb");
        assert!(err.reason.contains("line 2"), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err =
            parse_toml::<Outer>("agent.toml", "[buffer]\nmax_size_mb = 1\nsize = 2\n").expect_err("unknown");
        assert!(err.reason.contains("unknown field `size`"), "{err}");
        assert!(err.to_string().starts_with("agent.toml: key buffer"), "{err}");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct WithEnum {
        policy: Policy,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Policy {
        Keep,
        Drop,
        Limit { most: u32 },
    }

    #[test]
    fn enum_errors_speak_of_values_not_variants() {
        for (text, says) in [
            (
                "policy = \"panic\"",
                "unknown value `panic`, expected one of `keep`, `drop`, `limit`",
            ),
            ("policy = 3", "expected a name in quotes"),
            ("policy = \"limit\"", "invalid type: a name, expected a table"),
        ] {
            let err = parse_toml::<WithEnum>("a.toml", text).expect_err(text);
            assert!(err.key.starts_with("policy"), "{text}: {}", err.key);
            assert!(err.reason.contains(says), "{text}: {err}");
            assert!(!err.reason.contains("variant"), "{text}: {err}");
        }
    }

    #[test]
    fn syntax_errors_name_the_file() {
        let err = parse_toml::<Outer>("agent.toml", "[buffer\n").expect_err("syntax");
        assert_eq!(err.file, "agent.toml");
        assert!(!err.reason.contains('\n'));
    }
}

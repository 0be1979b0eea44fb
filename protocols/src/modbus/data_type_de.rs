//! How a [`DataType`] is written in configuration, read with errors in
//! words. serde's derived enum code answered `type = "string"` with
//! "invalid type: unit variant, expected struct variant"; a person writing
//! a config file should read what is missing and how to write it.
//!
//! Forms: a name (`"u16"`, `"f32"`, ...) or a table of one entry,
//! `{ bit = N }` or `{ string = { registers = N } }`.

use super::types::{BitIndex, DataType, StringRegisters};
use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::Value;

/// Every form, for messages.
const FORMS: &str =
    "bool, u16, i16, u32, i32, u64, i64, f32, f64, { bit = N } or { string = { registers = N } }";

impl<'de> Deserialize<'de> for DataType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        from_value(&value).map_err(de::Error::custom)
    }
}

/// The data type written as `value`, or why it is none.
fn from_value(value: &Value) -> Result<DataType, String> {
    match value {
        Value::String(name) => from_name(name),
        Value::Object(table) => {
            let mut entries = table.iter();
            match (entries.next(), entries.next()) {
                (Some((key, param)), None) => from_entry(key, param),
                (None, _) => Err(format!("an empty table is not a data type; use one of {FORMS}")),
                (Some(_), Some(_)) => Err(format!(
                    "a table names one data type, this one has {} entries; use one of {FORMS}",
                    table.len()
                )),
            }
        }
        other => Err(format!(
            "{} is not a data type; use one of {FORMS} (names in quotes)",
            describe(other)
        )),
    }
}

fn from_name(name: &str) -> Result<DataType, String> {
    Ok(match name {
        "bool" => DataType::Bool,
        "u16" => DataType::U16,
        "i16" => DataType::I16,
        "u32" => DataType::U32,
        "i32" => DataType::I32,
        "u64" => DataType::U64,
        "i64" => DataType::I64,
        "f32" => DataType::F32,
        "f64" => DataType::F64,
        "bit" => {
            return Err("type \"bit\" needs the bit number: write type = { bit = N }, \
                 N from 0 (the least significant bit of the register) to 15"
                .into());
        }
        "string" => {
            return Err(
                "type \"string\" needs `registers` (the number of 16-bit registers holding \
                 the text, two characters each): write type = { string = { registers = N } }"
                    .into(),
            );
        }
        other => return Err(format!("\"{other}\" is not a data type; use one of {FORMS}")),
    })
}

fn from_entry(key: &str, param: &Value) -> Result<DataType, String> {
    match key {
        "bit" => {
            let bit = param.as_u64().ok_or_else(|| {
                format!(
                    "{{ bit = N }} needs a whole number N from 0 to 15, not {}",
                    describe(param)
                )
            })?;
            let bit = u8::try_from(bit).unwrap_or(u8::MAX);
            BitIndex::new(bit).map(DataType::Bit).map_err(|e| e.to_string())
        }
        "string" => {
            let registers = match param {
                Value::Object(t) if t.len() == 1 && t.contains_key("registers") => &t["registers"],
                Value::Object(t) if t.keys().any(|k| k != "registers") => {
                    let other: Vec<String> = t
                        .keys()
                        .filter(|k| *k != "registers")
                        .map(|k| format!("`{k}`"))
                        .collect();
                    return Err(format!(
                        "`string` takes one key, `registers`, not {}: write type = {{ string = {{ registers = N }} }}",
                        other.join(", ")
                    ));
                }
                Value::Object(_) => {
                    return Err(
                        "type { string = { } } needs `registers` (the number of 16-bit registers \
                         holding the text, two characters each): write type = { string = { registers = N } }"
                            .into(),
                    );
                }
                _ => {
                    return Err(format!(
                        "`string` takes one key, `registers`: write type = {{ string = {{ registers = N }} }}, \
                         not {}",
                        describe(param)
                    ));
                }
            };
            let n = registers
                .as_u64()
                .ok_or_else(|| format!("`registers` must be a whole number, not {}", describe(registers)))?;
            let n = u16::try_from(n).unwrap_or(u16::MAX);
            StringRegisters::new(n)
                .map(|registers| DataType::String { registers })
                .map_err(|e| e.to_string())
        }
        other => match from_name(other) {
            Ok(_) => Err(format!(
                "\"{other}\" takes no parameters: write type = \"{other}\""
            )),
            Err(_) => Err(format!("\"{other}\" is not a data type; use one of {FORMS}")),
        },
    }
}

/// A short description of a value, for messages (`the number 8`).
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text \"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a table".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DataType, String> {
        #[derive(Debug, Deserialize)]
        struct Tag {
            #[serde(rename = "type")]
            data_type: DataType,
        }
        toml::from_str::<Tag>(&format!("type = {text}"))
            .map(|t| t.data_type)
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn every_form_reads() {
        assert_eq!(parse("\"f32\""), Ok(DataType::F32));
        assert_eq!(parse("\"bool\""), Ok(DataType::Bool));
        assert_eq!(
            parse("{ bit = 3 }"),
            Ok(DataType::Bit(BitIndex::new(3).expect("3 is a bit")))
        );
        assert_eq!(
            parse("{ string = { registers = 8 } }"),
            Ok(DataType::String {
                registers: StringRegisters::new(8).expect("8 registers")
            })
        );
    }

    #[test]
    fn a_missing_parameter_is_said_in_words() {
        for (text, says) in [
            ("\"string\"", "type \"string\" needs `registers`"),
            ("\"bit\"", "type \"bit\" needs the bit number"),
            ("{ string = { } }", "needs `registers`"),
            ("{ string = 8 }", "`string` takes one key, `registers`"),
            ("{ string = { registers = 0 } }", "must have 1 to 125"),
            ("{ bit = 16 }", "bit 16 does not exist"),
            ("{ bit = \"x\" }", "not the text \"x\""),
            ("\"float\"", "\"float\" is not a data type; use one of bool, u16"),
            ("{ u16 = 1 }", "\"u16\" takes no parameters"),
            ("5", "the number 5 is not a data type"),
            ("{ bit = 1, u16 = 2 }", "this one has 2 entries"),
            (
                "{ string = { registers = 4, length = 8 } }",
                "takes one key, `registers`, not `length`",
            ),
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.contains(says), "{text}: {err}");
            assert!(!err.contains("variant"), "{text}: serde's words leaked: {err}");
        }
    }
}

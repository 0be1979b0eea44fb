//! The one decimal grammar of the system, for every decimal that crosses a
//! boundary (event bodies, master data, stock documents, imported files):
//! an optional `-`, digits, and optionally a point followed by digits
//! (`12`, `0.5`, `-3.25`). Refused: a leading `+`, `_` or thousands
//! separators, a decimal comma, exponents, a bare point (`5.`, `.5`), and
//! anything with more than [`MAX_DIGITS`] digits: such a number is refused
//! whole rather than silently rounded. Ranges and decimal places are the
//! business of [`crate::limits`]; this module only reads the text exactly.
//!
//! Every decimal this system writes (`Decimal`'s `Display`) is in this
//! grammar, so data written before the grammar was enforced reads back.

use rust_decimal::Decimal;

/// The grammar as a regular expression (for API documents).
pub const PATTERN: &str = r"^-?[0-9]+(\.[0-9]+)?$";

/// Most significant digits (before and after the point together) a
/// decimal may have: what `rust_decimal` can hold (29 digits only up to
/// 79228162514264337593543950335; above that the number is out of range).
pub const MAX_DIGITS: usize = 29;

/// Reads `text` as a decimal in the grammar above, exactly (no rounding).
/// The error says what is wrong in words a person fixing the input
/// understands.
pub fn parse(text: &str) -> Result<Decimal, String> {
    if text.contains(',') {
        return Err("uses a comma; write decimals with a point and no thousands separators (1.5)".into());
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || !all_digits(frac) {
        return Err(format!(
            "{:?} is not a decimal number (expected e.g. 12, 0.25 or -3.5: digits, an optional '-' and '.', no '+', '_' or exponent)",
            shorten(text)
        ));
    }
    let places = if digits.contains('.') { frac.len() } else { 0 };
    let significant = int.trim_start_matches('0').len() + places;
    if significant > MAX_DIGITS {
        return Err(format!(
            "has {significant} digits; at most {MAX_DIGITS} are kept exactly, and a decimal is never rounded silently"
        ));
    }
    Decimal::from_str_exact(text)
        .map_err(|_| "is out of range for a decimal number (or would need rounding to fit one)".to_string())
}

/// The first 40 characters of `text`, for error messages.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// Serde for a `Decimal` in the grammar: written as a JSON string, read from
/// a JSON string in the grammar or a JSON integer (`#[serde(with =
/// "mes_protocols::decimal::text")]`; `5.0` is the integer 5). A JSON
/// fraction (`0.5` unquoted) is refused: JSON parsers read it as a binary
/// float, which is not exact.
pub mod text {
    use rust_decimal::Decimal;
    use serde::{Deserializer, Serializer, de};
    use std::fmt;

    /// Writes the decimal as a JSON string.
    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    /// Reads a decimal string in the grammar, or a JSON integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(Visitor)
    }

    /// The same for `Option<Decimal>` (`null` or absent = none; use with
    /// `#[serde(default)]`).
    pub mod option {
        use rust_decimal::Decimal;
        use serde::{Deserialize, Deserializer};

        /// Reads a decimal string in the grammar, a JSON integer, or `null`.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            #[derive(Deserialize)]
            struct Wrapper(#[serde(deserialize_with = "super::deserialize")] Decimal);
            Ok(Option::<Wrapper>::deserialize(d)?.map(|Wrapper(v)| v))
        }
    }

    /// Unquoted numbers with no fraction below this are read exactly
    /// (doubles hold every integer below 2^53).
    const EXACT_INTEGER_BOUND: f64 = 1e15;

    struct Visitor;

    impl de::Visitor<'_> for Visitor {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal written as a string (\"12.5\")")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            super::parse(v).map_err(E::custom)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            // `5.0` is the integer 5 (JSON Schema counts it as one), read
            // exactly while far inside what a double holds exactly.
            if v.fract() == 0.0 && v.abs() < EXACT_INTEGER_BOUND {
                return Ok(Decimal::from(v as i64));
            }
            Err(E::custom(format!(
                "{v} is a JSON fraction; write decimals as strings (\"{v}\") so they stay exact"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_accepts_plain_decimals_exactly() {
        for (text, expected) in [("12", "12"), ("0.25", "0.25"), ("-3.50", "-3.50"), ("007", "7")] {
            assert_eq!(
                parse(text).map(|d| d.to_string()),
                Ok(expected.to_string()),
                "{text}"
            );
        }
        assert!(parse(&"9".repeat(MAX_DIGITS - 1)).is_ok());
        assert!(
            parse("79228162514264337593543950335").is_ok(),
            "the largest decimal"
        );
        assert!(
            parse("79228162514264337593543950336").is_err(),
            "past the largest"
        );
    }

    #[test]
    fn the_grammar_refuses_signs_separators_exponents_and_long_numbers() {
        let long = "1".repeat(101);
        for text in [
            "+5", "1_000", "1,5", "1e5", "5.", ".5", "", "-", " 5", "5 ", "0x10", "NaN", &long,
        ] {
            assert!(parse(text).is_err(), "{text:?} must be refused");
        }
        assert!(parse(&format!("0.{}", "1".repeat(MAX_DIGITS + 1))).is_err());
    }

    #[test]
    fn serde_reads_strings_and_integers_but_not_fractions() {
        #[derive(serde::Deserialize, serde::Serialize, Debug)]
        struct T {
            #[serde(with = "text")]
            v: Decimal,
        }
        let read = |json: &str| serde_json::from_str::<T>(json).map(|t| t.v.to_string());
        assert_eq!(read(r#"{"v":"1.50"}"#).ok(), Some("1.50".to_string()));
        assert_eq!(read(r#"{"v":7}"#).ok(), Some("7".to_string()));
        assert!(read(r#"{"v":0.5}"#).is_err());
        assert!(read(r#"{"v":"+5"}"#).is_err());
        // An integer written with a zero fraction is that integer (JSON
        // Schema's `integer` takes it; the OpenAPI document says integer),
        // exactly, while far inside what a double holds exactly.
        assert_eq!(read(r#"{"v":0.0}"#).ok(), Some("0".to_string()));
        assert_eq!(read(r#"{"v":-12.0}"#).ok(), Some("-12".to_string()));
        assert_eq!(read(r#"{"v":1e3}"#).ok(), Some("1000".to_string()));
        assert!(read(r#"{"v":1e20}"#).is_err(), "past exact doubles");
        let written = serde_json::to_string(&T {
            v: Decimal::new(-125, 2),
        })
        .ok();
        assert_eq!(written.as_deref(), Some(r#"{"v":"-1.25"}"#));
    }
}

//! Calendar dates on the wire (downlink records, approval lists): ISO 8601 `YYYY-MM-DD` strings,
//! because `time::Date` has no serde form in this crate's feature set and a
//! date (not an instant) must not pick up a time zone on the way.

use serde::{Deserialize, Deserializer, Serializer};
use time::Date;
use time::format_description::FormatItem;
use time::macros::format_description;

const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Parses `YYYY-MM-DD`, with a reason a reader understands.
pub fn parse_date(raw: &str) -> Result<Date, String> {
    Date::parse(raw, FORMAT).map_err(|e| format!("`{raw}` is not a date YYYY-MM-DD: {e}"))
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Serde for `Option<Date>` as an optional `YYYY-MM-DD` string (`null` or
/// absent = none).
pub mod option {
    use super::*;

    /// Serializes `Some(date)` as `"YYYY-MM-DD"`, `None` as `null`.
    pub fn serialize<S: Serializer>(value: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(date) => s.serialize_str(&format_date(*date)),
            None => s.serialize_none(),
        }
    }

    /// Reads `"YYYY-MM-DD"` or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Date>, D::Error> {
        let raw = Option::<std::borrow::Cow<'de, str>>::deserialize(de)?;
        raw.map(|r| parse_date(&r).map_err(serde::de::Error::custom))
            .transpose()
    }
}

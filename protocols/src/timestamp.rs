//! `Timestamp`: a UTC instant with millisecond precision, the time base of
//! every event.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A UTC instant, milliseconds since the Unix epoch. On the wire it is an
/// RFC 3339 string with exactly three fractional digits and a `Z` suffix
/// (`2026-11-25T21:02:23.123Z`); input in any RFC 3339 offset is accepted and
/// converted to UTC, finer precision is truncated to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `millis` milliseconds after the Unix epoch.
    pub fn from_unix_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(self) -> i64 {
        self.0
    }

    /// Converts from a `time` date-time, truncating to the millisecond.
    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        let nanos = dt.unix_timestamp_nanos();
        Self(nanos.div_euclid(1_000_000) as i64)
    }

    /// The instant as a UTC `time` date-time.
    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Parses an RFC 3339 date-time.
    pub fn parse(raw: &str) -> Result<Self, String> {
        OffsetDateTime::parse(raw, &Rfc3339)
            .map(|dt| Self::from_datetime(dt.to_offset(UtcOffset::UTC)))
            .map_err(|e| format!("`{raw}` is not an RFC 3339 timestamp: {e}"))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dt = self.to_datetime();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<str>::deserialize(de)?;
        Timestamp::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "An instant in UTC, RFC 3339 with milliseconds (2026-11-25T08:30:00.000Z)."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_millisecond_precision() {
        let ts = Timestamp::parse("2026-11-25T21:02:23.123456Z").expect("valid");
        assert_eq!(ts.to_string(), "2026-11-25T21:02:23.123Z");
        assert_eq!(Timestamp::parse(&ts.to_string()), Ok(ts));
    }

    #[test]
    fn converts_offsets_to_utc() {
        let ts = Timestamp::parse("2026-11-25T22:02:23+01:00").expect("valid");
        assert_eq!(ts.to_string(), "2026-11-25T21:02:23.000Z");
    }

    #[test]
    fn rejects_garbage_with_reason() {
        let err = Timestamp::parse("yesterday").expect_err("invalid");
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn pre_epoch_instants_format() {
        let ts = Timestamp::from_unix_millis(-1);
        assert_eq!(ts.to_string(), "1969-12-31T23:59:59.999Z");
    }
}

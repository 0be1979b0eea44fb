//! Plan instants (epoch minutes) as text.

use mes_protocols::Timestamp;

/// An epoch minute as RFC 3339 UTC.
pub fn iso(minute: i64) -> String {
    Timestamp::from_unix_millis(minute.saturating_mul(60_000)).to_string()
}

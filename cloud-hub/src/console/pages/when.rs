//! Times as pages show them: durations in the viewer's language and
//! instants in the site's local time.

use super::super::i18n::Catalog;

/// A duration of `ms` as "45 s", "12 min", "3 h 5 min" or "2 d 4 h".
pub fn ago(t: &Catalog, ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    let (minutes, hours, days) = (seconds / 60, seconds / 3600, seconds / 86_400);
    if seconds < 60 {
        t.fill("time.seconds", &[("n", &seconds.to_string())])
    } else if minutes < 60 {
        t.fill("time.minutes", &[("n", &minutes.to_string())])
    } else if hours < 24 {
        t.fill(
            "time.hours_minutes",
            &[("h", &hours.to_string()), ("m", &(minutes % 60).to_string())],
        )
    } else {
        t.fill(
            "time.days_hours",
            &[("d", &days.to_string()), ("h", &(hours % 24).to_string())],
        )
    }
}

fn local(ms: i64, offset_minutes: i64) -> time::OffsetDateTime {
    let at = ms.saturating_add(offset_minutes.saturating_mul(60_000));
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `08:05` at the site's offset.
pub fn clock_time(ms: i64, offset_minutes: i64) -> String {
    let t = local(ms, offset_minutes);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// `2026-12-04 08:05` at the site's offset.
pub fn date_time(ms: i64, offset_minutes: i64) -> String {
    let t = local(ms, offset_minutes);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::Lang;

    #[test]
    fn durations_read_naturally() {
        let t = Catalog::of(Lang::En);
        assert_eq!(ago(t, 5_000), "5 s");
        assert_eq!(ago(t, 12 * 60_000 + 5_000), "12 min");
        assert_eq!(ago(t, 3 * 3_600_000 + 5 * 60_000), "3 h 5 min");
        assert_eq!(ago(t, 2 * 86_400_000 + 4 * 3_600_000), "2 d 4 h");
        assert_eq!(ago(t, -5), "0 s");
    }

    #[test]
    fn instants_are_shown_at_the_site_offset() {
        // 2025-12-02 00:00 UTC.
        let at = 1_764_633_600_000;
        assert_eq!(clock_time(at, 0), "00:00");
        assert_eq!(date_time(at, 480), "2025-12-02 08:00");
        assert_eq!(date_time(at, -60), "2025-12-01 23:00");
    }
}

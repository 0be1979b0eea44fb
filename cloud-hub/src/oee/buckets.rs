//! Pure: a period cut into buckets (shifts, local days or ISO weeks at the
//! site's UTC offset) that cover it without gap or overlap, so the sums of
//! the buckets are the sums of the period.
//!
//! A shift bucket runs from its shift's start to the next shift's start:
//! the time after a shift until the next one (a late report, overtime)
//! belongs to it. The period's first bucket is the shift that began last
//! at or before the period's start (up to a week back), or, if none did,
//! a bucket `before the first shift`. Without a calendar (always
//! available) the shift buckets are local days.

use crate::masterdata::records::Calendar;
use crate::planning::calendars::{local_date, local_midnight, shift_instances};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

const MIN: i64 = 60_000;
const DAY_MINUTES: i64 = 1440;

/// How a period is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BucketKind {
    /// Shifts of the calendar followed (local days without one).
    Shift,
    /// Local days.
    Day,
    /// ISO weeks (Monday to Sunday, local).
    Week,
}

impl BucketKind {
    /// The kind named `text` (`shift`, `day`, `week`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "shift" => Some(Self::Shift),
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            _ => None,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shift => "shift",
            Self::Day => "day",
            Self::Week => "week",
        }
    }
}

/// One bucket of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Bucket {
    /// Its start, unix ms (clipped to the period).
    pub from: i64,
    /// Its end, unix ms (clipped to the period).
    pub to: i64,
    /// What it is: `2026-01-12` (day), `2026-W03` (week),
    /// `2026-01-12 06:00-14:00` (a shift by its local start day).
    pub label: String,
}

/// The buckets of `kind` covering `from..to` (unix ms) at a site `offset`
/// minutes from UTC, shifts from `calendar`.
pub fn buckets(
    kind: BucketKind,
    calendar: Option<&Calendar>,
    offset: i64,
    from: i64,
    to: i64,
) -> Vec<Bucket> {
    match (kind, calendar) {
        (BucketKind::Shift, Some(cal)) => shifts(cal, offset, from, to),
        (BucketKind::Shift | BucketKind::Day, _) => days(offset, from, to, 1, |d| d.to_string()),
        (BucketKind::Week, _) => days(offset, from, to, 7, |d| {
            let (year, week, _) = d.to_iso_week_date();
            format!("{year}-W{week:02}")
        }),
    }
}

/// Buckets of `length` local days (7: weeks from Monday).
fn days(offset: i64, from: i64, to: i64, length: i64, label: fn(Date) -> String) -> Vec<Bucket> {
    let mut day = local_date(from.div_euclid(MIN), offset);
    if length == 7 {
        day -= Duration::days(i64::from(day.weekday().number_days_from_monday()));
    }
    let mut out = Vec::new();
    loop {
        let start = local_midnight(day, offset) * MIN;
        if start >= to {
            break;
        }
        let Some(next) = day.checked_add(Duration::days(length)) else {
            break;
        };
        let end = local_midnight(next, offset) * MIN;
        if end > from {
            out.push(Bucket {
                from: start.max(from),
                to: end.min(to),
                label: label(day),
            });
        }
        day = next;
    }
    out
}

/// Shift buckets (see the module rule).
fn shifts(cal: &Calendar, offset: i64, from: i64, to: i64) -> Vec<Bucket> {
    let from_min = from.div_euclid(MIN);
    let to_min = to.div_euclid(MIN) + 1;
    let mut instances = shift_instances(cal, offset, from_min - 7 * DAY_MINUTES, to_min);
    instances.sort_by_key(|s| (s.start, s.shift));
    instances.dedup_by_key(|s| s.start);
    let starts: Vec<i64> = instances.iter().map(|s| s.start * MIN).collect();
    let first = starts.partition_point(|s| *s <= from).saturating_sub(1);
    let mut out = Vec::new();
    if starts.first().is_none_or(|s| *s > from) {
        let end = starts.first().map_or(to, |s| (*s).min(to));
        out.push(Bucket {
            from,
            to: end,
            label: "before the first shift".into(),
        });
    }
    for (i, instance) in instances.iter().enumerate().skip(first) {
        let start = starts[i].max(from);
        let end = starts.get(i + 1).map_or(to, |next| (*next).min(to));
        if start >= to {
            break;
        }
        if end <= start {
            continue;
        }
        let shift = &cal.shifts[instance.shift];
        out.push(Bucket {
            from: start,
            to: end,
            label: format!(
                "{} {}-{}",
                instance.date,
                String::from(shift.start),
                String::from(shift.end)
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-12 00:00 UTC, a Monday.
    const MONDAY: i64 = 1_768_176_000_000;
    const HOUR: i64 = 3_600_000;

    fn calendar() -> Calendar {
        serde_json::from_value(serde_json::json!({
            "code": "two", "name": "Two shifts",
            "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "06:00", "end": "14:00"},
                       {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "22:00", "end": "06:00"}],
            "holidays": [{"date": "2026-01-13"}]
        }))
        .expect("a calendar")
    }

    fn spans(list: &[Bucket]) -> Vec<(i64, i64, &str)> {
        list.iter()
            .map(|b| ((b.from - MONDAY) / HOUR, (b.to - MONDAY) / HOUR, b.label.as_str()))
            .collect()
    }

    #[test]
    fn shift_buckets_run_to_the_next_shift_and_skip_holidays() {
        // UTC+1: local 06:00 is 05:00 UTC.
        let got = buckets(
            BucketKind::Shift,
            Some(&calendar()),
            60,
            MONDAY,
            MONDAY + 48 * HOUR,
        );
        assert_eq!(
            spans(&got),
            [
                (0, 5, "2026-01-09 22:00-06:00"),
                (5, 21, "2026-01-12 06:00-14:00"),
                // Tuesday is a holiday: Monday's night shift runs on to Wednesday.
                (21, 48, "2026-01-12 22:00-06:00"),
            ]
        );
    }

    #[test]
    fn days_and_weeks_are_local() {
        let got = buckets(BucketKind::Day, None, 60, MONDAY, MONDAY + 25 * HOUR);
        assert_eq!(
            spans(&got),
            [(0, 23, "2026-01-12"), (23, 25, "2026-01-13")],
            "local midnight is 23:00 UTC"
        );
        let got = buckets(BucketKind::Week, None, 0, MONDAY - 24 * HOUR, MONDAY + 24 * HOUR);
        assert_eq!(spans(&got), [(-24, 0, "2026-W02"), (0, 24, "2026-W03")]);
        let got = buckets(BucketKind::Shift, None, 0, MONDAY, MONDAY + HOUR);
        assert_eq!(spans(&got), [(0, 1, "2026-01-12")], "no calendar: days");
    }

    #[test]
    fn a_period_before_any_shift_has_a_leading_bucket() {
        let cal: Calendar = serde_json::from_value(serde_json::json!({
            "code": "c", "name": "n", "shifts": [{"days": ["wed"], "start": "06:00", "end": "14:00"}]
        }))
        .expect("a calendar");
        // Only Wednesdays; the last one before Monday is 5 days back.
        let got = buckets(BucketKind::Shift, Some(&cal), 0, MONDAY, MONDAY + 60 * HOUR);
        assert_eq!(
            spans(&got),
            [
                (0, 54, "2026-01-07 06:00-14:00"),
                (54, 60, "2026-01-14 06:00-14:00")
            ]
        );
    }
}

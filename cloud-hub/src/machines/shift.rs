//! Pure: when "this shift" began for a site's board, from the site's
//! default calendar at its UTC offset. The latest shift start at or before
//! now (a night shift that began yesterday included; holidays have no
//! shifts); without a calendar, or with none in the last two days, the
//! local day's midnight ("today").

use crate::masterdata::records::Calendar;
use crate::planning::calendars::local_midnight;
use time::{Date, Duration};

/// What the board counts parts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Since the current (or last) shift began, unix ms.
    Shift(i64),
    /// Since local midnight, unix ms (no calendar says otherwise).
    Today(i64),
}

impl Counting {
    /// The instant counting starts, unix ms.
    pub fn since(self) -> i64 {
        match self {
            Counting::Shift(at) | Counting::Today(at) => at,
        }
    }
}

const DAY_MINUTES: i64 = 24 * 60;

fn local_date(minute: i64, offset_minutes: i64) -> Date {
    let days = (minute + offset_minutes).div_euclid(DAY_MINUTES);
    Date::from_julian_day(2_440_588 + days as i32).unwrap_or(Date::MIN)
}

/// Where counting starts at `now_ms` for a site at `offset_minutes` from
/// UTC following `calendar`.
pub fn counting_since(calendar: Option<&Calendar>, offset_minutes: i64, now_ms: i64) -> Counting {
    let now = now_ms.div_euclid(60_000);
    let today = local_date(now, offset_minutes);
    let midnight_ms = local_midnight(today, offset_minutes) * 60_000;
    let Some(calendar) = calendar else {
        return Counting::Today(midnight_ms);
    };
    let mut latest: Option<i64> = None;
    for back in 0..=2 {
        let day = today - Duration::days(back);
        if calendar.holidays.iter().any(|h| h.date == day) {
            continue;
        }
        let midnight = local_midnight(day, offset_minutes);
        for shift in &calendar.shifts {
            if !shift.days.iter().any(|d| d.to_time() == day.weekday()) {
                continue;
            }
            let start = midnight + shift.start.minutes();
            if start <= now && latest.is_none_or(|l| start > l) {
                latest = Some(start);
            }
        }
    }
    match latest {
        Some(start) => Counting::Shift(start * 60_000),
        None => Counting::Today(midnight_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(json: serde_json::Value) -> Calendar {
        serde_json::from_value(json).expect("a calendar")
    }

    /// 2025-12-02 is a Tuesday; 00:00 UTC that day is 1_764_633_600_000.
    const TUE_MIDNIGHT_UTC: i64 = 1_764_633_600_000;
    const HOUR: i64 = 3_600_000;

    #[test]
    fn without_a_calendar_parts_count_from_local_midnight() {
        let now = TUE_MIDNIGHT_UTC + 10 * HOUR;
        assert_eq!(counting_since(None, 0, now), Counting::Today(TUE_MIDNIGHT_UTC));
        // At UTC+8, 10:00 UTC is 18:00 local; local midnight was 16:00 UTC the day before.
        assert_eq!(
            counting_since(None, 480, now),
            Counting::Today(TUE_MIDNIGHT_UTC - 8 * HOUR)
        );
    }

    #[test]
    fn the_latest_shift_start_counts_night_shifts_from_yesterday() {
        let cal = calendar(serde_json::json!({
            "code": "TWO", "name": "two shifts",
            "shifts": [
                {"days": ["mon","tue","wed","thu","fri"], "start": "06:00", "end": "14:00"},
                {"days": ["mon","tue","wed","thu","fri"], "start": "22:00", "end": "06:00"}
            ]
        }));
        let at = |h: i64| TUE_MIDNIGHT_UTC + h * HOUR;
        assert_eq!(counting_since(Some(&cal), 0, at(7)), Counting::Shift(at(6)));
        // 03:00 Tuesday: the night shift began Monday 22:00.
        assert_eq!(counting_since(Some(&cal), 0, at(3)), Counting::Shift(at(-2)));
        // 16:00: between shifts, the last one began at 06:00.
        assert_eq!(counting_since(Some(&cal), 0, at(16)), Counting::Shift(at(6)));
    }
}

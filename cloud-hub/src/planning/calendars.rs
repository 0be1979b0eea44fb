//! Calendar records (local shifts, holidays, maintenance) → the scheduler's
//! working intervals, in whole minutes since the Unix epoch (UTC): the one
//! time base of every planning model, so plans made at different times
//! compare without conversion.

use crate::masterdata::records::Calendar as CalendarRecord;
use mes_protocols::Code;
use mes_scheduler::{Calendar, Interval};
use time::{Date, Duration, PrimitiveDateTime, Time};

/// Minutes per day.
const DAY: i64 = 1440;

/// Minute (since the epoch, UTC) of local midnight starting `date` at a
/// site `offset` minutes ahead of UTC.
pub fn local_midnight(date: Date, offset: i64) -> i64 {
    PrimitiveDateTime::new(date, Time::MIDNIGHT)
        .assume_utc()
        .unix_timestamp()
        / 60
        - offset
}

/// Minute (since the epoch, UTC) of a local date-time.
pub fn local_minute(at: PrimitiveDateTime, offset: i64) -> i64 {
    at.assume_utc().unix_timestamp() / 60 - offset
}

/// The local date at epoch minute `minute`.
pub fn local_date(minute: i64, offset: i64) -> Date {
    let days = (minute + offset).div_euclid(DAY);
    Date::from_julian_day(2_440_588 + days as i32).unwrap_or(Date::MIN)
}

/// One occurrence of a weekly shift of a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftInstance {
    /// The local day it starts on.
    pub date: Date,
    /// Its shift: the index in the calendar's `shifts`.
    pub shift: usize,
    /// Its start, epoch minute (UTC).
    pub start: i64,
    /// Its end, epoch minute (UTC); a shift ending at or before its start
    /// time ends the next day.
    pub end: i64,
}

/// Every shift of `cal` starting on a local day from the day before
/// epoch minute `from`'s (a night shift started then reaches into `from`)
/// to `to`'s, in day then calendar order; none starts on a holiday.
/// Holidays and maintenance do not cut them here: [`working_time`] does.
pub fn shift_instances(cal: &CalendarRecord, offset: i64, from: i64, to: i64) -> Vec<ShiftInstance> {
    let mut out = Vec::new();
    let mut day = local_date(from, offset) - Duration::days(1);
    let last = local_date(to, offset);
    while day <= last {
        let midnight = local_midnight(day, offset);
        let holiday = cal.holidays.iter().any(|h| h.date == day);
        for (index, shift) in cal.shifts.iter().enumerate().filter(|_| !holiday) {
            if !shift.days.iter().any(|d| d.to_time() == day.weekday()) {
                continue;
            }
            let (start, mut end) = (shift.start.minutes(), shift.end.minutes());
            if end <= start {
                end += DAY;
            }
            out.push(ShiftInstance {
                date: day,
                shift: index,
                start: midnight + start,
                end: midnight + end,
            });
        }
        day = day.next_day().unwrap_or(Date::MAX);
        if day == Date::MAX {
            break;
        }
    }
    out
}

/// The working time of `equipment` following `calendar` between epoch
/// minutes `from` and `to`, and around the clock after `to` (so work past
/// the horizon still gets a place; the report flags it). `None` as the
/// calendar means always available.
pub fn working_time(
    calendar: Option<&CalendarRecord>,
    equipment: &Code,
    offset: i64,
    from: i64,
    to: i64,
) -> Calendar {
    let Some(cal) = calendar else {
        return Calendar::always();
    };
    let intervals = shift_instances(cal, offset, from, to)
        .into_iter()
        .map(|s| Interval::new(s.start, s.end));
    // Shifts are whole local days apart, never empty, and far inside the
    // supported range, so the calendar builds; an empty one is the safe side.
    let mut working = Calendar::from_intervals(intervals)
        .unwrap_or_else(|_| Calendar::from_intervals([]).expect("an empty calendar is valid"));
    for h in &cal.holidays {
        let midnight = local_midnight(h.date, offset);
        working = working.without(Interval::new(midnight, midnight + DAY));
    }
    for m in cal.maintenance.iter().filter(|m| m.applies_to(equipment)) {
        working = working.without(Interval::new(
            local_minute(m.from, offset),
            local_minute(m.to, offset),
        ));
    }
    working.with_open_end(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn calendar() -> CalendarRecord {
        serde_json::from_value(serde_json::json!({
            "code": "two-shift", "name": "Two shifts",
            "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "06:00", "end": "14:00"},
                       {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "14:00", "end": "22:00"}],
            "holidays": [{"date": "2026-05-01"}],
            "maintenance": [{"from": "2026-04-29T08:00", "to": "2026-04-29T10:00", "equipment": ["M1"]}]
        }))
        .expect("a valid calendar")
    }

    #[test]
    fn shifts_holidays_and_maintenance_make_the_working_time() {
        // Site at UTC+2; Wednesday 2026-04-29 to Monday 2026-05-04.
        let offset = 120;
        let from = local_minute(datetime!(2026-04-29 00:00), offset);
        let to = local_minute(datetime!(2026-05-04 23:59), offset);
        let m1 = working_time(Some(&calendar()), &Code::from(1), offset, from, to);
        let at = |d: Date, hh: i64| local_midnight(d, offset) + hh * 60;
        let wed = date!(2026 - 04 - 29);
        let thu = date!(2026 - 04 - 30);
        let mon = date!(2026 - 05 - 04);
        // The day before `from` is expanded too (night shifts reach over).
        let after = |c: &Calendar| -> Vec<Interval> {
            c.intervals().iter().copied().filter(|i| i.end > from).collect()
        };
        // Code "1" is not M1: no maintenance; shifts merge into 06:00-22:00.
        assert_eq!(after(&m1)[0], Interval::new(at(wed, 6), at(wed, 22)));
        let m1 = working_time(
            Some(&calendar()),
            &Code::parse("M1").expect("code"),
            offset,
            from,
            to,
        );
        let got: Vec<Interval> = after(&m1).into_iter().take(4).collect();
        assert_eq!(
            got,
            vec![
                Interval::new(at(wed, 6), at(wed, 8)),
                Interval::new(at(wed, 10), at(wed, 22)),
                Interval::new(at(thu, 6), at(thu, 22)),
                // Friday is a holiday, the weekend has no shifts.
                Interval::new(at(mon, 6), at(mon, 22)),
            ]
        );
        assert_eq!(after(&m1)[4].start, to, "open after the horizon");
    }

    #[test]
    fn no_calendar_is_always_available() {
        let cal = working_time(None, &Code::from(1), 0, 0, 100);
        assert_eq!(cal.earliest_fit(5, 10_000, false), Some(Interval::new(5, 10_005)));
    }
}

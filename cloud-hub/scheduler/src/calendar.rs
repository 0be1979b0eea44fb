//! Equipment calendars: when a machine can work.
//!
//! A calendar is the list of *available* intervals of one machine over the
//! horizon (shifts minus weekends, holidays and maintenance windows). Both the
//! decoder (which places operations) and the validator (which checks plans)
//! ask the same questions of it, so the rules for fitting work into working
//! time live here and only here.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Earliest time any calendar or plan may use, in minutes from the horizon origin.
pub const TIME_MIN: i64 = -(1 << 50);
/// Latest time any calendar or plan may use, in minutes from the horizon origin.
pub const TIME_MAX: i64 = 1 << 50;
/// End of the open interval of an always-available calendar; far enough past
/// [`TIME_MAX`] that any sum of valid durations still fits in it.
const OPEN_END: i64 = 1 << 62;

/// A half-open time interval `[start, end)` in integer minutes from the horizon origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Interval {
    /// First minute of the interval.
    pub start: i64,
    /// First minute after the interval.
    pub end: i64,
}

impl Interval {
    /// The interval `[start, end)`.
    pub fn new(start: i64, end: i64) -> Self {
        Self { start, end }
    }

    /// Whether the two half-open intervals share at least one minute.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Why a list of intervals is not a calendar.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// An interval ends before (or where) it starts.
    #[error("interval [{start}, {end}) is empty or reversed")]
    EmptyInterval {
        /// Start of the offending interval.
        start: i64,
        /// End of the offending interval.
        end: i64,
    },
    /// An interval lies (partly) outside `[TIME_MIN, TIME_MAX]`.
    #[error("interval [{start}, {end}) lies outside the supported time range")]
    OutOfRange {
        /// Start of the offending interval.
        start: i64,
        /// End of the offending interval.
        end: i64,
    },
}

/// The working time of one machine: sorted, disjoint, non-adjacent intervals.
///
/// Outside these intervals the machine does not work. A calendar may be empty
/// (the machine never works); operations then cannot be placed on it. It
/// serializes as its list of intervals and deserializes through
/// [`Calendar::from_intervals`], so a deserialized calendar is checked too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Interval>", into = "Vec<Interval>")]
pub struct Calendar {
    intervals: Vec<Interval>,
}

impl TryFrom<Vec<Interval>> for Calendar {
    type Error = CalendarError;

    fn try_from(intervals: Vec<Interval>) -> Result<Self, Self::Error> {
        let open = intervals
            .iter()
            .any(|iv| iv.end == OPEN_END || iv.start == -OPEN_END);
        if !open {
            return Self::from_intervals(intervals);
        }
        // The open ends of `always()` / `with_open_end()` lie outside the range
        // callers may use; accept them back exactly as serialized.
        let mut list = intervals;
        for iv in &list {
            let inner_start = if iv.start == -OPEN_END { TIME_MIN } else { iv.start };
            let inner_end = if iv.end == OPEN_END { TIME_MAX } else { iv.end };
            Self::from_intervals([Interval::new(inner_start, inner_end)])?;
        }
        list.sort_unstable();
        Ok(Self {
            intervals: merge_sorted(list),
        })
    }
}

impl From<Calendar> for Vec<Interval> {
    fn from(calendar: Calendar) -> Self {
        calendar.intervals
    }
}

impl Default for Calendar {
    fn default() -> Self {
        Self::always()
    }
}

impl Calendar {
    /// A machine that is always available (no shifts, no breaks).
    pub fn always() -> Self {
        Self {
            intervals: vec![Interval::new(-OPEN_END, OPEN_END)],
        }
    }

    /// A calendar from working intervals in any order; overlapping or touching
    /// intervals are merged.
    pub fn from_intervals(intervals: impl IntoIterator<Item = Interval>) -> Result<Self, CalendarError> {
        let mut list: Vec<Interval> = intervals.into_iter().collect();
        for iv in &list {
            if iv.start >= iv.end {
                return Err(CalendarError::EmptyInterval {
                    start: iv.start,
                    end: iv.end,
                });
            }
            if iv.start < TIME_MIN || iv.end > TIME_MAX {
                return Err(CalendarError::OutOfRange {
                    start: iv.start,
                    end: iv.end,
                });
            }
        }
        list.sort_unstable();
        Ok(Self {
            intervals: merge_sorted(list),
        })
    }

    /// This calendar, plus unlimited availability from `from` on: the usual
    /// shape for a calendar known only up to the end of the planning horizon,
    /// so that work that does not fit inside the horizon still gets a place.
    pub fn with_open_end(mut self, from: i64) -> Self {
        let tail = Interval::new(from.clamp(TIME_MIN, TIME_MAX), OPEN_END);
        self.intervals.retain(|iv| iv.start < tail.start);
        self.intervals.push(tail);
        self.intervals.sort_unstable();
        let list = std::mem::take(&mut self.intervals);
        self.intervals = merge_sorted(list);
        self
    }

    /// The working intervals, sorted and disjoint.
    pub fn intervals(&self) -> &[Interval] {
        &self.intervals
    }

    /// This calendar with `down` removed, e.g. a breakdown or maintenance window.
    pub fn without(&self, down: Interval) -> Self {
        let mut out = Vec::with_capacity(self.intervals.len() + 1);
        for iv in &self.intervals {
            if !iv.overlaps(&down) {
                out.push(*iv);
                continue;
            }
            if iv.start < down.start {
                out.push(Interval::new(iv.start, down.start));
            }
            if down.end < iv.end {
                out.push(Interval::new(down.end, iv.end));
            }
        }
        Self { intervals: out }
    }

    /// Index of the first interval that ends after `t`.
    fn first_ending_after(&self, t: i64) -> usize {
        self.intervals.partition_point(|iv| iv.end <= t)
    }

    /// Where `work` minutes placed no earlier than `from` end up: the occupied
    /// span `[start, end)`. Unsplittable work must fit inside one interval;
    /// splittable work starts at the first working minute and runs on across
    /// breaks. `None` when the calendar runs out first.
    pub fn earliest_fit(&self, from: i64, work: i64, splittable: bool) -> Option<Interval> {
        let first = self.first_ending_after(from);
        let rest = self.intervals.get(first..)?;
        if !splittable {
            return rest.iter().find_map(|iv| {
                let start = from.max(iv.start);
                (start + work <= iv.end).then(|| Interval::new(start, start + work))
            });
        }
        let start = from.max(rest.first()?.start);
        let mut remaining = work;
        let mut cursor = start;
        for iv in rest {
            cursor = cursor.max(iv.start);
            let available = iv.end - cursor;
            if remaining <= available {
                return Some(Interval::new(start, cursor + remaining));
            }
            remaining -= available;
        }
        None
    }

    /// Whether `[start, end)` lies inside a single working interval (a
    /// zero-length span must sit at a working minute).
    pub fn contains_span(&self, start: i64, end: i64) -> bool {
        let i = self.first_ending_after(start);
        self.intervals
            .get(i)
            .is_some_and(|iv| iv.start <= start && end <= iv.end)
    }
}

fn merge_sorted(list: Vec<Interval>) -> Vec<Interval> {
    let mut merged: Vec<Interval> = Vec::with_capacity(list.len());
    for iv in list {
        match merged.last_mut() {
            Some(last) if iv.start <= last.end => last.end = last.end.max(iv.end),
            _ => merged.push(iv),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shifts() -> Calendar {
        Calendar::from_intervals([Interval::new(100, 200), Interval::new(0, 50)]).expect("valid intervals")
    }

    #[test]
    fn intervals_are_sorted_and_merged() {
        let cal =
            Calendar::from_intervals([Interval::new(10, 20), Interval::new(0, 10), Interval::new(15, 30)])
                .expect("valid intervals");
        assert_eq!(cal.intervals(), &[Interval::new(0, 30)]);
    }

    #[test]
    fn empty_interval_is_rejected() {
        let err = Calendar::from_intervals([Interval::new(5, 5)]);
        assert_eq!(err, Err(CalendarError::EmptyInterval { start: 5, end: 5 }));
    }

    #[test]
    fn unsplittable_work_waits_for_a_long_enough_interval() {
        assert_eq!(
            shifts().earliest_fit(30, 40, false),
            Some(Interval::new(100, 140))
        );
        assert_eq!(shifts().earliest_fit(10, 40, false), Some(Interval::new(10, 50)));
        assert_eq!(shifts().earliest_fit(0, 150, false), None);
    }

    #[test]
    fn splittable_work_runs_across_breaks() {
        assert_eq!(shifts().earliest_fit(30, 40, true), Some(Interval::new(30, 120)));
        assert_eq!(shifts().earliest_fit(60, 10, true), Some(Interval::new(100, 110)));
        assert_eq!(shifts().earliest_fit(0, 151, true), None);
    }

    #[test]
    fn down_window_is_cut_out() {
        let cal = shifts().without(Interval::new(40, 120));
        assert_eq!(cal.intervals(), &[Interval::new(0, 40), Interval::new(120, 200)]);
    }

    #[test]
    fn open_end_keeps_the_machine_available_afterwards() {
        let cal = shifts().with_open_end(150);
        assert_eq!(cal.earliest_fit(0, 1000, false).map(|iv| iv.start), Some(100));
    }

    #[test]
    fn span_containment_respects_breaks() {
        assert!(shifts().contains_span(100, 200));
        assert!(!shifts().contains_span(40, 110));
        assert!(!shifts().contains_span(60, 60));
    }
}

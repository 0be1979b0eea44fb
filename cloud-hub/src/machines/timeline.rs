//! Pure: an equipment's state timeline, downtime and part counts over a
//! period, from its events (already in hub time, in log order).
//!
//! Rules:
//! - The state holds from its `equipment_state_changed` until the next one;
//!   the state at the period's start is the last change before it. Before
//!   the first change the state is unknown and no interval is listed.
//! - Consecutive changes to the same state and reason are one interval; a
//!   change of reason alone starts a new interval.
//! - Intervals are clipped to the period; the last one ends at the period's
//!   end (`to`), which the caller caps at now.
//! - Downtime is every `down` interval; an operator's
//!   `downtime_reason_assigned` explains the down interval its `down_since`
//!   falls in (the latest assignment wins). `offline` is not downtime: the
//!   agent could not tell (listed in the timeline, never counted as down).
//! - Parts are summed per bucket (hour or day at the site's UTC offset) by
//!   when they were counted.

use mes_protocols::event::EquipmentState;
use serde::Serialize;
use std::collections::BTreeMap;

/// One state change of the equipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// When, unix ms.
    pub at: i64,
    /// The new state.
    pub state: EquipmentState,
    /// The reason read with it (a fault code), if any.
    pub reason: Option<String>,
}

/// An operator's reason for a stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedReason {
    /// When the stop it explains began, unix ms.
    pub down_since: i64,
    /// The reason code.
    pub reason: String,
}

/// A stretch of one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct StateInterval {
    /// The state.
    #[schemars(with = "String")]
    pub state: EquipmentState,
    /// The reason the machine reported with it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The reason an operator gave for this stop, if any (down only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_reason: Option<String>,
    /// Down only: when the stop began. A reason change during a stop
    /// splits it into intervals that share this (one stop, not two).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_since: Option<i64>,
    /// Start, unix ms (clipped to the period).
    pub from: i64,
    /// End, unix ms (clipped to the period).
    pub to: i64,
    /// `to - from`, ms.
    pub duration_ms: i64,
}

/// Parts counted in one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PartsBucket {
    /// The bucket's start, unix ms.
    pub from: i64,
    /// Good parts.
    pub good: u64,
    /// Scrap parts.
    pub scrap: u64,
}

/// The state intervals of `changes` (ordered by time) within `from..to`.
pub fn intervals(
    changes: &[StateChange],
    assigned: &[AssignedReason],
    from: i64,
    to: i64,
) -> Vec<StateInterval> {
    let mut out: Vec<StateInterval> = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let end = changes.get(i + 1).map_or(to, |next| next.at);
        let (start, end) = (change.at.max(from), end.min(to));
        if let Some(last) = out.last_mut()
            && last.state == change.state
            && last.reason == change.reason
            && last.to >= start
        {
            last.to = last.to.max(end);
            continue;
        }
        if start >= end {
            continue;
        }
        out.push(StateInterval {
            state: change.state,
            reason: change.reason.clone(),
            assigned_reason: None,
            stop_since: None,
            from: start,
            to: end,
            duration_ms: 0,
        });
    }
    for interval in &mut out {
        interval.duration_ms = interval.to - interval.from;
        if interval.state == EquipmentState::Down {
            interval.stop_since = down_start(changes, interval.from);
            interval.assigned_reason = assigned
                .iter()
                .rfind(|a| down_start(changes, a.down_since) == down_start(changes, interval.from))
                .map(|a| a.reason.clone());
        }
    }
    out
}

/// The start of the down stretch that instant `at` falls in (the change
/// into `down` at or before it), if it falls in one.
fn down_start(changes: &[StateChange], at: i64) -> Option<i64> {
    let idx = changes.partition_point(|c| c.at <= at).checked_sub(1)?;
    if changes[idx].state != EquipmentState::Down {
        return None;
    }
    let mut first = idx;
    while first > 0 && changes[first - 1].state == EquipmentState::Down {
        first -= 1;
    }
    Some(changes[first].at)
}

/// Down intervals only.
pub fn downtime(intervals: &[StateInterval]) -> Vec<StateInterval> {
    intervals
        .iter()
        .filter(|i| i.state == EquipmentState::Down)
        .cloned()
        .collect()
}

/// Parts `(at, good, scrap)` summed per bucket of `bucket_ms` aligned to
/// the site's local midnight (`offset_ms` from UTC), within `from..to`.
pub fn parts(
    counts: &[(i64, u64, u64)],
    from: i64,
    to: i64,
    bucket_ms: i64,
    offset_ms: i64,
) -> Vec<PartsBucket> {
    let mut buckets: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for &(at, good, scrap) in counts.iter().filter(|(at, ..)| (from..to).contains(at)) {
        let start = (at + offset_ms).div_euclid(bucket_ms) * bucket_ms - offset_ms;
        let b = buckets.entry(start).or_default();
        b.0 = b.0.saturating_add(good);
        b.1 = b.1.saturating_add(scrap);
    }
    buckets
        .into_iter()
        .map(|(from, (good, scrap))| PartsBucket { from, good, scrap })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use EquipmentState::{Down, Idle, Offline, Running};

    const MIN: i64 = 60_000;

    fn change(min: i64, state: EquipmentState, reason: Option<&str>) -> StateChange {
        StateChange {
            at: min * MIN,
            state,
            reason: reason.map(str::to_string),
        }
    }

    fn spans(list: &[StateInterval]) -> Vec<(EquipmentState, Option<&str>, i64, i64)> {
        list.iter()
            .map(|i| (i.state, i.reason.as_deref(), i.from / MIN, i.to / MIN))
            .collect()
    }

    #[test]
    fn states_hold_until_the_next_change_and_are_clipped_to_the_period() {
        let changes = [
            change(0, Running, None),
            change(10, Running, None),
            change(20, Down, Some("3")),
            change(25, Down, Some("7")),
            change(30, Offline, None),
            change(40, Idle, None),
        ];
        assert_eq!(
            spans(&intervals(&changes, &[], 5 * MIN, 45 * MIN)),
            [
                (Running, None, 5, 20),
                (Down, Some("3"), 20, 25),
                (Down, Some("7"), 25, 30),
                (Offline, None, 30, 40),
                (Idle, None, 40, 45)
            ]
        );
        assert!(
            intervals(&changes, &[], -10 * MIN, 0).is_empty(),
            "unknown before the first change"
        );
        let down = downtime(&intervals(&changes, &[], 0, 60 * MIN));
        assert_eq!(down.len(), 2, "offline is not downtime");
        assert_eq!(down.iter().map(|d| d.duration_ms).sum::<i64>(), 10 * MIN);
    }

    #[test]
    fn an_operator_reason_explains_the_stop_it_names() {
        let changes = [
            change(0, Running, None),
            change(10, Down, Some("3")),
            change(15, Down, Some("4")),
            change(20, Running, None),
            change(30, Down, None),
        ];
        let assigned = [
            AssignedReason {
                down_since: 10 * MIN,
                reason: "JAM".into(),
            },
            AssignedReason {
                down_since: 30 * MIN,
                reason: "NO_MATERIAL".into(),
            },
        ];
        let down = downtime(&intervals(&changes, &assigned, 0, 40 * MIN));
        let reasons: Vec<_> = down.iter().map(|d| d.assigned_reason.as_deref()).collect();
        assert_eq!(reasons, [Some("JAM"), Some("JAM"), Some("NO_MATERIAL")]);
        let stops: Vec<_> = down.iter().map(|d| d.stop_since.map(|at| at / MIN)).collect();
        assert_eq!(
            stops,
            [Some(10), Some(10), Some(30)],
            "two stops, the first in two intervals"
        );
    }

    #[test]
    fn parts_are_summed_per_local_day() {
        let hour = 60 * MIN;
        let counts = [
            (hour, 5, 1),
            (2 * hour, 3, 0),
            (23 * hour, 7, 0),
            (25 * hour, 1, 1),
        ];
        // UTC+2: local midnight is 22:00 UTC.
        let days = parts(&counts, 0, 48 * hour, 24 * hour, 2 * hour);
        assert_eq!(
            days.iter()
                .map(|b| (b.from / hour, b.good, b.scrap))
                .collect::<Vec<_>>(),
            [(-2, 8, 1), (22, 8, 1)]
        );
    }
}

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
//! - An outage of the agent that observes the equipment (`agent_outage`,
//!   `from`..`until`) is shown as `agent_down` over whatever the states
//!   said: the agent was not running, so nothing is known of the machine
//!   then. After the outage the state before it goes on (the agent
//!   restores it and reports only a change), until the next change.
//!   `agent_down` is neither downtime nor running time: like `offline`,
//!   it is time the MES cannot account for, and an availability figure
//!   must leave it out of its base rather than count it as up or down. A
//!   stop on both sides of an outage keeps its `stop_since` (nothing says
//!   it ended), so it is one stop whose down time excludes the outage.

use mes_protocols::event::EquipmentState;
use serde::{Serialize, Serializer};
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

/// A period when the agent observing the equipment was not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// Its start, unix ms (hub time).
    pub from: i64,
    /// Its end, unix ms (hub time).
    pub until: i64,
}

/// What a stretch of the timeline shows: a state the equipment was in, or
/// that its agent was not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A state the agent reported.
    State(EquipmentState),
    /// The agent was not running (`agent_down` on the wire).
    AgentDown,
}

impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::State(state) => state.serialize(serializer),
            Shown::AgentDown => serializer.serialize_str("agent_down"),
        }
    }
}

/// A stretch of one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct StateInterval {
    /// The state: running, idle, down, setup, offline, or agent_down (the
    /// agent was not running).
    #[schemars(with = "String")]
    pub state: Shown,
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
            && last.state == Shown::State(change.state)
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
            state: Shown::State(change.state),
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
        if interval.state == Shown::State(EquipmentState::Down) {
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

/// `intervals` (ordered, within `from..to`) with every `outages` period
/// shown as `agent_down` instead of what the states said (see the module
/// rules). Overlapping outages are one.
pub fn with_outages(
    intervals: Vec<StateInterval>,
    outages: &[Outage],
    from: i64,
    to: i64,
) -> Vec<StateInterval> {
    let mut down: Vec<Outage> = outages
        .iter()
        .map(|o| Outage {
            from: o.from.max(from),
            until: o.until.min(to),
        })
        .filter(|o| o.from < o.until)
        .collect();
    down.sort_by_key(|o| o.from);
    let mut merged: Vec<Outage> = Vec::with_capacity(down.len());
    for o in down {
        match merged.last_mut() {
            Some(last) if o.from <= last.until => last.until = last.until.max(o.until),
            _ => merged.push(o),
        }
    }
    let mut out = Vec::with_capacity(intervals.len() + merged.len());
    for interval in intervals {
        let mut start = interval.from;
        for o in merged
            .iter()
            .filter(|o| o.until > interval.from && o.from < interval.to)
        {
            if o.from > start {
                out.push(piece(&interval, start, o.from));
            }
            start = start.max(o.until);
        }
        if start < interval.to {
            out.push(piece(&interval, start, interval.to));
        }
    }
    out.extend(merged.iter().map(agent_down));
    out.sort_by_key(|i| i.from);
    out
}

fn piece(interval: &StateInterval, from: i64, to: i64) -> StateInterval {
    StateInterval {
        from,
        to,
        duration_ms: to - from,
        ..interval.clone()
    }
}

fn agent_down(o: &Outage) -> StateInterval {
    StateInterval {
        state: Shown::AgentDown,
        reason: None,
        assigned_reason: None,
        stop_since: None,
        from: o.from,
        to: o.until,
        duration_ms: o.until - o.from,
    }
}

/// Down intervals only.
pub fn downtime(intervals: &[StateInterval]) -> Vec<StateInterval> {
    intervals
        .iter()
        .filter(|i| i.state == Shown::State(EquipmentState::Down))
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
    use Shown::{AgentDown, State as S};

    const MIN: i64 = 60_000;

    fn change(min: i64, state: EquipmentState, reason: Option<&str>) -> StateChange {
        StateChange {
            at: min * MIN,
            state,
            reason: reason.map(str::to_string),
        }
    }

    fn spans(list: &[StateInterval]) -> Vec<(Shown, Option<&str>, i64, i64)> {
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
                (S(Running), None, 5, 20),
                (S(Down), Some("3"), 20, 25),
                (S(Down), Some("7"), 25, 30),
                (S(Offline), None, 30, 40),
                (S(Idle), None, 40, 45)
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

    fn outage(from_min: i64, until_min: i64) -> Outage {
        Outage {
            from: from_min * MIN,
            until: until_min * MIN,
        }
    }

    #[test]
    fn an_agent_outage_replaces_what_the_states_said_and_the_state_goes_on_after_it() {
        let changes = [change(0, Running, None), change(30, Idle, None)];
        let shown = with_outages(
            intervals(&changes, &[], 0, 60 * MIN),
            &[outage(10, 20)],
            0,
            60 * MIN,
        );
        assert_eq!(
            spans(&shown),
            [
                (S(Running), None, 0, 10),
                (AgentDown, None, 10, 20),
                (S(Running), None, 20, 30),
                (S(Idle), None, 30, 60)
            ],
            "running is not extended over the outage"
        );
        assert!(shown.iter().all(|i| i.duration_ms == i.to - i.from));
    }

    #[test]
    fn outages_are_clipped_merged_and_shown_where_no_state_is_known() {
        let changes = [change(30, Running, None)];
        let shown = with_outages(
            intervals(&changes, &[], 0, 60 * MIN),
            &[outage(-10, 5), outage(20, 35), outage(33, 40), outage(55, 90)],
            0,
            60 * MIN,
        );
        assert_eq!(
            spans(&shown),
            [
                (AgentDown, None, 0, 5),
                (AgentDown, None, 20, 40),
                (S(Running), None, 40, 55),
                (AgentDown, None, 55, 60)
            ]
        );
    }

    #[test]
    fn agent_down_is_not_downtime_and_a_stop_across_it_is_one_stop() {
        let changes = [change(0, Down, Some("3")), change(40, Running, None)];
        let shown = with_outages(
            intervals(&changes, &[], 0, 60 * MIN),
            &[outage(10, 30)],
            0,
            60 * MIN,
        );
        let down = downtime(&shown);
        assert_eq!(down.iter().map(|d| d.duration_ms).sum::<i64>(), 20 * MIN);
        let stops: Vec<_> = down.iter().map(|d| d.stop_since).collect();
        assert_eq!(
            stops,
            [Some(0), Some(0)],
            "one stop, its down time without the outage"
        );
        assert_eq!(
            serde_json::to_value(&shown[1]).expect("serializes")["state"],
            "agent_down"
        );
        assert_eq!(
            serde_json::to_value(&shown[0]).expect("serializes")["state"],
            "down"
        );
    }
}

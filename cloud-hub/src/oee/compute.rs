//! Pure: one machine's [`Tally`] per bucket from its planned busy time,
//! its timeline (states with agent outages laid over them, from
//! `machines::timeline`) and the quantities attributed to it
//! (`quantities.rs`). The rules are in `oee/mod.rs`.

use super::figures::{ReasonTally, Tally};
use crate::arith::{self, OutOfRange};
use crate::machines::timeline::{Shown, StateInterval};
use mes_protocols::event::EquipmentState;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// A stretch of time `[from, to)`, unix ms.
pub type Span = (i64, i64);

/// A quantity produced on the machine at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Produced {
    /// When it was reported or counted, unix ms.
    pub at: i64,
    /// Good quantity.
    pub good: Decimal,
    /// Scrap quantity.
    pub scrap: Decimal,
    /// Planned run time per item (PRI), ms; none (or zero): unrated.
    pub run_ms_per_unit: Option<Decimal>,
}

/// What one machine's figures are computed from.
#[derive(Debug, Clone, Copy)]
pub struct MachineInput<'a> {
    /// Planned busy time, sorted and disjoint.
    pub planned: &'a [Span],
    /// Its timeline within the period, sorted and disjoint.
    pub states: &'a [StateInterval],
    /// Quantities attributed to it.
    pub produced: &'a [Produced],
    /// Its own counter's parts: (at, good, scrap).
    pub counted: &'a [(i64, u64, u64)],
    /// Whether setup is planned (out of the base) rather than a loss.
    pub changeover_planned: bool,
}

/// Length of `[a, b)` inside `spans` (sorted, disjoint).
pub fn overlap(spans: &[Span], a: i64, b: i64) -> i64 {
    let first = spans.partition_point(|s| s.1 <= a);
    spans[first..]
        .iter()
        .take_while(|s| s.0 < b)
        .map(|s| s.1.min(b) - s.0.max(a))
        .filter(|len| *len > 0)
        .sum()
}

/// The first instant of `[a, b)` inside `spans`, if any.
fn first_inside(spans: &[Span], a: i64, b: i64) -> Option<i64> {
    let first = spans.partition_point(|s| s.1 <= a);
    spans.get(first).map(|s| s.0.max(a)).filter(|start| *start < b)
}

/// The index of the bucket holding instant `at`, if one does.
fn bucket_of(buckets: &[Span], at: i64) -> Option<usize> {
    let i = buckets.partition_point(|b| b.1 <= at);
    buckets.get(i).filter(|b| b.0 <= at).map(|_| i)
}

/// One tally per bucket of `buckets` (sorted, disjoint) for the machine.
pub fn tally(input: &MachineInput<'_>, buckets: &[Span]) -> Result<Vec<Tally>, OutOfRange> {
    let mut out: Vec<Tally> = buckets
        .iter()
        .map(|&(a, b)| Tally {
            planned_busy_ms: overlap(input.planned, a, b),
            ..Tally::default()
        })
        .collect();
    let mut stops_seen: BTreeSet<i64> = BTreeSet::new();
    for interval in input.states {
        let first = buckets.partition_point(|b| b.1 <= interval.from);
        for (i, &(a, b)) in buckets.iter().enumerate().skip(first) {
            if a >= interval.to {
                break;
            }
            let (from, to) = (interval.from.max(a), interval.to.min(b));
            if from >= to {
                continue;
            }
            let planned = overlap(input.planned, from, to);
            let t = &mut out[i];
            match interval.state {
                Shown::State(EquipmentState::Running) => {
                    t.running_ms += to - from;
                    t.unplanned_running_ms += to - from - planned;
                }
                Shown::State(EquipmentState::Idle) => t.idle_ms += planned,
                Shown::State(EquipmentState::Setup) if input.changeover_planned => {
                    t.planned_changeover_ms += planned;
                }
                Shown::State(EquipmentState::Setup) => t.setup_loss_ms += planned,
                Shown::State(EquipmentState::Offline) => t.offline_ms += planned,
                Shown::AgentDown => t.agent_down_ms += planned,
                Shown::State(EquipmentState::Down) => {
                    let Some(start) = first_inside(input.planned, from, to) else {
                        continue;
                    };
                    t.down_ms += planned;
                    let reason = interval
                        .assigned_reason
                        .clone()
                        .or_else(|| interval.reason.clone());
                    let entry: &mut ReasonTally = t.reasons.entry(reason).or_default();
                    entry.down_ms += planned;
                    // A stop counts once, where its first planned ms is.
                    if stops_seen.insert(interval.stop_since.unwrap_or(start)) {
                        entry.stops += 1;
                        t.stops += 1;
                    }
                }
            }
        }
    }
    for t in &mut out {
        let known = (t.running_ms - t.unplanned_running_ms)
            + t.idle_ms
            + t.down_ms
            + t.setup_loss_ms
            + t.planned_changeover_ms
            + t.offline_ms
            + t.agent_down_ms;
        t.no_signal_ms = (t.planned_busy_ms - known).max(0);
    }
    for p in input.produced {
        let Some(i) = bucket_of(buckets, p.at) else {
            continue;
        };
        let t = &mut out[i];
        let quantity = arith::add(p.good, p.scrap)?;
        match p.run_ms_per_unit.filter(|pri| *pri > Decimal::ZERO) {
            Some(pri) => {
                arith::add_to(&mut t.produced, quantity)?;
                arith::add_to(&mut t.good, p.good)?;
                arith::add_to(&mut t.planned_run_ms, arith::mul(pri, quantity)?)?;
            }
            None => {
                arith::add_to(&mut t.unrated_produced, quantity)?;
                arith::add_to(&mut t.unrated_good, p.good)?;
            }
        }
    }
    for &(at, good, scrap) in input.counted {
        if let Some(i) = bucket_of(buckets, at) {
            out[i].counted_good = out[i].counted_good.saturating_add(good);
            out[i].counted_scrap = out[i].counted_scrap.saturating_add(scrap);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machines::timeline::{self, Outage, StateChange};
    use EquipmentState::{Down, Idle, Running, Setup};
    use proptest::prelude::*;

    const MIN: i64 = 60_000;

    fn change(min: i64, state: EquipmentState) -> StateChange {
        StateChange {
            at: min * MIN,
            state,
            reason: None,
        }
    }

    fn states(changes: &[StateChange], outages: &[Outage], from: i64, to: i64) -> Vec<StateInterval> {
        timeline::with_outages(timeline::intervals(changes, &[], from, to), outages, from, to)
    }

    #[test]
    fn time_outside_the_plan_counts_only_when_running() {
        // Planned 0-60; running 0-30, down 30-50, idle 50-70, running 70-90.
        let changes = [
            change(0, Running),
            change(30, Down),
            change(50, Idle),
            change(70, Running),
        ];
        let timeline = states(&changes, &[], 0, 90 * MIN);
        let planned = [(0, 60 * MIN)];
        let input = MachineInput {
            planned: &planned,
            states: &timeline,
            produced: &[],
            counted: &[],
            changeover_planned: false,
        };
        let t = &tally(&input, &[(0, 90 * MIN)]).expect("in range")[0];
        assert_eq!(t.running_ms, 50 * MIN);
        assert_eq!(t.unplanned_running_ms, 20 * MIN);
        assert_eq!(t.down_ms, 20 * MIN);
        assert_eq!(t.idle_ms, 10 * MIN, "idle 60-70 is outside the plan");
        assert_eq!(t.base_ms(), 80 * MIN);
        assert_eq!(t.stops, 1);
    }

    #[test]
    fn a_stop_across_buckets_counts_once_and_setup_follows_the_setting() {
        let changes = [change(0, Setup), change(10, Down), change(50, Running)];
        let timeline = states(&changes, &[], 0, 60 * MIN);
        let planned = [(0, 60 * MIN)];
        let buckets = [(0, 30 * MIN), (30 * MIN, 60 * MIN)];
        let mut input = MachineInput {
            planned: &planned,
            states: &timeline,
            produced: &[],
            counted: &[],
            changeover_planned: false,
        };
        let t = tally(&input, &buckets).expect("in range");
        assert_eq!((t[0].stops, t[1].stops), (1, 0));
        assert_eq!((t[0].down_ms, t[1].down_ms), (20 * MIN, 20 * MIN));
        assert_eq!(t[0].setup_loss_ms, 10 * MIN);
        input.changeover_planned = true;
        let t = tally(&input, &buckets).expect("in range");
        assert_eq!((t[0].setup_loss_ms, t[0].planned_changeover_ms), (0, 10 * MIN));
        assert_eq!(t[0].base_ms(), 20 * MIN);
    }

    #[test]
    fn unknown_time_is_offline_agent_down_or_no_signal() {
        let changes = [change(10, Running)];
        let outages = [Outage {
            from: 20 * MIN,
            until: 30 * MIN,
        }];
        let timeline = states(&changes, &outages, 0, 60 * MIN);
        let planned = [(0, 60 * MIN)];
        let input = MachineInput {
            planned: &planned,
            states: &timeline,
            produced: &[],
            counted: &[],
            changeover_planned: false,
        };
        let t = &tally(&input, &[(0, 60 * MIN)]).expect("in range")[0];
        assert_eq!((t.no_signal_ms, t.agent_down_ms), (10 * MIN, 10 * MIN));
        assert_eq!(t.unknown_ms(), 20 * MIN);
        assert_eq!(t.base_ms(), 40 * MIN);
        assert_eq!(t.running_ms, 40 * MIN);
    }

    fn arb_changes() -> impl Strategy<Value = Vec<StateChange>> {
        prop::collection::vec((0i64..600, 0usize..5), 0..25).prop_map(|mut list| {
            list.sort_by_key(|(at, _)| *at);
            list.into_iter()
                .map(|(at, s)| {
                    let state = [Running, Idle, Down, Setup, EquipmentState::Offline][s];
                    change(at, state)
                })
                .collect()
        })
    }

    proptest! {
        /// Cutting a period into buckets changes no sum: the period's tally
        /// is the pooled tally of its buckets (stops included).
        #[test]
        fn buckets_pool_to_the_period(
            changes in arb_changes(),
            cuts in prop::collection::btree_set(1i64..600, 0..6),
            planned_cuts in prop::collection::btree_set(0i64..600, 0..8),
            produced in prop::collection::vec((0i64..600, 0u32..50, 0u32..5, prop::option::of(1u32..90)), 0..10),
            planned_setup in any::<bool>(),
        ) {
            let to = 600 * MIN;
            let timeline = states(&changes, &[], 0, to);
            let edges: Vec<i64> = planned_cuts.into_iter().map(|m| m * MIN).collect();
            let planned: Vec<Span> = edges.chunks(2).filter(|c| c.len() == 2).map(|c| (c[0], c[1])).collect();
            let produced: Vec<Produced> = produced.into_iter().map(|(at, good, scrap, pri)| Produced {
                at: at * MIN, good: good.into(), scrap: scrap.into(),
                run_ms_per_unit: pri.map(|p| Decimal::from(p * 1000)),
            }).collect();
            let input = MachineInput {
                planned: &planned, states: &timeline, produced: &produced, counted: &[],
                changeover_planned: planned_setup,
            };
            let mut points = vec![0];
            points.extend(cuts.into_iter().map(|m| m * MIN));
            points.push(to);
            let buckets: Vec<Span> = points.windows(2).map(|w| (w[0], w[1])).collect();
            let whole = tally(&input, &[(0, to)]).expect("in range").remove(0);
            let parts = tally(&input, &buckets).expect("in range");
            prop_assert_eq!(Tally::pooled(&parts).expect("in range"), whole);
        }
    }
}

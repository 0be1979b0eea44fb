//! Labour and machine time of operation runs, from the floor's events.
//!
//! Rules (also in ARCHITECTURE.md, "Actual costing"):
//! - A run is active from its `operation_started` to its
//!   `operation_finished` (or the costing instant while open), less its
//!   pauses (`operation_paused` to the next `operation_resumed`).
//! - A worker named on the run's `operation_started` works on it while the
//!   run is active and the worker is clocked in (`worker_clocked_in` to
//!   the next `worker_clocked_out`). A worker on several active runs at
//!   once splits that time equally between them.
//! - The run's equipment works on it while the run is active and the
//!   equipment is `running` (per `equipment_state_changed`); equipment that
//!   never reported a state (no signal) counts the whole active time.
//!   Equipment on several active runs at once splits its time equally.
//!
//! Everything is in milliseconds as exact decimals (a split can be a
//! fraction of a millisecond); only the costs are rounded, once.

use crate::arith::{self, OutOfRange};
use mes_protocols::Code;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// What happened, as the costing needs it (times: unix ms).
#[derive(Debug, Clone, PartialEq)]
pub enum FloorFact {
    /// A run started.
    Started {
        /// The run.
        execution: String,
        /// Its order.
        order: Code,
        /// Its operation.
        operation: Code,
        /// Its equipment.
        equipment: Code,
        /// Its workers.
        workers: Vec<Code>,
    },
    /// A run paused.
    Paused(String),
    /// A run resumed.
    Resumed(String),
    /// A run finished.
    Finished(String),
    /// Output reported on a run (good and scrap, in the event's unit).
    Output {
        /// The run.
        execution: String,
        /// Its order.
        order: Code,
        /// Good quantity.
        good: Decimal,
        /// Scrap quantity.
        scrap: Decimal,
    },
    /// A worker clocked in (true) or out (false).
    Clock {
        /// The worker.
        worker: Code,
        /// In or out.
        clocked_in: bool,
    },
    /// An equipment's state changed; whether it is now running.
    Equipment {
        /// The equipment.
        equipment: Code,
        /// Running or not.
        running: bool,
    },
}

/// A fact and when it happened; `row` (the event's arrival row) breaks
/// ties of the same millisecond.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedFact {
    /// Unix ms.
    pub at: i64,
    /// The event's row.
    pub row: i64,
    /// The fact.
    pub fact: FloorFact,
}

/// One run of an operation with its active intervals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    /// Its order.
    pub order: Option<Code>,
    /// Its operation.
    pub operation: Option<Code>,
    /// Its equipment.
    pub equipment: Option<Code>,
    /// Its workers.
    pub workers: Vec<Code>,
    /// Active intervals, unix ms `[from, to)`.
    pub active: Vec<(i64, i64)>,
    /// Still open at the costing instant.
    pub open: bool,
    /// Good output reported.
    pub good: Decimal,
    /// Scrap reported.
    pub scrap: Decimal,
}

/// The time a run used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunTime {
    /// Milliseconds of each worker on the run.
    pub labour_ms: BTreeMap<Code, Decimal>,
    /// Milliseconds of its equipment on the run.
    pub machine_ms: Decimal,
    /// Active milliseconds of the run.
    pub active_ms: Decimal,
}

/// Intervals `[from, to)` from on/off switches in time order, closing an
/// open one at `until`; repeated switches to the same state change nothing.
fn intervals(switches: &[(i64, bool)], until: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut since: Option<i64> = None;
    for &(at, on) in switches {
        match (on, since) {
            (true, None) => since = Some(at),
            (false, Some(from)) => {
                if at > from {
                    out.push((from, at));
                }
                since = None;
            }
            _ => {}
        }
    }
    if let Some(from) = since
        && until > from
    {
        out.push((from, until));
    }
    out
}

/// The runs of `facts` (sorted by `at`, `row`) with their active time;
/// open runs and pauses end at `as_of`. Output summed past the range of a
/// decimal (stored before quantities were bounded) is an error.
pub fn runs(facts: &[TimedFact], as_of: i64) -> Result<BTreeMap<String, Run>, OutOfRange> {
    let mut runs: BTreeMap<String, Run> = BTreeMap::new();
    let mut switches: BTreeMap<String, Vec<(i64, bool)>> = BTreeMap::new();
    let mut finished: BTreeSet<String> = BTreeSet::new();
    for f in facts {
        match &f.fact {
            FloorFact::Started {
                execution,
                order,
                operation,
                equipment,
                workers,
            } => {
                let run = runs.entry(execution.clone()).or_default();
                run.order = Some(order.clone());
                run.operation = Some(operation.clone());
                run.equipment = Some(equipment.clone());
                run.workers = workers.clone();
                switches.entry(execution.clone()).or_default().push((f.at, true));
            }
            FloorFact::Resumed(execution) => {
                switches.entry(execution.clone()).or_default().push((f.at, true));
            }
            FloorFact::Paused(execution) => {
                switches.entry(execution.clone()).or_default().push((f.at, false));
            }
            FloorFact::Finished(execution) => {
                finished.insert(execution.clone());
                switches.entry(execution.clone()).or_default().push((f.at, false));
            }
            FloorFact::Output {
                execution,
                order,
                good,
                scrap,
            } => {
                let run = runs.entry(execution.clone()).or_default();
                run.order.get_or_insert_with(|| order.clone());
                arith::add_to(&mut run.good, *good)?;
                arith::add_to(&mut run.scrap, *scrap)?;
            }
            FloorFact::Clock { .. } | FloorFact::Equipment { .. } => {}
        }
    }
    for (execution, run) in &mut runs {
        let list = switches.get(execution).map_or(&[][..], Vec::as_slice);
        // A finish ends the run even if a resume of the same instant sorts after it.
        let end = if finished.contains(execution) {
            list.iter()
                .filter(|(_, on)| !on)
                .map(|(at, _)| *at)
                .max()
                .unwrap_or(as_of)
        } else {
            as_of
        };
        run.open = !finished.contains(execution);
        let bounded: Vec<(i64, bool)> = list.iter().copied().filter(|(at, _)| *at <= end).collect();
        run.active = intervals(&bounded, end);
    }
    Ok(runs)
}

/// A run sharing a resource: its id and active intervals.
type Member<'a> = (&'a str, &'a [(i64, i64)]);

/// What an instant of the sweep in [`split`] changes.
#[derive(Clone, Copy)]
enum Change {
    /// Member `i`'s cover count moves by the delta.
    Member(usize, i32),
    /// The gate's cover count moves by the delta.
    Gate(i32),
    /// Nothing (the end of an empty interval, still a segment boundary).
    Boundary,
}

/// Splits time among `members` (id and active intervals) while `gate` is
/// on (`None`: always): each elementary segment where the gate is on and k
/// members are active gives each of them 1/k of it.
///
/// One sweep over the intervals' end points in time order, keeping who is
/// active: time and memory grow with the number of end points (plus the
/// shares handed out), not with end points × members. The segments are
/// those between consecutive distinct end points, every end point counted
/// (also of empty intervals), so the sums are the same decimals, added in
/// the same order, as a segment-by-segment count of covering intervals.
fn split(
    members: &[Member<'_>],
    gate: Option<&[(i64, i64)]>,
) -> Result<BTreeMap<String, Decimal>, OutOfRange> {
    let mut changes: Vec<(i64, Change)> = Vec::new();
    let mut add = |from: i64, to: i64, on: Change, off: Change| {
        if from < to {
            changes.push((from, on));
            changes.push((to, off));
        } else {
            changes.push((from, Change::Boundary));
            changes.push((to, Change::Boundary));
        }
    };
    for (i, (_, iv)) in members.iter().enumerate() {
        for &(from, to) in iv.iter() {
            add(from, to, Change::Member(i, 1), Change::Member(i, -1));
        }
    }
    for &(from, to) in gate.unwrap_or_default() {
        add(from, to, Change::Gate(1), Change::Gate(-1));
    }
    changes.sort_by_key(|c| c.0);
    let mut counts = vec![0i32; members.len()];
    let mut active: BTreeSet<usize> = BTreeSet::new();
    let mut gate_count = 0i32;
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut next = 0;
    while next < changes.len() {
        let at = changes[next].0;
        while let Some(&(when, change)) = changes.get(next)
            && when == at
        {
            match change {
                Change::Member(i, delta) => {
                    counts[i] += delta;
                    if counts[i] > 0 {
                        active.insert(i);
                    } else {
                        active.remove(&i);
                    }
                }
                Change::Gate(delta) => gate_count += delta,
                Change::Boundary => {}
            }
            next += 1;
        }
        let Some(&(until, _)) = changes.get(next) else {
            break;
        };
        if active.is_empty() || (gate.is_some() && gate_count <= 0) {
            continue;
        }
        let share = arith::div(length(at, until)?, Decimal::from(active.len()))?;
        for &i in &active {
            arith::add_to(out.entry(members[i].0.to_string()).or_default(), share)?;
        }
    }
    Ok(out)
}

/// `b − a` milliseconds, as a decimal (never an overflow of `i64`, whatever
/// instants are stored).
fn length(a: i64, b: i64) -> Result<Decimal, OutOfRange> {
    arith::sub(Decimal::from(b), Decimal::from(a))
}

/// The labour and machine time of every run (see the module doc).
pub fn run_times(
    runs: &BTreeMap<String, Run>,
    facts: &[TimedFact],
    as_of: i64,
) -> Result<BTreeMap<String, RunTime>, OutOfRange> {
    let mut clocks: BTreeMap<&Code, Vec<(i64, bool)>> = BTreeMap::new();
    let mut states: BTreeMap<&Code, Vec<(i64, bool)>> = BTreeMap::new();
    for f in facts {
        match &f.fact {
            FloorFact::Clock { worker, clocked_in } => {
                clocks.entry(worker).or_default().push((f.at, *clocked_in));
            }
            FloorFact::Equipment { equipment, running } => {
                states.entry(equipment).or_default().push((f.at, *running));
            }
            _ => {}
        }
    }
    let mut out: BTreeMap<String, RunTime> = BTreeMap::new();
    for (id, run) in runs {
        let mut active_ms = Decimal::ZERO;
        for &(a, b) in &run.active {
            arith::add_to(&mut active_ms, length(a, b)?)?;
        }
        out.insert(
            id.clone(),
            RunTime {
                active_ms,
                ..RunTime::default()
            },
        );
    }
    let mut by_worker: BTreeMap<&Code, Vec<Member<'_>>> = BTreeMap::new();
    let mut by_equipment: BTreeMap<&Code, Vec<Member<'_>>> = BTreeMap::new();
    for (id, run) in runs {
        for w in &run.workers {
            by_worker.entry(w).or_default().push((id, &run.active));
        }
        if let Some(e) = &run.equipment {
            by_equipment.entry(e).or_default().push((id, &run.active));
        }
    }
    for (worker, members) in by_worker {
        let clocked = intervals(clocks.get(worker).map_or(&[][..], Vec::as_slice), as_of);
        for (run, ms) in split(&members, Some(&clocked))? {
            if let Some(t) = out.get_mut(&run) {
                t.labour_ms.insert(worker.clone(), ms);
            }
        }
    }
    for (equipment, members) in by_equipment {
        let running = states.get(equipment).map(|s| intervals(s, as_of));
        for (run, ms) in split(&members, running.as_deref())? {
            if let Some(t) = out.get_mut(&run) {
                t.machine_ms = ms;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stock::test_support::code;

    const MIN: i64 = 60_000;

    fn fact(minute: i64, fact: FloorFact) -> TimedFact {
        TimedFact {
            at: minute * MIN,
            row: minute,
            fact,
        }
    }

    fn started(execution: &str, equipment: &str, workers: &[&str]) -> FloorFact {
        FloorFact::Started {
            execution: execution.into(),
            order: code("MO-1"),
            operation: code("10"),
            equipment: code(equipment),
            workers: workers.iter().map(|w| code(w)).collect(),
        }
    }

    /// W1 clocks in at 0 and out at 60. Run A on M1 from 10 to 50 with a
    /// pause 20–30; run B on M2 from 40 to 70. W1 is on both.
    /// W1: 10–20 A only (10), 30–40 A only (10), 40–50 A and B (5 each),
    /// 50–60 B only (10), 60–70 clocked out. A: 25 min, B: 15 min.
    /// M1 reports running 0–15 and 30–100: A's machine time 10–15 and
    /// 30–50 = 25 min. M2 reports nothing: B's whole active time, 30 min.
    #[test]
    fn shared_time_is_split_equally_and_gated_by_clock_and_state() {
        let facts = vec![
            fact(
                0,
                FloorFact::Clock {
                    worker: code("W1"),
                    clocked_in: true,
                },
            ),
            fact(
                0,
                FloorFact::Equipment {
                    equipment: code("M1"),
                    running: true,
                },
            ),
            fact(10, started("A", "M1", &["W1"])),
            fact(
                15,
                FloorFact::Equipment {
                    equipment: code("M1"),
                    running: false,
                },
            ),
            fact(20, FloorFact::Paused("A".into())),
            fact(30, FloorFact::Resumed("A".into())),
            fact(
                30,
                FloorFact::Equipment {
                    equipment: code("M1"),
                    running: true,
                },
            ),
            fact(40, started("B", "M2", &["W1"])),
            fact(50, FloorFact::Finished("A".into())),
            fact(
                60,
                FloorFact::Clock {
                    worker: code("W1"),
                    clocked_in: false,
                },
            ),
            fact(70, FloorFact::Finished("B".into())),
        ];
        let runs = runs(&facts, 100 * MIN).expect("in range");
        let times = run_times(&runs, &facts, 100 * MIN).expect("in range");
        let minutes = |ms: Decimal| ms / Decimal::from(MIN);
        assert_eq!(minutes(times["A"].active_ms), Decimal::from(30));
        assert_eq!(minutes(times["A"].labour_ms[&code("W1")]), Decimal::from(25));
        assert_eq!(minutes(times["B"].labour_ms[&code("W1")]), Decimal::from(15));
        assert_eq!(minutes(times["A"].machine_ms), Decimal::from(25));
        assert_eq!(minutes(times["B"].machine_ms), Decimal::from(30));
    }

    /// Output summed past the range of a decimal and runs spanning the
    /// whole range of `i64` instants (stored before values were bounded)
    /// are errors or exact figures, never a panic (before: `+=` and the
    /// `i64` subtraction overflowed).
    #[test]
    fn extreme_stored_values_are_errors_not_panics() {
        let output = |minute| {
            fact(
                minute,
                FloorFact::Output {
                    execution: "A".into(),
                    order: code("MO-1"),
                    good: Decimal::MAX,
                    scrap: Decimal::ZERO,
                },
            )
        };
        let facts = vec![fact(0, started("A", "M1", &["W1"])), output(1), output(2)];
        assert_eq!(runs(&facts, 10 * MIN), Err(OutOfRange));
        let wide = vec![
            TimedFact {
                at: i64::MIN,
                row: 1,
                fact: FloorFact::Clock {
                    worker: code("W1"),
                    clocked_in: true,
                },
            },
            TimedFact {
                at: i64::MIN,
                row: 2,
                fact: started("A", "M1", &["W1"]),
            },
        ];
        let runs = runs(&wide, i64::MAX).expect("no output to sum");
        let times = run_times(&runs, &wide, i64::MAX).expect("an i64 span fits a decimal");
        let span = Decimal::from(i64::MAX) - Decimal::from(i64::MIN);
        assert_eq!(times["A"].active_ms, span);
        assert_eq!(times["A"].labour_ms[&code("W1")], span);
    }

    /// The split as it was first written: every elementary segment checked
    /// against every interval (quadratic), kept as the reference the sweep
    /// must equal.
    fn split_by_segments(members: &[Member<'_>], gate: Option<&[(i64, i64)]>) -> BTreeMap<String, Decimal> {
        let covers = |iv: &[(i64, i64)], a: i64, b: i64| iv.iter().any(|&(from, to)| from <= a && b <= to);
        let mut points: Vec<i64> = members
            .iter()
            .flat_map(|(_, iv)| iv.iter().flat_map(|&(a, b)| [a, b]))
            .chain(gate.unwrap_or_default().iter().flat_map(|&(a, b)| [a, b]))
            .collect();
        points.sort_unstable();
        points.dedup();
        let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
        for pair in points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if gate.is_some_and(|g| !covers(g, a, b)) {
                continue;
            }
            let active: Vec<&str> = members
                .iter()
                .filter(|(_, iv)| covers(iv, a, b))
                .map(|(id, _)| *id)
                .collect();
            for id in &active {
                *out.entry(id.to_string()).or_default() += Decimal::from(b - a) / Decimal::from(active.len());
            }
        }
        out
    }

    /// Disjoint sorted intervals from a list of (gap, length) steps.
    fn chain(steps: &[(i64, i64)]) -> Vec<(i64, i64)> {
        let mut at = 0;
        steps
            .iter()
            .map(|&(gap, len)| {
                let from = at + gap;
                at = from + len;
                (from, at)
            })
            .collect()
    }

    proptest::proptest! {
        /// The sweep gives the same decimals as the segment-by-segment count,
        /// with and without a gate, for runs that overlap in every way.
        #[test]
        fn the_sweep_equals_the_segment_count(
            runs in proptest::collection::vec(proptest::collection::vec((0i64..40, 0i64..40), 0..5), 0..6),
            gate in proptest::option::of(proptest::collection::vec((0i64..30, 0i64..50), 0..5)),
        ) {
            let ids: Vec<String> = (0..runs.len()).map(|i| format!("R{i}")).collect();
            let intervals: Vec<Vec<(i64, i64)>> = runs.iter().map(|r| chain(r)).collect();
            let members: Vec<Member<'_>> = ids
                .iter()
                .zip(&intervals)
                .map(|(id, iv)| (id.as_str(), iv.as_slice()))
                .collect();
            let gate = gate.map(|g| chain(&g));
            let swept = split(&members, gate.as_deref()).expect("small figures");
            let reference = split_by_segments(&members, gate.as_deref());
            proptest::prop_assert_eq!(swept, reference);
        }
    }
}

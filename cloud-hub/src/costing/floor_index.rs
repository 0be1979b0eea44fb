//! A tenant's floor facts grouped the way questions about a few orders
//! read them: by run, by the runs of each order, worker and machine, and
//! each worker's clock-ins and each machine's states. Adding a fact and
//! answering for a set of orders cost what those touch, never a pass over
//! the tenant's whole floor history.

use super::time::{FloorFact, TimedFact};
use mes_protocols::Code;
use std::collections::{BTreeSet, HashMap};

/// Inserts `fact` into `list` kept sorted by (at, row); a fact is mostly
/// newer than those before it, so this is mostly a push.
fn insert_sorted(list: &mut Vec<TimedFact>, fact: TimedFact) {
    let key = (fact.at, fact.row);
    if list.last().is_none_or(|last| (last.at, last.row) <= key) {
        list.push(fact);
    } else {
        let at = list.partition_point(|f| (f.at, f.row) <= key);
        list.insert(at, fact);
    }
}

/// The floor facts of one tenant, grouped.
#[derive(Debug, Default, Clone)]
pub struct FloorIndex {
    /// Every fact of each run (started, paused, resumed, finished,
    /// output), sorted.
    runs: HashMap<String, Vec<TimedFact>>,
    /// The runs of each order (by a start or an output naming it).
    order_runs: HashMap<Code, BTreeSet<String>>,
    /// The runs each worker was named on.
    worker_runs: HashMap<Code, BTreeSet<String>>,
    /// The runs on each machine.
    machine_runs: HashMap<Code, BTreeSet<String>>,
    /// Each worker's clock-ins and -outs, sorted.
    clocks: HashMap<Code, Vec<TimedFact>>,
    /// Each machine's states, sorted.
    states: HashMap<Code, Vec<TimedFact>>,
    /// Facts held.
    len: usize,
}

impl FloorIndex {
    /// Facts held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no fact.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `fact`.
    pub fn insert(&mut self, fact: TimedFact) {
        self.len += 1;
        let run = match &fact.fact {
            FloorFact::Started {
                execution,
                order,
                equipment,
                workers,
                ..
            } => {
                self.order_runs
                    .entry(order.clone())
                    .or_default()
                    .insert(execution.clone());
                self.machine_runs
                    .entry(equipment.clone())
                    .or_default()
                    .insert(execution.clone());
                for w in workers {
                    self.worker_runs
                        .entry(w.clone())
                        .or_default()
                        .insert(execution.clone());
                }
                execution.clone()
            }
            FloorFact::Output { execution, order, .. } => {
                self.order_runs
                    .entry(order.clone())
                    .or_default()
                    .insert(execution.clone());
                execution.clone()
            }
            FloorFact::Paused(execution) | FloorFact::Resumed(execution) | FloorFact::Finished(execution) => {
                execution.clone()
            }
            FloorFact::Clock { worker, .. } => {
                let worker = worker.clone();
                insert_sorted(self.clocks.entry(worker).or_default(), fact);
                return;
            }
            FloorFact::Equipment { equipment, .. } => {
                let equipment = equipment.clone();
                insert_sorted(self.states.entry(equipment).or_default(), fact);
                return;
            }
        };
        insert_sorted(self.runs.entry(run).or_default(), fact);
    }

    /// Every fact, sorted by (at, row).
    pub fn all(&self) -> Vec<TimedFact> {
        let mut all: Vec<TimedFact> = Vec::with_capacity(self.len);
        for list in self
            .runs
            .values()
            .chain(self.clocks.values())
            .chain(self.states.values())
        {
            all.extend(list.iter().cloned());
        }
        all.sort_by_key(|f| (f.at, f.row));
        all
    }

    /// The facts the run times of `orders` depend on, sorted by (at, row):
    /// every fact of their runs and of the other runs that share a worker
    /// or a machine with them (a worker's or machine's time is split
    /// between the runs active at once), the clock-ins of those workers
    /// and the states of those machines. Costing these gives the same
    /// figures for `orders` as costing every fact.
    pub fn for_orders(&self, orders: &BTreeSet<Code>) -> Vec<TimedFact> {
        let own: BTreeSet<&String> = orders
            .iter()
            .filter_map(|o| self.order_runs.get(o))
            .flatten()
            .collect();
        let mut workers: BTreeSet<&Code> = BTreeSet::new();
        let mut machines: BTreeSet<&Code> = BTreeSet::new();
        for run in &own {
            for f in self.runs.get(*run).into_iter().flatten() {
                if let FloorFact::Started {
                    equipment,
                    workers: on,
                    ..
                } = &f.fact
                {
                    machines.insert(equipment);
                    workers.extend(on);
                }
            }
        }
        let mut runs: BTreeSet<&String> = own;
        runs.extend(workers.iter().filter_map(|w| self.worker_runs.get(*w)).flatten());
        runs.extend(
            machines
                .iter()
                .filter_map(|m| self.machine_runs.get(*m))
                .flatten(),
        );
        let mut out: Vec<TimedFact> = Vec::new();
        for run in runs {
            out.extend(self.runs.get(run).into_iter().flatten().cloned());
        }
        for w in workers {
            out.extend(self.clocks.get(w).into_iter().flatten().cloned());
        }
        for m in machines {
            out.extend(self.states.get(m).into_iter().flatten().cloned());
        }
        out.sort_by_key(|f| (f.at, f.row));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::costing::time::{run_times, runs};
    use crate::stock::test_support::code;

    const MIN: i64 = 60_000;

    fn at(minute: i64, fact: FloorFact) -> TimedFact {
        TimedFact {
            at: minute * MIN,
            row: minute,
            fact,
        }
    }

    fn started(execution: &str, order: &str, equipment: &str, workers: &[&str]) -> FloorFact {
        FloorFact::Started {
            execution: execution.into(),
            order: code(order),
            operation: code("10"),
            equipment: code(equipment),
            workers: workers.iter().map(|w| code(w)).collect(),
        }
    }

    fn clock(worker: &str, clocked_in: bool) -> FloorFact {
        FloorFact::Clock {
            worker: code(worker),
            clocked_in,
        }
    }

    fn running(equipment: &str, running: bool) -> FloorFact {
        FloorFact::Equipment {
            equipment: code(equipment),
            running,
        }
    }

    /// MO-1's run A (M1, W1) shares W1 with MO-2's run B (M2) and M1 with
    /// MO-3's run C (W2); MO-4's run D (M3, W3) shares nothing. A's labour
    /// and machine time from the narrowed facts equal those from all, and
    /// the facts come back whole and sorted whatever order they arrived in
    /// (a late batch sorts into place).
    #[test]
    fn narrowed_facts_give_the_same_times_for_the_orders() {
        let facts = vec![
            at(0, clock("W1", true)),
            at(0, clock("W2", true)),
            at(0, clock("W3", true)),
            at(1, running("M1", true)),
            at(2, started("A", "MO-1", "M1", &["W1"])),
            at(3, started("B", "MO-2", "M2", &["W1"])),
            at(4, started("C", "MO-3", "M1", &["W2"])),
            at(5, started("D", "MO-4", "M3", &["W3"])),
            at(20, FloorFact::Paused("A".into())),
            at(25, running("M3", false)),
            at(30, FloorFact::Resumed("A".into())),
            at(40, FloorFact::Finished("B".into())),
            at(45, clock("W1", false)),
            at(50, FloorFact::Finished("A".into())),
            at(55, FloorFact::Finished("C".into())),
            at(60, FloorFact::Finished("D".into())),
        ];
        // Rows are unique in the log: the arrival order.
        let facts: Vec<TimedFact> = facts
            .into_iter()
            .enumerate()
            .map(|(row, f)| TimedFact { row: row as i64, ..f })
            .collect();
        let mut index = FloorIndex::default();
        // The second half first: as if an offline agent's older events
        // arrived after newer ones.
        for f in facts[8..].iter().chain(&facts[..8]) {
            index.insert(f.clone());
        }
        assert_eq!(index.len(), facts.len());
        assert_eq!(index.all(), facts, "every fact, in time order");
        let narrowed = index.for_orders(&BTreeSet::from([code("MO-1")]));
        assert!(
            !narrowed
                .iter()
                .any(|f| matches!(&f.fact, FloorFact::Started { execution, .. } if execution == "D")),
            "MO-4's run shares nothing with MO-1 and is left out"
        );
        assert!(
            !narrowed.iter().any(
                |f| matches!(&f.fact, FloorFact::Equipment { equipment, .. } if equipment.as_str() == "M3")
            ),
            "M3's states are left out"
        );
        let as_of = 90 * MIN;
        let whole = run_times(&runs(&facts, as_of).expect("runs"), &facts, as_of).expect("times");
        let part = run_times(&runs(&narrowed, as_of).expect("runs"), &narrowed, as_of).expect("times");
        assert_eq!(part["A"], whole["A"]);
        // W1 shared with B from 3 to 20 and 30 to 40: A's labour is less
        // than its active time, so the sharing was counted.
        assert!(whole["A"].labour_ms[&code("W1")] < whole["A"].active_ms);
    }
}

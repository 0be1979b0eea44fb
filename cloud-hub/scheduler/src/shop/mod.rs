//! A fast search for models that are plain job shops.
//!
//! Many models (every classic benchmark instance, and a factory whose
//! machines are always open, without setups, alternatives, pins or due dates)
//! reduce to the disjunctive graph of the textbook job shop: each operation has
//! one machine, one fixed duration, at most one job predecessor and one job
//! successor, and the objective is the makespan. On that graph the search can
//! keep heads and tails (longest paths from the start and to the end) and
//! estimate a move from them in time proportional to the block it changes,
//! instead of re-decoding the schedule for every candidate move
//! (Nowicki & Smutnicki; Balas & Vazacopoulos; Zhang et al.).
//!
//! [`Shop::from_model`] recognises such a model (and says no to anything
//! else, which then goes to the general tabu search in `tabu.rs`). The result
//! leaves this module as machine sequences only: the times of the returned
//! plan are computed by `decode.rs`, like every other plan.
//!
//! - `graph.rs`: a schedule as machine sequences with heads and tails;
//! - `retime.rs`: keeping them (and a topological order) up to date after a move;
//! - `moves.rs`: critical blocks, the N7 moves and their estimates;
//! - `local.rs`: one tabu-search episode on that neighbourhood;
//! - `pool.rs`: the elite pool, kept good and diverse;
//! - `relink.rs`: path relinking, the start between two pool members;
//! - `evolve.rs`: the cooperating threads and their rounds.

mod evolve;
mod graph;
mod local;
mod moves;
mod pool;
mod relink;
mod retime;
mod work;

pub(crate) use evolve::{Budget, evolve};

use crate::calendar::Calendar;
use crate::decode::Sequencing;
use crate::model::{MachineId, Model, OpId};

/// Marks "no operation" in the `u32` links of the shop graph.
pub(crate) const NONE: u32 = u32::MAX;

/// The static part of a job shop: operations, machines, durations, chains.
#[derive(Debug, Clone)]
pub(crate) struct Shop {
    /// Setup plus run minutes of each operation.
    pub(crate) dur: Vec<i64>,
    /// Release time of each operation.
    pub(crate) rel: Vec<i64>,
    /// Job predecessor and successor of each operation (or [`NONE`]).
    pub(crate) jp: Vec<u32>,
    pub(crate) js: Vec<u32>,
    /// Machine of each operation.
    pub(crate) machine: Vec<u32>,
    /// Job (chain) of each operation, numbered from 0.
    pub(crate) job: Vec<u32>,
    /// Number of jobs (chains).
    pub(crate) jobs: usize,
    /// First operation of each job.
    pub(crate) job_first: Vec<u32>,
    /// Last operation of each job (the makespan is the latest of their ends).
    pub(crate) job_last: Vec<u32>,
    /// Index of each operation among the operations of its machine.
    pub(crate) lid: Vec<u32>,
    /// Number of operations on each machine.
    pub(crate) machine_len: Vec<usize>,
}

impl Shop {
    /// The job shop `model` is, or `None` when it uses anything beyond one:
    /// a calendar, a setup matrix, an alternative machine, a pin, a due date
    /// that counts, or an operation with two predecessors or successors.
    pub(crate) fn from_model(model: &Model) -> Option<Self> {
        let plain_machines = model
            .machines
            .iter()
            .all(|m| m.setup_matrix.is_none() && m.calendar == Calendar::always());
        let no_tardiness = model.orders.iter().all(|o| o.due.is_none() || o.weight == 0);
        if !plain_machines || !no_tardiness || model.ops.is_empty() {
            return None;
        }
        let n = model.ops.len();
        let mut shop = Shop {
            dur: Vec::with_capacity(n),
            rel: Vec::with_capacity(n),
            jp: vec![NONE; n],
            js: vec![NONE; n],
            machine: Vec::with_capacity(n),
            job: vec![NONE; n],
            jobs: 0,
            job_first: Vec::new(),
            job_last: Vec::new(),
            lid: Vec::with_capacity(n),
            machine_len: vec![0; model.machines.len()],
        };
        for (i, op) in model.ops.iter().enumerate() {
            let [(machine, run)] = model.runs[i][..] else {
                return None;
            };
            if op.pin.is_some() || model.preds[i].len() > 1 || model.succs[i].len() > 1 {
                return None;
            }
            shop.dur.push(op.setup + run);
            shop.rel.push(op.earliest_start);
            shop.machine.push(machine.0);
            shop.lid.push(shop.machine_len[machine.index()] as u32);
            shop.machine_len[machine.index()] += 1;
            if let Some(p) = model.preds[i].first() {
                shop.jp[i] = p.0;
            }
            if let Some(s) = model.succs[i].first() {
                shop.js[i] = s.0;
            }
        }
        for i in 0..n {
            if shop.jp[i] != NONE {
                continue;
            }
            let job = shop.jobs as u32;
            shop.job_first.push(i as u32);
            shop.jobs += 1;
            let mut cur = i as u32;
            loop {
                shop.job[cur as usize] = job;
                match shop.js[cur as usize] {
                    NONE => break,
                    next => cur = next,
                }
            }
            shop.job_last.push(cur);
        }
        Some(shop)
    }

    /// Number of operations.
    pub(crate) fn len(&self) -> usize {
        self.dur.len()
    }

    /// Machine sequences of a crate [`Sequencing`] (which holds every operation,
    /// since the model has no pins).
    pub(crate) fn seqs_of(&self, seq: &Sequencing) -> Vec<Vec<u32>> {
        seq.seqs
            .iter()
            .map(|list| list.iter().map(|op| op.0).collect())
            .collect()
    }

    /// The crate [`Sequencing`] of machine sequences found here.
    pub(crate) fn sequencing(&self, seqs: &[Vec<u32>]) -> Sequencing {
        Sequencing {
            machine_of: self.machine.iter().map(|&m| MachineId(m)).collect(),
            seqs: seqs
                .iter()
                .map(|list| list.iter().map(|&op| OpId(op)).collect())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jssp::JobShop;
    use crate::model::{Alternative, Machine, Operation, Order};
    use crate::{Interval, ModelBuilder};

    fn one_op_model(calendar: Calendar, order: Order, alternatives: usize) -> Model {
        let mut b = ModelBuilder::new();
        let machines: Vec<_> = (0..alternatives)
            .map(|m| b.add_machine(Machine::new(format!("M{m}"), calendar.clone())))
            .collect();
        let order = b.add_order(order);
        let alts = machines.into_iter().map(Alternative::nominal).collect();
        b.add_operation(Operation::new("op", order, 5, 10, alts));
        b.build().expect("valid model")
    }

    #[test]
    fn classic_instances_are_job_shops() {
        let model = JobShop::parse("2 2\n0 3 1 2\n1 4 0 3\n")
            .expect("valid instance")
            .to_model()
            .expect("valid model");
        let shop = Shop::from_model(&model).expect("a job shop");
        assert_eq!((shop.jobs, shop.len()), (2, 4));
        assert_eq!(shop.job_last, vec![1, 3]);
    }

    #[test]
    fn factory_extras_take_the_general_search() {
        let plain = one_op_model(Calendar::always(), Order::new("o"), 1);
        assert!(
            Shop::from_model(&plain).is_some(),
            "setup and run alone keep it a job shop"
        );
        let shifts = Calendar::from_intervals([Interval::new(0, 480)]).expect("valid calendar");
        for model in [
            one_op_model(shifts, Order::new("o"), 1),
            one_op_model(Calendar::always(), Order::new("o").due(100), 1),
            one_op_model(Calendar::always(), Order::new("o"), 2),
        ] {
            assert!(Shop::from_model(&model).is_none());
        }
    }
}

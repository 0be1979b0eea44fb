//! A plan (what runs where and when) and its objective.
//!
//! A [`Plan`] is plain data: the solver produces one, the validator checks
//! any one, the rescheduler starts from the previous one. The objective is
//! lexicographic ([`Cost`]): total weighted tardiness, then makespan, then
//! total setup time.

use serde::{Deserialize, Serialize};

use crate::model::{MachineId, Model, OpId};

/// One operation's place in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledOp {
    /// The operation.
    pub op: OpId,
    /// The machine it runs on.
    pub machine: MachineId,
    /// First minute of its setup (or run, when there is no setup).
    pub start: i64,
    /// First minute after it is done. For a splittable operation the span
    /// `[start, end)` includes the calendar breaks it waits through.
    pub end: i64,
    /// Setup minutes included in the span (sequence-dependent setups resolved).
    pub setup: i64,
}

/// A schedule of operations on machines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// One entry per operation; the solver lists them in [`OpId`] order.
    pub ops: Vec<ScheduledOp>,
}

impl Plan {
    /// The entry of `op`, if the plan has one.
    pub fn get(&self, op: OpId) -> Option<&ScheduledOp> {
        match self.ops.get(op.index()) {
            Some(s) if s.op == op => Some(s),
            _ => self.ops.iter().find(|s| s.op == op),
        }
    }

    /// Operations on `machine` in order of start time.
    pub fn machine_sequence(&self, machine: MachineId) -> Vec<ScheduledOp> {
        let mut seq: Vec<ScheduledOp> = self
            .ops
            .iter()
            .filter(|s| s.machine == machine)
            .copied()
            .collect();
        seq.sort_by_key(|s| (s.start, s.end, s.op));
        seq
    }

    /// The objective value of this plan under `model` (entries for unknown
    /// operations are ignored; see [`crate::validate`] for checking the plan).
    pub fn cost(&self, model: &Model) -> Cost {
        let mut completion: Vec<Option<i64>> = vec![None; model.orders.len()];
        let mut cost = Cost::default();
        for s in &self.ops {
            cost.makespan = cost.makespan.max(s.end);
            cost.setup = cost.setup.saturating_add(s.setup);
            if let Some(op) = model.operation(s.op)
                && let Some(c) = completion.get_mut(op.order.index())
            {
                *c = Some(c.map_or(s.end, |v| v.max(s.end)));
            }
        }
        cost.weighted_tardiness = weighted_tardiness(model, completion.iter().copied());
        cost
    }
}

/// Σ weight × max(0, completion − due) over orders; `completions` per order index.
pub(crate) fn weighted_tardiness(model: &Model, completions: impl Iterator<Item = Option<i64>>) -> i64 {
    model
        .orders
        .iter()
        .zip(completions)
        .filter_map(|(order, done)| Some((order.due?, order.weight, done?)))
        .fold(0i64, |acc, (due, weight, done)| {
            acc.saturating_add(weight.saturating_mul((done - due).max(0)))
        })
}

/// The lexicographic objective: smaller is better, compared field by field
/// in declaration order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cost {
    /// Σ over orders of weight × minutes late.
    pub weighted_tardiness: i64,
    /// Latest end of any operation, in minutes from the horizon origin.
    pub makespan: i64,
    /// Σ of setup minutes.
    pub setup: i64,
}

//! Fast construction: list scheduling with dispatch rules.
//!
//! Giffler–Thompson style: among the operations whose predecessors are all
//! placed, find the one that can finish first (each on the allowed machine
//! where it finishes earliest); every ready operation that could start before
//! that finish competes, and the dispatch rule picks the winner. The result
//! is a [`Sequencing`]: decoding it reproduces the constructed times.

use crate::decode::{MachineState, Sequencing, place};
use crate::error::SolveError;
use crate::model::{MachineId, Model, OpId};

/// A dispatch rule: which competing operation goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Most work remaining along the longest downstream path.
    MostWorkRemaining,
    /// Earliest due date of the order, then most work remaining.
    EarliestDueDate,
    /// Apparent tardiness cost (weighted, slack-discounted shortest processing).
    ApparentTardinessCost,
    /// Shortest processing time, then most work remaining.
    ShortestProcessing,
}

/// Every rule, in the order the solver tries them.
pub(crate) const RULES: [Rule; 4] = [
    Rule::MostWorkRemaining,
    Rule::EarliestDueDate,
    Rule::ApparentTardinessCost,
    Rule::ShortestProcessing,
];

/// Per-operation figures the rules need, computed once per model.
struct Figures {
    /// Shortest setup + run over the alternatives.
    duration: Vec<i64>,
    /// Longest path of durations from the operation to the end, itself included.
    tail: Vec<i64>,
    mean_duration: f64,
}

impl Figures {
    fn new(model: &Model) -> Self {
        let duration: Vec<i64> = model
            .ops
            .iter()
            .zip(&model.runs)
            .map(|(op, runs)| op.setup + runs.iter().map(|(_, r)| *r).min().unwrap_or(0))
            .collect();
        let mut tail = duration.clone();
        for &op in model.topo.iter().rev() {
            let i = op.index();
            let downstream = model.succs[i].iter().map(|s| tail[s.index()]).max().unwrap_or(0);
            tail[i] = duration[i] + downstream;
        }
        let mean_duration = duration.iter().sum::<i64>() as f64 / duration.len().max(1) as f64;
        Self {
            duration,
            tail,
            mean_duration: mean_duration.max(1.0),
        }
    }

    /// Priority of `op` at time `now`: larger goes first.
    fn priority(&self, model: &Model, rule: Rule, op: OpId, now: i64) -> (f64, i64) {
        let i = op.index();
        let order = &model.orders[model.ops[i].order.index()];
        let tail = self.tail[i];
        match rule {
            Rule::MostWorkRemaining => (tail as f64, 0),
            Rule::EarliestDueDate => (-(order.due.unwrap_or(i64::MAX / 2) as f64), tail),
            Rule::ShortestProcessing => (-(self.duration[i] as f64), tail),
            Rule::ApparentTardinessCost => {
                let p = self.duration[i].max(1) as f64;
                let value = order.due.map_or(0.0, |due| {
                    let slack = (due - (tail - self.duration[i]) - self.duration[i] - now).max(0) as f64;
                    order.weight as f64 / p * (-slack / (2.0 * self.mean_duration)).exp()
                });
                (value, tail)
            }
        }
    }
}

/// Where a ready operation would go if it were dispatched now.
#[derive(Debug, Clone, Copy)]
struct Probe {
    op: OpId,
    machine: MachineId,
    start: i64,
    end: i64,
    state: MachineState,
}

/// The allowed machine where `op` finishes earliest (ties: earlier start, lower id).
fn best_probe(model: &Model, op: OpId, earliest: i64, states: &[MachineState]) -> Option<Probe> {
    model.runs[op.index()]
        .iter()
        .filter_map(|&(machine, _)| {
            let mut state = states[machine.index()];
            let placed = place(model, op, machine, earliest, &mut state)?;
            Some(Probe {
                op,
                machine,
                start: placed.span.start,
                end: placed.span.end,
                state,
            })
        })
        .min_by_key(|p| (p.end, p.start, p.machine))
}

/// Builds a sequencing with `rule`.
pub(crate) fn construct(model: &Model, rule: Rule) -> Result<Sequencing, SolveError> {
    let figures = Figures::new(model);
    let n = model.ops.len();
    let mut end: Vec<i64> = model.pinned_span.iter().map(|s| s.map_or(0, |s| s.end)).collect();
    let is_pinned = |op: &OpId| model.pinned_span[op.index()].is_some();
    let mut waiting: Vec<usize> = (0..n)
        .map(|i| model.preds[i].iter().filter(|p| !is_pinned(p)).count())
        .collect();
    let mut ready: Vec<OpId> = model
        .op_ids()
        .filter(|op| !is_pinned(op) && waiting[op.index()] == 0)
        .collect();
    let mut states: Vec<MachineState> = model
        .machine_ids()
        .map(|m| MachineState::initial(model, m))
        .collect();
    let mut seq = Sequencing {
        machine_of: model
            .ops
            .iter()
            .map(|o| o.pin.map_or(o.alternatives[0].machine, |p| p.machine))
            .collect(),
        seqs: vec![Vec::new(); model.machines.len()],
    };
    let mut probes: Vec<Probe> = Vec::with_capacity(n);
    while !ready.is_empty() {
        probes.clear();
        for &op in &ready {
            let o = &model.ops[op.index()];
            let earliest = model.preds[op.index()]
                .iter()
                .map(|p| end[p.index()])
                .fold(o.earliest_start, i64::max);
            let probe = best_probe(model, op, earliest, &states)
                .ok_or_else(|| SolveError::Unschedulable { op: o.name.clone() })?;
            probes.push(probe);
        }
        let chosen = choose(model, &figures, rule, &probes);
        seq.machine_of[chosen.op.index()] = chosen.machine;
        seq.seqs[chosen.machine.index()].push(chosen.op);
        states[chosen.machine.index()] = chosen.state;
        end[chosen.op.index()] = chosen.end;
        ready.retain(|&op| op != chosen.op);
        for &s in &model.succs[chosen.op.index()] {
            waiting[s.index()] -= 1;
            if waiting[s.index()] == 0 {
                ready.push(s);
            }
        }
    }
    Ok(seq)
}

/// Giffler–Thompson choice among the probes (which must not be empty).
fn choose(model: &Model, figures: &Figures, rule: Rule, probes: &[Probe]) -> Probe {
    let first_end = probes.iter().map(|p| p.end).min().unwrap_or(0);
    let now = probes.iter().map(|p| p.start).min().unwrap_or(0);
    let mut best = probes[0];
    let mut best_key = None;
    for p in probes
        .iter()
        .filter(|p| p.start < first_end || p.end == first_end)
    {
        let key = figures.priority(model, rule, p.op, now);
        let better = match best_key {
            None => true,
            Some((v, t)) => key
                .0
                .total_cmp(&v)
                .then(key.1.cmp(&t))
                .then(best.op.cmp(&p.op))
                .is_gt(),
        };
        if better {
            best = *p;
            best_key = Some(key);
        }
    }
    best
}

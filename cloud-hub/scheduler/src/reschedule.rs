//! Rescheduling: repair the previous plan after the world changed, moving as
//! little as possible.
//!
//! The rule (stability first):
//!
//! 1. Operations are matched to the previous plan by name. A matched,
//!    unpinned operation keeps its previous machine (if still allowed) and
//!    its order relative to the other kept operations on that machine
//!    (previous start order).
//! 2. Operations without a usable previous place (new ones such as a rush
//!    order, or ones whose machine is no longer allowed) are inserted one at a
//!    time, predecessors first, at the machine and position that give the
//!    best objective; on ties the latest position wins, as it disturbs least.
//! 3. The resulting sequences are decoded with the new model (new calendars,
//!    pins, release times). Decoding is semi-active, so an operation keeps
//!    its exact previous times unless something before it changed: its
//!    machine's calendar up to its end, an operation before it on its machine,
//!    a predecessor, or its own data. A machine-down window therefore moves
//!    only operations that end after the window starts and follow it on that
//!    machine or in precedence; an operation that finished early (removed from
//!    the model) or a shorter pinned remainder can let followers move earlier.
//!
//! The caller states "now" through the model: operations that have started
//! are pinned, and the others get an earliest start no earlier than now.
//!
//! This holds exactly for previous plans made by this crate (they are
//! semi-active); a hand-edited previous plan gets left-shifted. No
//! improvement search runs: rerun [`crate::solve`] for a fresh, optimised plan.
//! If the kept order contradicts new precedence arcs, stability is given up
//! and the plan is rebuilt by the construction heuristic.

use std::time::{Duration, Instant};

use crate::bounds::lower_bound;
use crate::decode::{Decoder, Sequencing, Timing};
use crate::error::SolveError;
use crate::model::{MachineId, Model, OpId};
use crate::plan::Plan;
use crate::solve::{best_construction, decode_error};
use crate::tabu::{Limits, search};

/// Repairs `previous` (a plan for `previous_model`) into a valid plan for `model`.
pub fn reschedule(previous_model: &Model, previous: &Plan, model: &Model) -> Result<Plan, SolveError> {
    let (mut seq, newcomers) = kept_sequences(previous_model, previous, model);
    let mut decoder = Decoder::new(model);
    let mut timing = Timing::default();
    for op in newcomers {
        insert_best(model, &mut decoder, &mut seq, op)?;
    }
    match decoder.decode(model, &seq, &mut timing) {
        Ok(()) => Ok(timing.to_plan(&seq)),
        Err(crate::decode::DecodeError::Cycle) => {
            let (seq, timing) = best_construction(model)?;
            Ok(timing.to_plan(&seq))
        }
        Err(e) => Err(decode_error(model, e)),
    }
}

/// The previous machine sequences restricted to operations that can keep
/// their machine, and the other unpinned operations in topological order.
fn kept_sequences(previous_model: &Model, previous: &Plan, model: &Model) -> (Sequencing, Vec<OpId>) {
    let mut seq = Sequencing {
        machine_of: model
            .ops
            .iter()
            .map(|o| o.pin.map_or(o.alternatives[0].machine, |p| p.machine))
            .collect(),
        seqs: vec![Vec::new(); model.machines.len()],
    };
    let mut kept: Vec<(MachineId, i64, i64, OpId)> = Vec::new();
    let mut newcomers = Vec::new();
    for &op in &model.topo {
        let o = &model.ops[op.index()];
        if o.pin.is_some() {
            continue;
        }
        let old = previous_model
            .find_operation(&o.name)
            .and_then(|old| previous.get(old));
        let machine = old.and_then(|s| {
            let name = &previous_model.machine(s.machine)?.name;
            let m = model.find_machine(name)?;
            model.run_on(op, m).map(|_| (m, s.start, s.end))
        });
        match machine {
            Some((m, start, end)) => kept.push((m, start, end, op)),
            None => newcomers.push(op),
        }
    }
    kept.sort_unstable();
    for (m, _, _, op) in kept {
        seq.machine_of[op.index()] = m;
        seq.seqs[m.index()].push(op);
    }
    (seq, newcomers)
}

/// Inserts `op` where the objective is best (ties: latest position, lowest machine).
fn insert_best(
    model: &Model,
    decoder: &mut Decoder,
    seq: &mut Sequencing,
    op: OpId,
) -> Result<(), SolveError> {
    let mut timing = Timing::default();
    let mut best = None;
    for &(m, _) in &model.runs[op.index()] {
        seq.machine_of[op.index()] = m;
        for pos in 0..=seq.seqs[m.index()].len() {
            seq.seqs[m.index()].insert(pos, op);
            if decoder.decode(model, seq, &mut timing).is_ok() {
                let key = (timing.cost, std::cmp::Reverse(pos));
                if best.is_none_or(|(k, _, _)| key < k) {
                    best = Some((key, m, pos));
                }
            }
            seq.seqs[m.index()].remove(pos);
        }
    }
    let (_, m, pos) = best.ok_or_else(|| SolveError::Unschedulable {
        op: model.ops[op.index()].name.clone(),
    })?;
    seq.machine_of[op.index()] = m;
    seq.seqs[m.index()].insert(pos, op);
    Ok(())
}

/// Improves `plan` (a plan for `model`) by the tabu search, starting from
/// its machine sequences, for at most `time_limit`: the planner's "locally
/// re-optimise" after a change of priorities or due dates. Returns the best
/// plan found, never worse than `plan` decoded (the search keeps its
/// start until it finds better). Not deterministic (wall-clock limit).
pub fn improve(model: &Model, plan: &Plan, time_limit: Duration, seed: u64) -> Result<Plan, SolveError> {
    let seq = sequencing_of(model, plan);
    let mut decoder = Decoder::new(model);
    let mut timing = Timing::default();
    decoder
        .decode(model, &seq, &mut timing)
        .map_err(|e| decode_error(model, e))?;
    let limits = Limits {
        deadline: Some(Instant::now() + time_limit),
        max_iterations: None,
        lower_bound: lower_bound(model),
    };
    let out = search(model, seq, timing, limits, seed);
    Ok(out.timing.to_plan(&out.seq))
}

/// The machine sequences of `plan` (unpinned operations by start).
fn sequencing_of(model: &Model, plan: &Plan) -> Sequencing {
    let mut seq = Sequencing {
        machine_of: model
            .ops
            .iter()
            .map(|o| o.pin.map_or(o.alternatives[0].machine, |p| p.machine))
            .collect(),
        seqs: vec![Vec::new(); model.machines.len()],
    };
    let mut placed: Vec<(MachineId, i64, i64, OpId)> = plan
        .ops
        .iter()
        .filter(|s| {
            model.ops.get(s.op.index()).is_some_and(|o| o.pin.is_none())
                && model.run_on(s.op, s.machine).is_some()
        })
        .map(|s| (s.machine, s.start, s.end, s.op))
        .collect();
    placed.sort_unstable();
    for (m, _, _, op) in placed {
        seq.machine_of[op.index()] = m;
        seq.seqs[m.index()].push(op);
    }
    seq
}

//! The tabu search's moves: critical paths, critical blocks and the moves
//! built from them.
//!
//! Following Nowicki & Smutnicki, only moves on a critical path can improve
//! the operation that path ends in. The path is followed back through the
//! [`Link`]s the decoder recorded; a *block* is a maximal run of path
//! operations that follow each other directly on one machine. From each block
//! the neighbourhood takes (N5/N6/N7 style): the first operation moved behind
//! each later one, the last moved before each earlier one, and interior ones
//! moved to the front or back. Operations with alternative machines may also
//! be moved to another machine at the position matching their current start.

use std::collections::HashSet;

use crate::decode::{Link, Sequencing, Timing};
use crate::model::{MachineId, Model, OpId};

/// How far along a block insertion moves reach, bounding the neighbourhood on
/// very long blocks.
const MAX_REACH: usize = 12;
/// How many tardy orders' critical paths feed the neighbourhood.
const TARDY_TARGETS: usize = 3;

/// A change to a sequencing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Move {
    /// Take the operation at `from` on `machine` and reinsert it at index `to`
    /// (index in the sequence after removal).
    Shift {
        machine: MachineId,
        from: usize,
        to: usize,
    },
    /// Move `op` from position `from` on its machine to index `to` on `machine`.
    Reassign {
        op: OpId,
        from_machine: MachineId,
        from: usize,
        machine: MachineId,
        to: usize,
    },
}

impl Move {
    /// A shift; adjacent swaps are written one way only so duplicates vanish.
    fn shift(machine: MachineId, from: usize, to: usize) -> Self {
        if from.abs_diff(to) == 1 {
            Move::Shift {
                machine,
                from: from.min(to),
                to: from.max(to),
            }
        } else {
            Move::Shift { machine, from, to }
        }
    }

    /// Applies the move.
    pub(crate) fn apply(self, seq: &mut Sequencing) {
        match self {
            Move::Shift { machine, from, to } => {
                let list = &mut seq.seqs[machine.index()];
                let op = list.remove(from);
                list.insert(to, op);
            }
            Move::Reassign {
                op,
                from_machine,
                from,
                machine,
                to,
            } => {
                seq.seqs[from_machine.index()].remove(from);
                seq.seqs[machine.index()].insert(to, op);
                seq.machine_of[op.index()] = machine;
            }
        }
    }

    /// Reverts [`Move::apply`].
    pub(crate) fn undo(self, seq: &mut Sequencing) {
        match self {
            Move::Shift { machine, from, to } => Move::Shift {
                machine,
                from: to,
                to: from,
            }
            .apply(seq),
            Move::Reassign {
                op,
                from_machine,
                from,
                machine,
                to,
            } => {
                seq.seqs[machine.index()].remove(to);
                seq.seqs[from_machine.index()].insert(from, op);
                seq.machine_of[op.index()] = from_machine;
            }
        }
    }

    /// The operations whose machine predecessor the move changed; call after
    /// applying it (they are the starting points of incremental re-decoding).
    pub(crate) fn roots(self, seq: &Sequencing, roots: &mut Vec<OpId>) {
        roots.clear();
        match self {
            Move::Shift { machine, from, to } => {
                let list = &seq.seqs[machine.index()];
                let hi = (from.max(to) + 1).min(list.len().saturating_sub(1));
                roots.extend(list.get(from.min(to)..=hi).into_iter().flatten());
            }
            Move::Reassign {
                op,
                from_machine,
                from,
                machine,
                to,
            } => {
                roots.push(op);
                roots.extend(seq.seqs[machine.index()].get(to + 1));
                roots.extend(seq.seqs[from_machine.index()].get(from));
            }
        }
    }

    /// The machine-order pairs `(before, after)` this move creates among
    /// operations that stay on the machine (before it is applied).
    pub(crate) fn created_pairs(self, seq: &Sequencing) -> impl Iterator<Item = (OpId, OpId)> + '_ {
        let (list, x, range, forward) = match self {
            Move::Shift { machine, from, to } => {
                let list = &seq.seqs[machine.index()];
                let x = list[from];
                if to > from {
                    (list.as_slice(), x, from + 1..to + 1, true)
                } else {
                    (list.as_slice(), x, to..from, false)
                }
            }
            Move::Reassign { op, .. } => (&[][..], op, 0..0, false),
        };
        list[range]
            .iter()
            .map(move |&y| if forward { (y, x) } else { (x, y) })
    }
}

/// Operations whose critical paths the neighbourhood follows: the ends of
/// the most tardy orders while there is tardiness, and the operation that
/// sets the makespan.
fn targets(model: &Model, timing: &Timing) -> Vec<OpId> {
    let mut last_of_order: Vec<Option<OpId>> = vec![None; model.orders.len()];
    let mut latest: Option<OpId> = None;
    for (i, op) in model.ops.iter().enumerate() {
        let id = OpId(i as u32);
        let slot = &mut last_of_order[op.order.index()];
        if slot.is_none_or(|o| timing.end[i] > timing.end[o.index()]) {
            *slot = Some(id);
        }
        if latest.is_none_or(|o| timing.end[i] > timing.end[o.index()]) {
            latest = Some(id);
        }
    }
    let mut out = Vec::new();
    if timing.cost.weighted_tardiness > 0 {
        let mut tardy: Vec<(i64, OpId)> = model
            .orders
            .iter()
            .zip(&last_of_order)
            .filter_map(|(order, last)| {
                let last = (*last)?;
                let late = (timing.end[last.index()] - order.due?)
                    .max(0)
                    .saturating_mul(order.weight);
                (late > 0).then_some((late, last))
            })
            .collect();
        tardy.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        out.extend(tardy.iter().take(TARDY_TARGETS).map(|(_, op)| *op));
    }
    out.extend(latest.filter(|l| !out.contains(l)));
    out
}

/// The critical path into `target`, split into blocks (each in machine order).
fn blocks(timing: &Timing, target: OpId) -> (Vec<OpId>, Vec<Vec<OpId>>) {
    let mut path = vec![target];
    let mut cur = target;
    let mut blocks: Vec<Vec<OpId>> = vec![vec![target]];
    for _ in 0..timing.link.len() {
        match timing.link[cur.index()] {
            Link::Source => break,
            Link::Machine(p) => {
                if let Some(b) = blocks.last_mut() {
                    b.push(p);
                }
                cur = p;
            }
            Link::Job(p) => {
                blocks.push(vec![p]);
                cur = p;
            }
        }
        path.push(cur);
    }
    for b in &mut blocks {
        b.reverse();
    }
    blocks.retain(|b| b.len() >= 2);
    (path, blocks)
}

/// All moves around the critical paths of the current solution, deduplicated
/// and in a deterministic order.
pub(crate) fn neighbourhood(model: &Model, seq: &Sequencing, timing: &Timing, pos: &[usize]) -> Vec<Move> {
    let mut moves = Vec::new();
    let mut seen_blocks = HashSet::new();
    for target in targets(model, timing) {
        let (path, blocks) = blocks(timing, target);
        for block in blocks {
            if seen_blocks.insert((block[0], block.len())) {
                block_moves(seq, &block, pos, &mut moves);
            }
        }
        for op in path {
            reassign_moves(model, seq, timing, pos, op, &mut moves);
        }
    }
    moves.sort_unstable();
    moves.dedup();
    moves
}

fn block_moves(seq: &Sequencing, block: &[OpId], pos: &[usize], moves: &mut Vec<Move>) {
    let machine = seq.machine_of[block[0].index()];
    let p0 = pos[block[0].index()];
    let k = block.len();
    let last = p0 + k - 1;
    for j in 1..k.min(MAX_REACH + 1) {
        moves.push(Move::shift(machine, p0, p0 + j));
        moves.push(Move::shift(machine, last, last - j));
    }
    for j in 1..k - 1 {
        if j <= MAX_REACH {
            moves.push(Move::shift(machine, p0 + j, p0));
        }
        if k - 1 - j <= MAX_REACH {
            moves.push(Move::shift(machine, p0 + j, last));
        }
    }
}

fn reassign_moves(
    model: &Model,
    seq: &Sequencing,
    timing: &Timing,
    pos: &[usize],
    op: OpId,
    moves: &mut Vec<Move>,
) {
    let i = op.index();
    if model.pinned_span[i].is_some() || model.runs[i].len() < 2 {
        return;
    }
    let from_machine = seq.machine_of[i];
    for &(machine, _) in &model.runs[i] {
        if machine == from_machine {
            continue;
        }
        let list = &seq.seqs[machine.index()];
        let to = list.partition_point(|o| timing.start[o.index()] < timing.start[i]);
        moves.push(Move::Reassign {
            op,
            from_machine,
            from: pos[i],
            machine,
            to,
        });
    }
}

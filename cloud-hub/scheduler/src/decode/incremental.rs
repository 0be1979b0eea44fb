//! Incremental re-decoding for the tabu search.
//!
//! A move changes the machine predecessor of only a few operations (the
//! *roots*). Only operations reachable from the roots through precedence and
//! machine arcs can get new times; all others keep the times of the base
//! timing. Re-decoding just that part gives exactly what a full decode gives
//! (debug builds check this on every evaluation), at a fraction of the cost
//! when the move is late in the schedule.

use super::{DecodeError, Decoder, MachineState, Sequencing, Timing, finish_cost, positions};
use crate::model::{Model, OpId};

impl Decoder {
    /// Times of `seq` into `out`, given `base`, the times of a sequencing that
    /// differs from `seq` only in the machine predecessors of `roots`.
    /// `seq` must hold every unpinned operation.
    pub(crate) fn redecode(
        &mut self,
        model: &Model,
        seq: &Sequencing,
        base: &Timing,
        roots: &[OpId],
        out: &mut Timing,
    ) -> Result<(), DecodeError> {
        self.partial = false;
        out.clone_from(base);
        positions(seq, &mut self.pos);
        self.mark_affected(model, seq, roots);
        self.stack.clear();
        for k in 0..self.affected.len() {
            let op = self.affected[k];
            let marked_preds = model.preds[op.index()]
                .iter()
                .filter(|p| self.is_marked(**p))
                .count();
            let prev_marked = self.machine_prev(seq, op).is_some_and(|p| self.is_marked(p));
            self.indeg[op.index()] = (marked_preds + usize::from(prev_marked)) as u32;
            if self.indeg[op.index()] == 0 {
                self.stack.push(op);
            }
        }
        let mut done = 0;
        while let Some(op) = self.stack.pop() {
            done += 1;
            let mut st = self.state_before(model, seq, op, out);
            self.place_one(model, seq, op, &mut st, out)?;
            for &s in &model.succs[op.index()] {
                if self.is_marked(s) {
                    self.release(s);
                }
            }
            if let Some(s) = self.machine_next(seq, op).filter(|s| self.is_marked(*s)) {
                self.release(s);
            }
        }
        if done < self.affected.len() {
            return Err(DecodeError::Cycle);
        }
        finish_cost(model, out);
        Ok(())
    }

    fn is_marked(&self, op: OpId) -> bool {
        self.mark[op.index()] == self.stamp
    }

    fn machine_prev(&self, seq: &Sequencing, op: OpId) -> Option<OpId> {
        let k = self.pos[op.index()].checked_sub(1)?;
        seq.seqs[seq.machine_of[op.index()].index()].get(k).copied()
    }

    fn machine_next(&self, seq: &Sequencing, op: OpId) -> Option<OpId> {
        seq.seqs[seq.machine_of[op.index()].index()]
            .get(self.pos[op.index()] + 1)
            .copied()
    }

    /// Marks every unpinned operation reachable from `roots` and lists them.
    fn mark_affected(&mut self, model: &Model, seq: &Sequencing, roots: &[OpId]) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.fill(0);
            self.stamp = 1;
        }
        self.affected.clear();
        self.stack.clear();
        self.stack
            .extend(roots.iter().filter(|r| model.pinned_span[r.index()].is_none()));
        while let Some(op) = self.stack.pop() {
            if self.is_marked(op) {
                continue;
            }
            self.mark[op.index()] = self.stamp;
            self.affected.push(op);
            let (mark, stamp) = (&self.mark, self.stamp);
            self.stack.extend(
                model.succs[op.index()]
                    .iter()
                    .filter(|s| mark[s.index()] != stamp),
            );
            if let Some(next) = self.machine_next(seq, op) {
                self.stack.push(next);
            }
        }
    }

    /// The state of `op`'s machine right after its machine predecessor, as
    /// the full decoder would have it: pinned operations starting before that
    /// predecessor's end have been passed.
    fn state_before(&self, model: &Model, seq: &Sequencing, op: OpId, out: &Timing) -> MachineState {
        let machine = seq.machine_of[op.index()];
        let Some(prev) = self.machine_prev(seq, op) else {
            return MachineState::initial(model, machine);
        };
        let ready = out.end[prev.index()];
        let pinned = &model.pinned_on[machine.index()];
        let pinned_next =
            pinned.partition_point(|p| model.pinned_span[p.index()].is_some_and(|span| span.start < ready));
        MachineState {
            ready,
            family: model.ops[prev.index()].family,
            last: Some(prev),
            pinned_next,
        }
    }
}

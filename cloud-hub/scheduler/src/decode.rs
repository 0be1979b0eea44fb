//! Decoding: from machine sequences to start and end times.
//!
//! The search works on a [`Sequencing`] (which machine each operation uses and
//! in which order each machine runs its operations); this file turns one into
//! times. Every operation starts as early as its predecessors, its release
//! time, its machine's previous operation, the machine's pinned operations and
//! the calendar allow (a semi-active schedule). The decoder is the only place
//! that computes times, so the construction, the tabu search and the
//! rescheduler all produce plans by the same rules that the validator checks.

use crate::calendar::Interval;
use crate::model::{MachineId, Model, OpId};
use crate::plan::{Cost, Plan, ScheduledOp, weighted_tardiness};
use crate::setup::SetupFamily;

mod incremental;

/// Machine assignment of every operation and the order of the unpinned
/// operations on each machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sequencing {
    /// Machine of each operation (pinned ones: their pinned machine).
    pub(crate) machine_of: Vec<MachineId>,
    /// Unpinned operations per machine, in processing order.
    pub(crate) seqs: Vec<Vec<OpId>>,
}

/// What made an operation start when it did, for critical paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// Nothing movable: its release time, a calendar or a pinned operation.
    Source,
    /// The end of a precedence predecessor.
    Job(OpId),
    /// The end of the previous operation on its machine.
    Machine(OpId),
}

/// Times of every operation under one sequencing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timing {
    pub(crate) start: Vec<i64>,
    pub(crate) end: Vec<i64>,
    pub(crate) setup: Vec<i64>,
    pub(crate) link: Vec<Link>,
    /// Completion of each order (latest end of its operations).
    pub(crate) order_done: Vec<Option<i64>>,
    pub(crate) cost: Cost,
}

/// Why a sequencing has no times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Machine order contradicts precedence (directly or through other machines).
    Cycle,
    /// The operation fits nowhere in its machine's calendar.
    NoFit(OpId),
}

/// Where one machine stands while operations are appended to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MachineState {
    /// When the machine is free again.
    pub(crate) ready: i64,
    /// Setup family it is set up for.
    pub(crate) family: Option<SetupFamily>,
    /// Operation that ran last on it.
    pub(crate) last: Option<OpId>,
    /// Index of the first pinned operation not yet passed.
    pinned_next: usize,
}

impl MachineState {
    /// The state of `machine` at the start of the horizon.
    pub(crate) fn initial(model: &Model, machine: MachineId) -> Self {
        let family = model.machines[machine.index()].initial_family;
        Self {
            ready: i64::MIN / 4,
            family,
            last: None,
            pinned_next: 0,
        }
    }
}

/// The result of placing one operation on a machine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub(crate) span: Interval,
    pub(crate) setup: i64,
    /// The operation immediately before it on the machine.
    pub(crate) prev: Option<OpId>,
}

/// Places `op` on `machine` no earlier than `earliest`, after everything the
/// machine already holds, stepping past pinned operations it would collide
/// with (each passed pinned operation becomes the setup predecessor).
pub(crate) fn place(
    model: &Model,
    op: OpId,
    machine: MachineId,
    earliest: i64,
    st: &mut MachineState,
) -> Option<Placement> {
    let calendar = &model.machines[machine.index()].calendar;
    let pinned = &model.pinned_on[machine.index()];
    let o = &model.ops[op.index()];
    let run = model.run_on(op, machine)?;
    loop {
        let setup = model.setup_on(op, machine, st.family);
        let span = calendar.earliest_fit(earliest.max(st.ready), setup + run, o.splittable)?;
        let blocking = pinned
            .get(st.pinned_next)
            .and_then(|&p| Some((p, model.pinned_span[p.index()]?)))
            .filter(|(_, p_span)| p_span.start < span.end);
        match blocking {
            Some((p, p_span)) => {
                st.ready = st.ready.max(p_span.end);
                st.family = model.ops[p.index()].family;
                st.last = Some(p);
                st.pinned_next += 1;
            }
            None => {
                let prev = st.last;
                st.ready = span.end;
                st.family = o.family;
                st.last = Some(op);
                return Some(Placement { span, setup, prev });
            }
        }
    }
}

/// Reusable scratch space for decoding many sequencings of one model.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    indeg: Vec<u32>,
    /// Whether the sequencing being decoded leaves some unpinned operations out.
    partial: bool,
    /// Unpinned operations held by the sequencing being decoded (kept only when partial).
    present: Vec<bool>,
    next_on_machine: Vec<Option<OpId>>,
    stack: Vec<OpId>,
    states: Vec<MachineState>,
    /// Position of each operation in its machine sequence (incremental decoding).
    pos: Vec<usize>,
    /// `mark[i] == stamp` when operation `i` is affected by the move being re-decoded.
    mark: Vec<u32>,
    stamp: u32,
    affected: Vec<OpId>,
}

impl Decoder {
    /// Scratch space sized for `model`.
    pub(crate) fn new(model: &Model) -> Self {
        let n = model.ops.len();
        Self {
            indeg: vec![0; n],
            partial: false,
            present: vec![false; n],
            next_on_machine: vec![None; n],
            stack: Vec::with_capacity(n),
            states: Vec::with_capacity(model.machines.len()),
            pos: vec![0; n],
            mark: vec![0; n],
            stamp: 0,
            affected: Vec::with_capacity(n),
        }
    }

    /// Computes the times of `seq` into `out`. Operations that are neither
    /// pinned nor in a sequence are left out (times 0), and precedence arcs
    /// from them are ignored: this is how the rescheduler evaluates a partial
    /// sequencing while it inserts new operations.
    pub(crate) fn decode(
        &mut self,
        model: &Model,
        seq: &Sequencing,
        out: &mut Timing,
    ) -> Result<(), DecodeError> {
        self.prepare(model, seq, out);
        let held = seq.seqs.iter().map(Vec::len).sum::<usize>();
        let mut done = 0;
        while let Some(op) = self.stack.pop() {
            done += 1;
            let machine = seq.machine_of[op.index()].index();
            let mut st = self.states[machine];
            self.place_one(model, seq, op, &mut st, out)?;
            self.states[machine] = st;
            for &s in &model.succs[op.index()] {
                if !self.partial || self.present[s.index()] {
                    self.release(s);
                }
            }
            if let Some(s) = self.next_on_machine[op.index()] {
                self.release(s);
            }
        }
        if done < held {
            return Err(DecodeError::Cycle);
        }
        finish_cost(model, out);
        Ok(())
    }

    fn release(&mut self, op: OpId) {
        let d = &mut self.indeg[op.index()];
        *d -= 1;
        if *d == 0 {
            self.stack.push(op);
        }
    }

    /// Resets scratch space, fixes pinned times and seeds the ready stack.
    fn prepare(&mut self, model: &Model, seq: &Sequencing, out: &mut Timing) {
        let n = model.ops.len();
        let held: usize = seq.seqs.iter().map(Vec::len).sum();
        self.partial = held < model.unpinned_count;
        for v in [&mut out.start, &mut out.end, &mut out.setup] {
            if self.partial || v.len() != n {
                v.clear();
                v.resize(n, 0);
            }
        }
        out.link.resize(n, Link::Source);
        self.states.clear();
        self.states.extend(
            model
                .machines
                .iter()
                .enumerate()
                .map(|(m, _)| MachineState::initial(model, MachineId(m as u32))),
        );
        if self.partial {
            self.present.fill(false);
            for op in seq.seqs.iter().flatten() {
                self.present[op.index()] = true;
            }
        }
        for (i, span) in model.pinned_span.iter().enumerate() {
            if let Some(span) = span {
                out.start[i] = span.start;
                out.end[i] = span.end;
                out.setup[i] = model.ops[i].setup;
                out.link[i] = Link::Source;
            }
        }
        for list in &seq.seqs {
            for (k, &op) in list.iter().enumerate() {
                let waiting_on = if self.partial {
                    model.preds[op.index()]
                        .iter()
                        .filter(|p| self.present[p.index()])
                        .count() as u32
                } else {
                    model.unpinned_preds[op.index()]
                };
                self.indeg[op.index()] = waiting_on + u32::from(k > 0);
                self.next_on_machine[op.index()] = list.get(k + 1).copied();
            }
        }
        self.stack.clear();
        for list in seq.seqs.iter().rev() {
            self.stack
                .extend(list.iter().rev().filter(|op| self.indeg[op.index()] == 0));
        }
    }

    /// Places `op` on its machine starting from machine state `st`.
    fn place_one(
        &self,
        model: &Model,
        seq: &Sequencing,
        op: OpId,
        st: &mut MachineState,
        out: &mut Timing,
    ) -> Result<(), DecodeError> {
        let i = op.index();
        let mut earliest = model.ops[i].earliest_start;
        let mut job: Option<(OpId, i64)> = None;
        for &p in &model.preds[i] {
            if self.partial && !self.present[p.index()] && model.pinned_span[p.index()].is_none() {
                continue;
            }
            let e = out.end[p.index()];
            earliest = earliest.max(e);
            if job.is_none_or(|(_, best)| e > best) {
                job = Some((p, e));
            }
        }
        let placed = place(model, op, seq.machine_of[i], earliest, st).ok_or(DecodeError::NoFit(op))?;
        out.start[i] = placed.span.start;
        out.end[i] = placed.span.end;
        out.setup[i] = placed.setup;
        out.link[i] = choose_link(model, out, job, placed.prev);
        Ok(())
    }
}

/// The predecessor whose end bound the start: the later of the job and
/// machine predecessors (machine on ties, which gives longer blocks), or
/// `Source` when there is none or it is pinned (and so cannot move).
fn choose_link(model: &Model, out: &Timing, job: Option<(OpId, i64)>, prev: Option<OpId>) -> Link {
    let mach = prev.map(|p| (p, out.end[p.index()]));
    let (p, on_machine) = match (job, mach) {
        (Some((j, je)), Some((_, me))) if je > me => (j, false),
        (_, Some((m, _))) => (m, true),
        (Some((j, _)), None) => (j, false),
        (None, None) => return Link::Source,
    };
    if model.pinned_span[p.index()].is_some() {
        Link::Source
    } else if on_machine {
        Link::Machine(p)
    } else {
        Link::Job(p)
    }
}

fn finish_cost(model: &Model, out: &mut Timing) {
    out.order_done.clear();
    out.order_done.resize(model.orders.len(), None);
    let mut cost = Cost::default();
    for (i, op) in model.ops.iter().enumerate() {
        let end = out.end[i];
        cost.makespan = cost.makespan.max(end);
        cost.setup = cost.setup.saturating_add(out.setup[i]);
        let done = &mut out.order_done[op.order.index()];
        *done = Some(done.map_or(end, |d| d.max(end)));
    }
    cost.weighted_tardiness = weighted_tardiness(model, out.order_done.iter().copied());
    out.cost = cost;
}

impl Timing {
    /// The plan these times describe.
    pub(crate) fn to_plan(&self, seq: &Sequencing) -> Plan {
        let ops = (0..self.start.len())
            .map(|i| ScheduledOp {
                op: OpId(i as u32),
                machine: seq.machine_of[i],
                start: self.start[i],
                end: self.end[i],
                setup: self.setup[i],
            })
            .collect();
        Plan { ops }
    }
}

/// Position of every unpinned operation in its machine's sequence.
pub(crate) fn positions(seq: &Sequencing, pos: &mut Vec<usize>) {
    pos.resize(seq.machine_of.len(), 0);
    for list in &seq.seqs {
        for (k, op) in list.iter().enumerate() {
            pos[op.index()] = k;
        }
    }
}

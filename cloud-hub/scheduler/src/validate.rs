//! The validator: checks any plan against every constraint of a model.
//!
//! It trusts nothing in the plan: it recomputes from the model which setup
//! each operation needs (from the operation before it on its machine, by
//! start time), how long it takes on its machine, and where the calendar lets
//! it run, and reports every broken constraint as a typed [`Violation`]
//! naming the operation(s) and machine concerned. An empty list means valid.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{MachineId, Model, OpId};
use crate::plan::{Plan, ScheduledOp};

/// One broken constraint.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum Violation {
    /// The plan has an entry for an operation id the model does not have.
    #[error("plan entry for unknown operation id {id}")]
    UnknownOperation {
        /// The id.
        id: u32,
    },
    /// An operation has no entry.
    #[error("operation {op:?} is not scheduled")]
    Missing {
        /// The operation.
        op: String,
    },
    /// An operation has more than one entry.
    #[error("operation {op:?} is scheduled more than once")]
    Duplicate {
        /// The operation.
        op: String,
    },
    /// The machine is not one of the operation's alternatives (wrong equipment
    /// type, or not an allowed machine of that type), or not a machine at all.
    #[error("operation {op:?} may not run on machine {machine:?}")]
    MachineNotAllowed {
        /// The operation.
        op: String,
        /// The machine in the plan (its name, or `#id` when unknown).
        machine: String,
    },
    /// The setup minutes differ from what the previous operation on the machine implies.
    #[error("operation {op:?} has setup {actual} min, expected {expected} min")]
    WrongSetup {
        /// The operation.
        op: String,
        /// Setup minutes the model implies.
        expected: i64,
        /// Setup minutes in the plan.
        actual: i64,
    },
    /// The span `end - start` is not what the speed factor and calendar give.
    #[error("operation {op:?} spans {actual} min, expected {expected} min")]
    WrongDuration {
        /// The operation.
        op: String,
        /// Span in minutes that the model implies.
        expected: i64,
        /// Span in minutes in the plan.
        actual: i64,
    },
    /// The operation runs (or starts) outside its machine's working time.
    #[error("operation {op:?} runs outside the working time of machine {machine:?}")]
    OutsideCalendar {
        /// The operation.
        op: String,
        /// Its machine.
        machine: String,
    },
    /// Two operations share time on one machine.
    #[error("operations {first:?} and {second:?} overlap on machine {machine:?}")]
    Overlap {
        /// The one that starts first.
        first: String,
        /// The other one.
        second: String,
        /// The machine.
        machine: String,
    },
    /// An operation starts before its predecessor ends.
    #[error("operation {after:?} starts before its predecessor {before:?} ends")]
    Precedence {
        /// The predecessor.
        before: String,
        /// The successor.
        after: String,
    },
    /// An operation starts before its release / material-availability time.
    #[error("operation {op:?} starts at {start}, before its earliest start {earliest}")]
    BeforeEarliestStart {
        /// The operation.
        op: String,
        /// Its earliest start.
        earliest: i64,
        /// Its start in the plan.
        start: i64,
    },
    /// A pinned (in-progress) operation is not on its pinned machine at its pinned start.
    #[error("pinned operation {op:?} was moved")]
    PinnedMoved {
        /// The operation.
        op: String,
    },
}

/// Every constraint of `model` that `plan` breaks (empty when the plan is valid).
pub fn validate(model: &Model, plan: &Plan) -> Vec<Violation> {
    let mut out = Vec::new();
    let entries = index_entries(model, plan, &mut out);
    for (i, entry) in entries.iter().enumerate() {
        if let Some(e) = entry {
            check_placement(model, OpId(i as u32), e, &mut out);
        }
    }
    for m in model.machine_ids() {
        check_machine(model, plan, m, &mut out);
    }
    for &(a, b) in &model.precedences {
        if let (Some(ea), Some(eb)) = (entries[a.index()], entries[b.index()])
            && ea.end > eb.start
        {
            out.push(Violation::Precedence {
                before: op_name(model, a),
                after: op_name(model, b),
            });
        }
    }
    out
}

fn op_name(model: &Model, op: OpId) -> String {
    model.ops[op.index()].name.clone()
}

fn machine_name(model: &Model, m: MachineId) -> String {
    model
        .machine(m)
        .map_or_else(|| format!("#{}", m.0), |m| m.name.clone())
}

/// The first entry of each operation; reports unknown, missing and duplicate ones.
fn index_entries(model: &Model, plan: &Plan, out: &mut Vec<Violation>) -> Vec<Option<ScheduledOp>> {
    let mut entries: Vec<Option<ScheduledOp>> = vec![None; model.ops.len()];
    let mut duplicated = vec![false; model.ops.len()];
    for s in &plan.ops {
        match entries.get_mut(s.op.index()) {
            None => out.push(Violation::UnknownOperation { id: s.op.0 }),
            Some(slot @ None) => *slot = Some(*s),
            Some(Some(_)) => duplicated[s.op.index()] = true,
        }
    }
    for op in model.op_ids() {
        if entries[op.index()].is_none() {
            out.push(Violation::Missing {
                op: op_name(model, op),
            });
        } else if duplicated[op.index()] {
            out.push(Violation::Duplicate {
                op: op_name(model, op),
            });
        }
    }
    entries
}

/// Machine, pin and earliest-start checks of one entry.
fn check_placement(model: &Model, op: OpId, e: &ScheduledOp, out: &mut Vec<Violation>) {
    let o = &model.ops[op.index()];
    if model.run_on(op, e.machine).is_none() {
        out.push(Violation::MachineNotAllowed {
            op: o.name.clone(),
            machine: machine_name(model, e.machine),
        });
    }
    match o.pin {
        Some(pin) if pin.machine != e.machine || pin.start != e.start => {
            out.push(Violation::PinnedMoved { op: o.name.clone() });
        }
        Some(_) => {}
        None if e.start < o.earliest_start => out.push(Violation::BeforeEarliestStart {
            op: o.name.clone(),
            earliest: o.earliest_start,
            start: e.start,
        }),
        None => {}
    }
}

/// Overlap, setup, duration and calendar checks of the operations on one machine.
fn check_machine(model: &Model, plan: &Plan, m: MachineId, out: &mut Vec<Violation>) {
    let seq: Vec<ScheduledOp> = plan
        .machine_sequence(m)
        .into_iter()
        .filter(|s| s.op.index() < model.ops.len())
        .collect();
    let machine = &model.machines[m.index()];
    let mut family = machine.initial_family;
    let mut latest: Option<ScheduledOp> = None;
    for s in &seq {
        if let Some(l) = latest
            && l.end > s.start
        {
            out.push(Violation::Overlap {
                first: op_name(model, l.op),
                second: op_name(model, s.op),
                machine: machine.name.clone(),
            });
        }
        if latest.is_none_or(|l| s.end > l.end) {
            latest = Some(*s);
        }
        let o = &model.ops[s.op.index()];
        let expected_setup = if o.pin.is_some() {
            o.setup
        } else {
            model.setup_on(s.op, m, family)
        };
        family = o.family;
        let Some(run) = model.run_on(s.op, m) else {
            continue;
        };
        if s.setup != expected_setup {
            out.push(Violation::WrongSetup {
                op: o.name.clone(),
                expected: expected_setup,
                actual: s.setup,
            });
        }
        check_timing(model, s, expected_setup + run, out);
    }
}

/// Span and calendar of one entry that needs `work` minutes on its machine.
fn check_timing(model: &Model, s: &ScheduledOp, work: i64, out: &mut Vec<Violation>) {
    let o = &model.ops[s.op.index()];
    let machine = &model.machines[s.machine.index()];
    let outside = || Violation::OutsideCalendar {
        op: o.name.clone(),
        machine: machine.name.clone(),
    };
    let wrong = |expected: i64| Violation::WrongDuration {
        op: o.name.clone(),
        expected,
        actual: s.end - s.start,
    };
    if o.pin.is_some() {
        // In progress: its span is fixed by the model (see `Model::pinned_span`),
        // whatever the calendar says.
        let expected = model
            .pinned_span(s.op)
            .filter(|span| span.start == s.start)
            .map_or(work, |span| span.end - span.start);
        if s.end - s.start != expected {
            out.push(wrong(expected));
        }
    } else if o.splittable {
        match machine.calendar.earliest_fit(s.start, work, true) {
            Some(fit) if fit.start != s.start => out.push(outside()),
            Some(fit) if fit.end != s.end => out.push(wrong(fit.end - fit.start)),
            Some(_) => {}
            None => out.push(outside()),
        }
    } else if s.end - s.start != work {
        out.push(wrong(work));
    } else if !machine.calendar.contains_span(s.start, s.end) {
        out.push(outside());
    }
}

//! A what-if on the live plan, pure: checks each change against the
//! constraint it could break (refusing it with the constraint named),
//! applies the changes to a copy of the plan's steering, repairs the plan
//! around them (the moved operations fixed, the rest re-timed by the
//! stable repair; after a change of priorities or due dates the tabu
//! search improves on it for a short time, kept only if no fixed
//! operation moved), validates the result and compares it with the live
//! plan. The live plan is never changed here.

use super::steer::change::{Change, Refusal};
use super::steer::consequences::{Consequences, compare};
use super::steer::steering::{Fixed, FixedBy, Steering};
use crate::planning::stored::StoredPlan;
use mes_scheduler::{MachineId, Model, OpId, Plan, improve, reschedule, validate};
use std::collections::HashMap;
use std::time::Duration;

/// What a what-if runs against.
pub struct Attempt<'a> {
    /// The live plan.
    pub live: &'a StoredPlan,
    /// Its model.
    pub model: &'a Model,
    /// Equipment type of each machine code (for naming a wrong type).
    pub types: &'a HashMap<String, String>,
    /// Now, epoch ms (the draft's `made_at`).
    pub made_at: i64,
    /// How long the search may improve after a priority or due change.
    pub improve_budget: Duration,
}

/// A what-if's result.
#[derive(Debug)]
pub struct Outcome {
    /// The plan document it would store.
    pub stored: StoredPlan,
    /// Its model.
    pub model: Model,
    /// What it changes.
    pub consequences: Consequences,
    /// The changes in words.
    pub summary: String,
}

/// A refused change: its index among the changes, and why.
pub type Refused = (usize, Refusal);

struct Move {
    index: usize,
    op: OpId,
    machine: MachineId,
    start: i64,
}

fn not_in_plan(what: &'static str, name: &str) -> Refusal {
    Refusal::NotInPlan {
        what,
        name: name.to_string(),
    }
}

/// Runs `changes` against `attempt.live`.
pub fn try_changes(attempt: &Attempt<'_>, changes: &[Change]) -> Result<Outcome, Refused> {
    let live = attempt.live;
    let mut steering = live.steering.clone();
    let unsteered = steering
        .unsteered(attempt.model)
        .map_err(|e| (0, Refusal::Unschedulable(e.to_string())))?;
    let mut moves = Vec::new();
    let mut reoptimise = false;
    for (i, change) in changes.iter().enumerate() {
        let refuse = |r: Refusal| (i, r);
        match change {
            Change::Move { op, machine, start } => {
                let mv = check_move(attempt, &unsteered, &steering, op, machine.as_deref(), *start)
                    .map_err(refuse)?;
                let name = unsteered.machines()[mv.1.index()].name.clone();
                steering.fixed.insert(
                    op.clone(),
                    Fixed {
                        machine: name,
                        start: mv.2,
                        by: FixedBy::Move,
                    },
                );
                moves.push(Move {
                    index: i,
                    op: mv.0,
                    machine: mv.1,
                    start: mv.2,
                });
            }
            Change::Pin { op } => {
                let (id, machine, start) = current_place(attempt, &unsteered, op).map_err(refuse)?;
                let _ = id;
                steering.fixed.insert(
                    op.clone(),
                    Fixed {
                        machine,
                        start,
                        by: FixedBy::Pin,
                    },
                );
            }
            Change::Unpin { op } => {
                if steering.fixed.remove(op).is_none() {
                    return Err(refuse(Refusal::NotPinned { op: op.clone() }));
                }
            }
            Change::Priority { order, priority } => {
                require_order(&unsteered, order).map_err(refuse)?;
                steering.orders.entry(order.clone()).or_default().priority = Some(*priority);
                reoptimise = true;
            }
            Change::Due { order, due } => {
                require_order(&unsteered, order).map_err(refuse)?;
                let o = steering.orders.entry(order.clone()).or_default();
                o.due_set = true;
                o.due = *due;
                reoptimise = true;
            }
            Change::Freeze { until } => steering.frozen_until = *until,
        }
    }
    let (steered, problems) = steering
        .apply(&unsteered, Some((attempt.model, &live.plan)))
        .map_err(|e| (0, Refusal::Unschedulable(e.to_string())))?;
    let hint = hint_plan(attempt.model, &live.plan, &moves);
    let mut plan =
        reschedule(attempt.model, &hint, &steered).map_err(|e| (0, Refusal::Unschedulable(e.to_string())))?;
    if reoptimise && !attempt.improve_budget.is_zero() {
        plan = improved(&steered, plan, &steering, attempt.improve_budget);
    }
    if let Some(v) = validate(&steered, &plan).first() {
        return Err((0, Refusal::Unschedulable(v.to_string())));
    }
    for mv in &moves {
        check_landed(&steered, &plan, mv).map_err(|r| (mv.index, r))?;
    }
    let summary = changes.iter().map(Change::summary).collect::<Vec<_>>().join("; ");
    let consequences = compare((attempt.model, &live.plan), (&steered, &plan));
    let mut all_problems = live
        .problems
        .iter()
        .filter(|p| !p.reason.contains("may no longer use"))
        .cloned()
        .collect::<Vec<_>>();
    all_problems.extend(problems);
    let stored = StoredPlan {
        made_at: attempt.made_at,
        trigger: format!("steered: {summary}"),
        machines: steered.machines().to_vec(),
        orders: steered.orders().to_vec(),
        operations: steered.operations().to_vec(),
        precedences: steered.precedences().to_vec(),
        cost: plan.cost(&steered),
        plan,
        problems: all_problems,
        steering,
        ..live.clone()
    };
    Ok(Outcome {
        stored,
        model: steered,
        consequences,
        summary,
    })
}

fn require_order(model: &Model, order: &str) -> Result<(), Refusal> {
    if model.orders().iter().any(|o| o.name == order) {
        Ok(())
    } else {
        Err(not_in_plan("order", order))
    }
}

/// The operation's id, machine code and start in the live plan; refused
/// when it is not there or runs on the floor.
fn current_place(attempt: &Attempt<'_>, model: &Model, op: &str) -> Result<(OpId, String, i64), Refusal> {
    let id = model
        .find_operation(op)
        .ok_or_else(|| not_in_plan("operation", op))?;
    let entry = attempt
        .live
        .plan
        .get(id)
        .ok_or_else(|| not_in_plan("operation", op))?;
    let machine = model.machines()[entry.machine.index()].name.clone();
    if model.operations()[id.index()].pin.is_some() {
        return Err(Refusal::InProgress {
            op: op.to_string(),
            machine,
        });
    }
    Ok((id, machine, entry.start))
}

/// Checks a move against the machine, the earliest start (material, now,
/// frozen horizon) and the calendar; returns the operation, machine and start.
fn check_move(
    attempt: &Attempt<'_>,
    model: &Model,
    steering: &Steering,
    op: &str,
    machine: Option<&str>,
    start: Option<i64>,
) -> Result<(OpId, MachineId, i64), Refusal> {
    let (id, current, current_start) = current_place(attempt, model, op)?;
    let code = machine.unwrap_or(&current);
    let m = model.find_machine(code).ok_or_else(|| Refusal::UnknownMachine {
        machine: code.to_string(),
    })?;
    let o = &model.operations()[id.index()];
    let run = model
        .run_on(id, m)
        .ok_or_else(|| machine_not_allowed(attempt, model, id, code))?;
    let start = start.unwrap_or(current_start);
    if start < o.earliest_start {
        let wait = attempt.live.material_waits.iter().find(|w| w.op == op);
        return Err(match wait {
            Some(w) if start < w.available_at => Refusal::MaterialNotAvailable {
                op: op.to_string(),
                material: w.material.to_string(),
                start,
                available_at: w.available_at,
            },
            _ => Refusal::BeforeEarliestStart {
                op: op.to_string(),
                start,
                earliest: o.earliest_start,
            },
        });
    }
    if let Some(until) = steering.frozen_until.filter(|u| start < *u) {
        return Err(Refusal::BeforeEarliestStart {
            op: op.to_string(),
            start,
            earliest: until,
        });
    }
    let work = model.setup_on(id, m, None) + run;
    let fit = model.machines()[m.index()]
        .calendar
        .earliest_fit(start, work, o.splittable);
    if fit.is_none_or(|f| f.start != start) {
        return Err(Refusal::OutsideCalendar {
            op: op.to_string(),
            machine: code.to_string(),
            start,
            next: fit.map(|f| f.start),
        });
    }
    Ok((id, m, start))
}

fn machine_not_allowed(attempt: &Attempt<'_>, model: &Model, id: OpId, code: &str) -> Refusal {
    let allowed: Vec<&str> = model.operations()[id.index()]
        .alternatives
        .iter()
        .map(|a| model.machines()[a.machine.index()].name.as_str())
        .collect();
    let needed = allowed.first().and_then(|m| attempt.types.get(*m));
    let why = match (attempt.types.get(code), needed) {
        (Some(has), Some(needs)) if has != needs => {
            format!(" (it is a {has}; the operation needs a {needs})")
        }
        _ => String::new(),
    };
    Refusal::MachineNotAllowed {
        op: model.operations()[id.index()].name.clone(),
        machine: code.to_string(),
        why,
        allowed: allowed.join(", "),
    }
}

/// The live plan as the repair's sequence hint: each moved operation on
/// its new machine at its new start, ahead of every operation of that
/// machine that would still run then (the repair orders by start).
fn hint_plan(model: &Model, live: &Plan, moves: &[Move]) -> Plan {
    let mut hint = live.clone();
    for mv in moves {
        for s in &mut hint.ops {
            if s.op == mv.op {
                s.machine = mv.machine;
                s.start = mv.start;
                s.end = mv.start;
            } else if s.machine == mv.machine
                && s.start < mv.start
                && s.end > mv.start
                && model.operation(s.op).is_some_and(|o| o.pin.is_none())
            {
                s.start = mv.start;
            }
        }
    }
    hint
}

/// `plan` improved by the search for `budget`, if that is better and
/// leaves every fixed operation where the repair put it.
fn improved(model: &Model, plan: Plan, steering: &Steering, budget: Duration) -> Plan {
    let Ok(better) = improve(model, &plan, budget, 0) else {
        return plan;
    };
    let keeps_fixed = steering.fixed.keys().all(|name| {
        model.find_operation(name).is_none_or(|id| {
            plan.get(id).map(|s| (s.machine, s.start)) == better.get(id).map(|s| (s.machine, s.start))
        })
    });
    if keeps_fixed && better.cost(model) < plan.cost(model) && validate(model, &better).is_empty() {
        better
    } else {
        plan
    }
}

/// Whether a moved operation starts where it was put; else why not.
fn check_landed(model: &Model, plan: &Plan, mv: &Move) -> Result<(), Refusal> {
    let Some(entry) = plan.get(mv.op) else {
        return Err(Refusal::Unschedulable(
            "the moved operation was not planned".into(),
        ));
    };
    if entry.start == mv.start && entry.machine == mv.machine {
        return Ok(());
    }
    let name = model.operations()[mv.op.index()].name.clone();
    let latest_pred = model
        .precedences()
        .iter()
        .filter(|(_, after)| *after == mv.op)
        .filter_map(|(before, _)| Some((*before, plan.get(*before)?.end)))
        .max_by_key(|(_, end)| *end);
    match latest_pred {
        Some((pred, end)) if end > mv.start => Err(Refusal::BeforePredecessor {
            op: name,
            start: mv.start,
            predecessor: model.operations()[pred.index()].name.clone(),
            predecessor_end: end,
        }),
        _ => Err(Refusal::MachineBusy {
            op: name,
            machine: model.machines()[mv.machine.index()].name.clone(),
            start: mv.start,
            until: entry.start,
        }),
    }
}

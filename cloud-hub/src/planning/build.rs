//! Site data + floor facts + changes → a checked scheduling model.
//!
//! Rules (where the issue was silent, decided here):
//! - Times are whole minutes since the Unix epoch (UTC); `now` is the
//!   earliest start of every operation not yet started.
//! - An order is due at the end of its due day (local midnight after it);
//!   its weight is its priority.
//! - Run time = `run_minutes_per_unit` × the order quantity, rounded up;
//!   setup rounded up. Finished operations are left out; a started one is
//!   pinned at its machine and start (arcs into it are dropped: it runs,
//!   whatever its predecessors say).
//! - Alternatives: every active machine of the site of the operation's
//!   equipment type, at its speed factor.
//! - Material availability: an operation consuming a material that is
//!   short (the site's stock on hand does not cover what its open orders
//!   still need, `stock_cover.rs`) and has an open purchase-order line
//!   expected later than now waits for the start (local midnight) of the
//!   earliest such day: with the site's `material_waits = hold` (the
//!   default) as its earliest start, with `mark` only marked (planned as
//!   if the material were there). A receipt counts at the next re-plan.
//! - Orders that make a material another order's operation consumes
//!   precede that operation (sub-assemblies).
//! - An order that cannot be planned (no routing, no machine of a type,
//!   absurd durations) is left out and reported, not a failure of the site.

use super::calendars::{local_midnight, working_time};
use super::facts::{OperationFacts, op_key};
use super::input::SiteData;
use crate::masterdata::records::MaterialWaits;
use mes_protocols::Code;
use mes_scheduler::{
    Alternative, Interval, MAX_DURATION, MAX_WEIGHT, Machine, MachineId, Model, ModelBuilder, ModelError,
    OpId, Operation, Order, OrderId, Pin,
};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A machine taken out of the plan for a window (a breakdown, a what-if).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownWindow {
    /// The machine.
    pub equipment: Code,
    /// First minute it is unavailable (epoch minutes).
    pub from: i64,
    /// First minute it is available again.
    pub to: i64,
}

/// An order left out of the plan, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// The order (or operation key) concerned.
    pub subject: String,
    /// What is wrong.
    pub reason: String,
}

/// What the model is made for.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Now, epoch minutes.
    pub now: i64,
    /// End of the calendars' horizon, epoch minutes.
    pub horizon_end: i64,
}

/// An operation waiting for a material on order: it may not start before
/// the purchase order's expected day (the board marks it, a move before it
/// is refused naming the material).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialWait {
    /// The operation key `order/operation`.
    pub op: String,
    /// The material it waits for (the latest of its inputs on order).
    pub material: Code,
    /// When it is expected, epoch minutes (its earliest start).
    pub available_at: i64,
}

/// A built model and what was left out.
#[derive(Debug)]
pub struct Built {
    /// The model.
    pub model: Model,
    /// Orders and operations left out, or pins given up.
    pub problems: Vec<Problem>,
    /// Operations that wait for material on order.
    pub waits: Vec<MaterialWait>,
}

/// `minutes` (a decimal ≥ 0) rounded up to whole minutes, if in range.
fn whole_minutes(minutes: Decimal) -> Option<i64> {
    i64::try_from(minutes.ceil())
        .ok()
        .filter(|m| (0..=MAX_DURATION).contains(m))
}

/// Speed factor → percent of nominal, clamped to what the scheduler takes.
fn speed_percent(factor: Decimal) -> u32 {
    u32::try_from((factor * Decimal::ONE_HUNDRED).round()).map_or(100_000, |p| p.clamp(1, 100_000))
}

/// Earliest epoch minute each short material is available (see the
/// module doc).
pub fn material_ready(data: &SiteData, now: i64) -> HashMap<Code, i64> {
    let offset = data.utc_offset();
    let mut ready: HashMap<Code, i64> = HashMap::new();
    let lines = data.purchase_orders.iter().flat_map(|p| &p.lines);
    for line in lines.filter(|l| !data.covered.contains(&l.material)) {
        let at = local_midnight(line.expected_on, offset);
        if at > now {
            let entry = ready.entry(line.material.clone()).or_insert(at);
            *entry = (*entry).min(at);
        }
    }
    ready
}

/// One operation before its order has an id.
struct OpDraft {
    op: Operation,
    inputs: Vec<Code>,
    wait: Option<MaterialWait>,
}

/// Adds the machines in equipment order (so equipment `i` is machine `i`)
/// and returns the alternatives per equipment type.
fn add_machines(
    data: &SiteData,
    frame: Frame,
    down: &[DownWindow],
    b: &mut ModelBuilder,
) -> (Vec<MachineId>, HashMap<Code, Vec<Alternative>>) {
    let mut by_type: HashMap<Code, Vec<Alternative>> = HashMap::new();
    let mut ids = Vec::with_capacity(data.equipment.len());
    let offset = data.utc_offset();
    for e in &data.equipment {
        let mut calendar = working_time(data.calendar_of(e), &e.code, offset, frame.now, frame.horizon_end);
        for d in down.iter().filter(|d| d.equipment == e.code) {
            calendar = calendar.without(Interval::new(d.from, d.to));
        }
        let id = b.add_machine(Machine::new(e.code.as_str(), calendar));
        ids.push(id);
        by_type
            .entry(e.equipment_type.clone())
            .or_default()
            .push(Alternative::with_speed(id, speed_percent(e.speed_factor)));
    }
    (ids, by_type)
}

/// The open operations of `planned`, or why the order cannot be planned.
fn order_operations(
    planned: &super::input::PlannedOrder,
    ctx: &Context<'_>,
    problems: &mut Vec<Problem>,
) -> Result<Vec<OpDraft>, String> {
    if let Some(reason) = &planned.problem {
        return Err(reason.clone());
    }
    let o = &planned.order;
    let mut ops = Vec::new();
    for r in &planned.operations {
        let number = r.operation.to_string();
        let progress = ctx.facts.progress(o.code.as_str(), &number).unwrap_or_default();
        if progress.finished_at.is_some() {
            continue;
        }
        let alternatives = ctx
            .by_type
            .get(&r.equipment_type)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                format!(
                    "operation {number}: no equipment of type {} at site {}",
                    r.equipment_type, ctx.site
                )
            })?;
        let run = whole_minutes(r.run_minutes_per_unit * o.quantity);
        let (Some(setup), Some(run)) = (whole_minutes(r.setup_minutes), run) else {
            return Err(format!("operation {number}: setup or run time out of range"));
        };
        // The order id is set when the order is added.
        let mut op = Operation::new(
            op_key(o.code.as_str(), &number),
            ctx.placeholder,
            setup,
            run,
            alternatives.clone(),
        );
        op.splittable = r.splittable;
        let wait = r
            .inputs
            .iter()
            .filter_map(|i| Some((*ctx.ready.get(&i.material)?, &i.material)))
            .max_by_key(|(at, _)| *at);
        op.earliest_start = match (wait, ctx.waits) {
            (Some((at, _)), MaterialWaits::Hold) => at.max(ctx.frame.now),
            _ => ctx.frame.now,
        };
        if let (Some(at), Some(e)) = (progress.started_at, progress.equipment.as_ref()) {
            let machine = ctx
                .machine_of
                .get(e.as_str())
                .filter(|m| alternatives.iter().any(|a| a.machine == **m));
            match machine {
                Some(&machine) => {
                    op.pin = Some(Pin {
                        machine,
                        start: at.div_euclid(60_000),
                    })
                }
                None => problems.push(Problem {
                    subject: op.name.clone(),
                    reason: format!(
                        "started on {e}, which is not a machine of type {} at the site; planned as not started",
                        r.equipment_type
                    ),
                }),
            }
        }
        let inputs = r.inputs.iter().map(|i| i.material.clone()).collect();
        let wait = wait
            .filter(|(at, _)| *at > ctx.frame.now)
            .map(|(at, m)| MaterialWait {
                op: op.name.clone(),
                material: m.clone(),
                available_at: at,
            });
        ops.push(OpDraft { op, inputs, wait });
    }
    Ok(ops)
}

struct Context<'a> {
    site: &'a str,
    facts: &'a dyn OperationFacts,
    frame: Frame,
    by_type: HashMap<Code, Vec<Alternative>>,
    machine_of: HashMap<&'a str, MachineId>,
    ready: HashMap<Code, i64>,
    waits: MaterialWaits,
    placeholder: OrderId,
}

/// An order kept in the model: its code, the material it makes, and its
/// operations (id, consumed materials) in routing order.
type Kept = (Code, Code, Vec<(OpId, Vec<Code>)>);

/// Builds the model of `data` under `facts`, with `down` windows cut out
/// of the machines' calendars.
pub fn build(
    data: &SiteData,
    facts: &dyn OperationFacts,
    frame: Frame,
    down: &[DownWindow],
) -> Result<Built, ModelError> {
    let mut b = ModelBuilder::new();
    let (ids, by_type) = add_machines(data, frame, down, &mut b);
    // A placeholder order id, replaced before the model is built: ids are
    // only issued by the builder, so take the first order's.
    let placeholder = ModelBuilder::new().add_order(Order::new("placeholder"));
    let ctx = Context {
        site: &data.site,
        facts,
        frame,
        by_type,
        machine_of: data.equipment.iter().map(|e| e.code.as_str()).zip(ids).collect(),
        ready: material_ready(data, frame.now),
        waits: data
            .settings
            .as_ref()
            .map_or(MaterialWaits::default(), |s| s.material_waits),
        placeholder,
    };
    let offset = data.utc_offset();
    let mut problems = Vec::new();
    let mut kept: Vec<Kept> = Vec::new();
    let mut names: HashMap<String, OpId> = HashMap::new();
    let mut waits = Vec::new();
    for planned in &data.orders {
        let o = &planned.order;
        let ops = match order_operations(planned, &ctx, &mut problems) {
            Ok(ops) => ops,
            Err(reason) => {
                problems.push(Problem {
                    subject: o.code.to_string(),
                    reason,
                });
                continue;
            }
        };
        let order_id = b.add_order(Order {
            name: o.code.to_string(),
            due: o
                .due
                .and_then(|d| d.next_day())
                .map(|d| local_midnight(d, offset)),
            weight: i64::from(o.priority).min(MAX_WEIGHT),
        });
        let mut chain: Vec<(OpId, Vec<Code>)> = Vec::new();
        for OpDraft { mut op, inputs, wait } in ops {
            waits.extend(wait);
            op.order = order_id;
            let pinned = op.pin.is_some();
            let name = op.name.clone();
            let id = b.add_operation(op);
            names.insert(name, id);
            if let Some((prev, _)) = chain.last()
                && !pinned
            {
                b.add_precedence(*prev, id);
            }
            chain.push((id, inputs));
        }
        kept.push((o.code.clone(), o.material.clone(), chain));
    }
    let routing_only = b.clone();
    add_sub_assembly_arcs(&mut b, &kept);
    build_checked(b, routing_only, &names, &mut problems).map(|model| Built {
        model,
        problems,
        waits,
    })
}

/// Arcs from the last operation of an order making material X to every
/// unpinned operation of another order consuming X.
fn add_sub_assembly_arcs(b: &mut ModelBuilder, kept: &[Kept]) {
    for (code, _, ops) in kept {
        for (op, inputs) in ops {
            if b.operation_mut(*op).is_some_and(|o| o.pin.is_some()) {
                continue;
            }
            for (other, made, other_ops) in kept {
                if other != code
                    && inputs.contains(made)
                    && let Some((last, _)) = other_ops.last()
                {
                    b.add_precedence(*last, *op);
                }
            }
        }
    }
}

/// Builds, giving up what reality contradicts: a pin that overlaps another
/// (the later one is planned as not started) and sub-assembly arcs that
/// make a cycle (the orders are planned on their own routings).
fn build_checked(
    mut b: ModelBuilder,
    routing_only: ModelBuilder,
    names: &HashMap<String, OpId>,
    problems: &mut Vec<Problem>,
) -> Result<Model, ModelError> {
    let mut fallback = Some(routing_only);
    // Each retry unpins one operation or drops the sub-assembly arcs, so
    // this ends; the bound is a guard.
    for _ in 0..10_000 {
        match b.clone().build() {
            Ok(model) => return Ok(model),
            Err(ModelError::PinnedOverlap { second, machine, .. }) => {
                if let Some(&id) = names.get(&second) {
                    for builder in std::iter::once(&mut b).chain(fallback.as_mut()) {
                        if let Some(op) = builder.operation_mut(id) {
                            op.pin = None;
                        }
                    }
                }
                problems.push(Problem {
                    subject: second,
                    reason: format!("reported running on {machine} at the same time as another operation; planned as not started"),
                });
            }
            Err(ModelError::PrecedenceCycle { op }) if fallback.is_some() => {
                b = fallback.take().expect("checked by the guard");
                problems.push(Problem {
                    subject: op,
                    reason: "orders consume each other's materials in a cycle; sub-assembly links ignored"
                        .into(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    b.build()
}

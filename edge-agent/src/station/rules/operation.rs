//! Order scans start an operation here; pause, resume and finish change the
//! running one.
//!
//! Which operation an order scan starts: the first in routing order that is
//! neither finished nor running anywhere. An operator may name another one;
//! it is allowed when every operation before it has at least started
//! (operations may overlap, but not jump ahead of one nobody began).

use super::{Accepted, Ctx, Rejection, reject, worker_name};
use crate::station::state::{Pause, Run};
use mes_protocols::downlink::{OrderOperation, OrderRecord, ReasonKind};
use mes_protocols::event::{OperationPaused, OperationStarted};
use mes_protocols::{Code, EventBody, ExecutionId};
use rust_decimal::Decimal;

/// An order was scanned: start its operation here.
pub(super) fn start(ctx: &Ctx<'_>, order: &Code, wanted: Option<&Code>) -> Result<Accepted, Rejection> {
    let here = ctx.here();
    if let Some(run) = &here.run {
        return reject(format!(
            "{} operation {} is still open here: finish it first",
            run.order, run.operation
        ));
    }
    let Some(record) = ctx.data.order(order) else {
        return reject(format!("Order {order} is not released to this site"));
    };
    let op = choose(ctx, record, wanted)?;
    let equipment = fitting_equipment(ctx, op)?;
    check_workers(ctx, op, &here.workers)?;
    let run = Run {
        execution: ExecutionId::new_v7(),
        order: order.clone(),
        operation: op.operation.clone(),
        equipment: equipment.clone(),
        started_at: ctx.now,
        paused: None,
        consumed: Vec::new(),
        good: Decimal::ZERO,
        scrap: Decimal::ZERO,
        output_lots: Vec::new(),
    };
    let event = EventBody::OperationStarted(OperationStarted {
        run: ctx.run_ref(&run),
        equipment: equipment.clone(),
        workers: here.workers.iter().map(|w| w.worker.clone()).collect(),
    });
    let message = format!(
        "Started {order} operation {} {} on {equipment}",
        op.operation, op.name
    );
    let mut state = here;
    state.run = Some(run);
    ctx.accept(vec![event], ctx.floor_with(state), message)
}

/// The operation to start: `wanted`, if allowed, or the next one.
fn choose<'r>(
    ctx: &Ctx<'_>,
    order: &'r OrderRecord,
    wanted: Option<&Code>,
) -> Result<&'r OrderOperation, Rejection> {
    let started = |op: &OrderOperation| {
        ctx.floor.is_finished(&order.code, &op.operation)
            || ctx.floor.running_at(&order.code, &op.operation).is_some()
    };
    let Some(wanted) = wanted else {
        return match order.operations.iter().find(|op| !started(op)) {
            Some(op) => Ok(op),
            None if order.operations.is_empty() => reject(format!("Order {} has no operations", order.code)),
            None => reject(format!(
                "Every operation of {} is finished or running",
                order.code
            )),
        };
    };
    let Some(index) = order.operations.iter().position(|op| op.operation == *wanted) else {
        return reject(format!("Order {} has no operation {wanted}", order.code));
    };
    let op = &order.operations[index];
    if ctx.floor.is_finished(&order.code, wanted) {
        return reject(format!("{} operation {wanted} is already finished", order.code));
    }
    if let Some(at) = ctx.floor.running_at(&order.code, wanted) {
        return reject(format!("{} operation {wanted} already runs at {at}", order.code));
    }
    if let Some(before) = order.operations[..index].iter().find(|op| !started(op)) {
        return reject(format!(
            "{} operation {} must start before operation {wanted}",
            order.code, before.operation
        ));
    }
    Ok(op)
}

/// The station's equipment of the operation's type.
fn fitting_equipment<'d>(ctx: &'d Ctx<'_>, op: &OrderOperation) -> Result<&'d Code, Rejection> {
    let Some(station) = ctx.data.station(ctx.station) else {
        return reject(format!(
            "Station {} has no master data yet: waiting for the hub",
            ctx.station
        ));
    };
    let fits = station.equipment.iter().find(|code| {
        ctx.data
            .equipment(code)
            .is_some_and(|e| e.equipment_type == op.equipment_type)
    });
    match fits {
        Some(code) => Ok(code),
        None => reject(format!(
            "Operation {} needs a {} machine; station {} has none",
            op.operation, op.equipment_type, ctx.station
        )),
    }
}

/// A worker is clocked in here, of the operation's type when it needs one.
fn check_workers(
    ctx: &Ctx<'_>,
    op: &OrderOperation,
    workers: &[crate::station::state::ClockedWorker],
) -> Result<(), Rejection> {
    if workers.is_empty() {
        return reject(format!(
            "No worker clocked in at {}: scan a badge first",
            ctx.station
        ));
    }
    let Some(needed) = &op.worker_type else {
        return Ok(());
    };
    let fits = workers.iter().any(|w| {
        ctx.data
            .worker(&w.worker)
            .is_some_and(|r| r.worker_type == *needed)
    });
    if fits {
        return Ok(());
    }
    let present: Vec<String> = workers.iter().map(|w| worker_name(ctx.data, &w.worker)).collect();
    reject(format!(
        "Operation {} needs a worker of type {needed}; clocked in: {}",
        op.operation,
        present.join(", ")
    ))
}

/// Pause the running operation.
pub(super) fn pause(ctx: &Ctx<'_>, reason: Option<&Code>) -> Result<Accepted, Rejection> {
    let mut run = ctx.run()?;
    if run.paused.is_some() {
        return reject(format!(
            "{} operation {} is already paused",
            run.order, run.operation
        ));
    }
    if let Some(reason) = reason
        && ctx.data.reason(reason, ReasonKind::Pause).is_none()
        && ctx.data.reason(reason, ReasonKind::Downtime).is_none()
    {
        return reject(format!("Unknown pause reason {reason}"));
    }
    let event = EventBody::OperationPaused(OperationPaused {
        run: ctx.run_ref(&run),
        reason: reason.cloned(),
    });
    let message = format!("Paused {} operation {}", run.order, run.operation);
    run.paused = Some(Pause {
        since: ctx.now,
        reason: reason.cloned(),
    });
    let mut state = ctx.here();
    state.run = Some(run);
    ctx.accept(vec![event], ctx.floor_with(state), message)
}

/// Resume the paused operation.
pub(super) fn resume(ctx: &Ctx<'_>) -> Result<Accepted, Rejection> {
    let mut run = ctx.run()?;
    if run.paused.is_none() {
        return reject(format!("{} operation {} is not paused", run.order, run.operation));
    }
    let event = EventBody::OperationResumed(ctx.run_ref(&run));
    let message = format!("Resumed {} operation {}", run.order, run.operation);
    run.paused = None;
    let mut state = ctx.here();
    state.run = Some(run);
    ctx.accept(vec![event], ctx.floor_with(state), message)
}

/// Finish the running or paused operation.
pub(super) fn finish(ctx: &Ctx<'_>) -> Result<Accepted, Rejection> {
    let run = ctx.run()?;
    let event = EventBody::OperationFinished(ctx.run_ref(&run));
    let message = format!(
        "Finished {} operation {}: {} good, {} scrap",
        run.order,
        run.operation,
        run.good.normalize(),
        run.scrap.normalize()
    );
    let mut state = ctx.here();
    state.run = None;
    let mut floor = ctx.floor_with(state);
    floor.finished.push((run.order, run.operation));
    ctx.accept(vec![event], floor, message)
}

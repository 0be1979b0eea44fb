//! Lot scans: record that the running operation consumed a lot.
//!
//! Checks, in order: an operation runs here; the lot is known; its material
//! is an input of the operation; it is not blocked; it has not expired (by
//! the lot record or by the expiry date (AI 17) on a GS1 label); its
//! manufacturer is approved for the material, for the order's customer, on
//! this (UTC) day (`mes_protocols::approval`, the lists from the downlink);
//! the unit converts to the material's base unit.
//!
//! Quantity: as entered, or by default what the operation still needs of
//! the material: planned per unit × order quantity, minus what this run
//! already consumed, in the routing's unit. When that is used up, the
//! operator must enter the quantity.

use super::{Accepted, Ctx, Rejection, reject};
use crate::station::state::Consumption;
use mes_protocols::approval::{Question, Verdict, judge};
use mes_protocols::barcode::Scan;
use mes_protocols::downlink::{LotRecord, MaterialRecord, OperationInput, OrderOperation, format_date};
use mes_protocols::event::MaterialConsumed;
use mes_protocols::{Code, EventBody, Quantity};
use rust_decimal::Decimal;

/// Decimal places kept in a default quantity.
const DEFAULT_SCALE: u32 = 6;

/// A lot (factory label or GS1 label) was scanned.
pub(super) fn consume(
    ctx: &Ctx<'_>,
    scan: &Scan,
    quantity: Option<Decimal>,
    unit: Option<&Code>,
) -> Result<Accepted, Rejection> {
    let Some(lot_code) = scan.lot() else {
        return reject("This barcode names no lot (no batch/lot AI 10); scan the lot label");
    };
    let mut run = ctx.run()?;
    let Some(order) = ctx.data.order(&run.order) else {
        return reject(format!("Order {} is no longer released to this site", run.order));
    };
    let Some(op) = order.operations.iter().find(|op| op.operation == run.operation) else {
        return reject(format!(
            "Order {} no longer has operation {}",
            run.order, run.operation
        ));
    };
    let (lot, input) = find_lot(ctx, lot_code, op, &run.order)?;
    check_usable(ctx, lot, scan)?;
    let condition = check_approved(ctx, lot, order.customer.as_ref())?;
    let Some(material) = ctx.data.material(&lot.material) else {
        return reject(format!("Material {} has no master data yet", lot.material));
    };
    let unit = unit.unwrap_or(&input.unit).clone();
    let Some(factor) = material.factor_to_base(&unit) else {
        return reject(format!(
            "Unit {unit} is not a unit of {}: use {}",
            material.code,
            units(material)
        ));
    };
    let value = match quantity {
        Some(q) if q <= Decimal::ZERO => return reject("The quantity must be positive"),
        Some(q) => q,
        None => default_quantity(&run, material, input, order.quantity, factor)?,
    };
    let Some(base) = value.checked_mul(factor) else {
        return reject(format!("Quantity {value} {unit} is too large"));
    };
    let quantity = Quantity::new(value, unit.clone());
    let event = EventBody::MaterialConsumed(MaterialConsumed {
        run: ctx.run_ref(&run),
        material: material.code.clone(),
        lot: Some(lot.lot.clone()),
        quantity: quantity.clone(),
    });
    let message = format!(
        "Consumed {} {unit} of {} lot {}{condition}",
        value.normalize(),
        material.code,
        lot.lot
    );
    run.consumed.push(Consumption {
        material: material.code.clone(),
        lot: Some(lot.lot.clone()),
        quantity,
        base,
    });
    let mut state = ctx.here();
    state.run = Some(run);
    ctx.accept(vec![event], ctx.floor_with(state), message)
}

/// The lot with this code whose material the operation consumes.
fn find_lot<'d>(
    ctx: &'d Ctx<'_>,
    lot_code: &Code,
    op: &'d OrderOperation,
    order: &Code,
) -> Result<(&'d LotRecord, &'d OperationInput), Rejection> {
    let lots = ctx.data.lots_named(lot_code);
    if lots.is_empty() {
        return reject(format!("Unknown lot {lot_code}"));
    }
    for lot in &lots {
        if let Some(input) = op.inputs.iter().find(|i| i.material == lot.material) {
            return Ok((lot, input));
        }
    }
    let materials: Vec<&str> = lots.iter().map(|l| l.material.as_str()).collect();
    let needed: Vec<&str> = op.inputs.iter().map(|i| i.material.as_str()).collect();
    let needed = if needed.is_empty() {
        "no material".to_string()
    } else {
        needed.join(", ")
    };
    reject(format!(
        "Wrong material: lot {lot_code} is {}; {order} operation {} uses {needed}",
        materials.join(", "),
        op.operation
    ))
}

/// Not blocked, not expired (by record or label).
fn check_usable(ctx: &Ctx<'_>, lot: &LotRecord, scan: &Scan) -> Result<(), Rejection> {
    if lot.blocked {
        return reject(format!("Lot {} of {} is blocked", lot.lot, lot.material));
    }
    let today = ctx.now.to_datetime().date();
    let label_expiry = match scan {
        Scan::Gs1(message) => message.expiry(),
        _ => None,
    };
    let expired = [lot.expires_on, label_expiry]
        .into_iter()
        .flatten()
        .filter(|d| *d < today)
        .min();
    if let Some(date) = expired {
        return reject(format!(
            "Lot {} of {} expired on {}",
            lot.lot,
            lot.material,
            format_date(date)
        ));
    }
    Ok(())
}

/// The lot's maker is approved for its material (for `customer`'s orders);
/// a conditional approval's note for the answer (empty otherwise).
fn check_approved(ctx: &Ctx<'_>, lot: &LotRecord, customer: Option<&Code>) -> Result<String, Rejection> {
    let question = Question {
        lot: &lot.lot,
        material: &lot.material,
        manufacturer: lot.manufacturer.as_ref(),
        customer,
        on: ctx.now.to_datetime().date(),
    };
    match judge(ctx.data.approval(&lot.material), &question) {
        Ok(Verdict::Conditional { reason, expires_on }) => Ok(format!(
            " (maker approved on condition until {}: {reason})",
            format_date(expires_on)
        )),
        Ok(_) => Ok(String::new()),
        Err(refusal) => reject(refusal.message),
    }
}

/// What the run still needs of the input, in `factor`'s unit.
fn default_quantity(
    run: &crate::station::state::Run,
    material: &MaterialRecord,
    input: &OperationInput,
    order_quantity: Decimal,
    factor: Decimal,
) -> Result<Decimal, Rejection> {
    let planned = input.quantity_per_unit.checked_mul(order_quantity).and_then(|q| {
        material
            .factor_to_base(&input.unit)
            .and_then(|f| q.checked_mul(f))
    });
    let Some(planned) = planned else {
        return reject(format!(
            "The routing plans {} in {}, which is not a unit of it: enter the quantity",
            material.code, input.unit
        ));
    };
    let remaining = planned - run.consumed_base(&material.code);
    if remaining <= Decimal::ZERO {
        return reject(format!(
            "The planned {} {} of {} is consumed: enter the quantity",
            planned.normalize(),
            material.base_unit,
            material.code
        ));
    }
    match remaining.checked_div(factor) {
        Some(q) => Ok(q.round_dp(DEFAULT_SCALE).normalize()),
        None => reject(format!(
            "Cannot convert the planned quantity of {}",
            material.code
        )),
    }
}

fn units(material: &MaterialRecord) -> String {
    std::iter::once(material.base_unit.as_str())
        .chain(material.alt_units.iter().map(|a| a.unit.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

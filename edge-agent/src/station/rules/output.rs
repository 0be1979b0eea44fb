//! Output reports (good, scrap with its reason, a new output lot) and
//! downtime reasons.

use super::{Accepted, Ctx, Rejection, reject};
use mes_protocols::downlink::ReasonKind;
use mes_protocols::event::{DowntimeReasonAssigned, OutputReported};
use mes_protocols::{Code, EventBody};
use rust_decimal::Decimal;

/// Report good and scrap output of the running operation.
pub(super) fn report(
    ctx: &Ctx<'_>,
    good: Decimal,
    scrap: Decimal,
    scrap_reason: Option<&Code>,
) -> Result<Accepted, Rejection> {
    let mut run = ctx.run()?;
    if good < Decimal::ZERO || scrap < Decimal::ZERO {
        return reject("Good and scrap must not be negative");
    }
    if good.is_zero() && scrap.is_zero() {
        return reject("Enter a good or scrap quantity");
    }
    if scrap > Decimal::ZERO {
        match scrap_reason {
            None => return reject("Choose a scrap reason for the scrap"),
            Some(r) if ctx.data.reason(r, ReasonKind::Scrap).is_none() => {
                return reject(format!("Unknown scrap reason {r}"));
            }
            Some(_) => {}
        }
    }
    let Some(order) = ctx.data.order(&run.order) else {
        return reject(format!("Order {} is no longer released to this site", run.order));
    };
    let output = order
        .operations
        .iter()
        .find(|op| op.operation == run.operation)
        .and_then(|op| op.output.clone());
    let (material, unit) = match output {
        Some(m) if m != order.material => {
            let unit = ctx.data.material(&m).map(|r| r.base_unit.clone());
            let Some(unit) = unit else {
                return reject(format!("Output material {m} has no master data yet"));
            };
            (m, unit)
        }
        _ => (order.material.clone(), order.unit.clone()),
    };
    let mut floor = ctx.floor.clone();
    let lot = if good > Decimal::ZERO {
        floor.output_lots += 1;
        Some(output_lot(&run.order, &run.operation, floor.output_lots))
    } else {
        None
    };
    let event = EventBody::OutputReported(OutputReported {
        run: ctx.run_ref(&run),
        material: material.clone(),
        good,
        scrap,
        unit: unit.clone(),
        scrap_reason: scrap_reason.filter(|_| scrap > Decimal::ZERO).cloned(),
        lot: lot.clone(),
    });
    let (Some(total_good), Some(total_scrap)) = (run.good.checked_add(good), run.scrap.checked_add(scrap))
    else {
        return reject("Quantity too large");
    };
    run.good = total_good;
    run.scrap = total_scrap;
    run.output_lots.extend(lot.clone());
    let mut message = format!(
        "Reported {} good, {} scrap {unit} of {material}",
        good.normalize(),
        scrap.normalize()
    );
    if let Some(lot) = &lot {
        message.push_str(&format!("; output lot {lot}"));
    }
    floor.stations.entry(ctx.station.clone()).or_default().run = Some(run);
    let mut accepted = ctx.accept(vec![event], floor, message)?;
    accepted.output_lot = lot;
    Ok(accepted)
}

/// The output lot's code: order, operation and a per-agent number, or (if
/// that would be too long for a code) a fresh unique id.
fn output_lot(order: &Code, operation: &Code, number: u64) -> Code {
    Code::parse(&format!("{order}-{operation}-{number}")).unwrap_or_else(|_| {
        Code::parse(&format!(
            "OUT-{}",
            mes_protocols::ExecutionId::new_v7().0.simple()
        ))
        .expect("OUT- and 32 hex digits are a valid code")
    })
}

/// Give the reason for a stop of one of the station's machines.
pub(super) fn downtime(
    ctx: &Ctx<'_>,
    reason: &Code,
    equipment: Option<&Code>,
) -> Result<Accepted, Rejection> {
    let Some(reason_record) = ctx.data.reason(reason, ReasonKind::Downtime) else {
        return reject(format!("Unknown downtime reason {reason}"));
    };
    let station_equipment = ctx
        .data
        .station(ctx.station)
        .map(|s| s.equipment.clone())
        .unwrap_or_default();
    let equipment = match equipment {
        Some(e) if station_equipment.contains(e) => e.clone(),
        Some(e) => return reject(format!("Equipment {e} is not at station {}", ctx.station)),
        None => match station_equipment.first() {
            Some(e) => e.clone(),
            None => {
                return reject(format!(
                    "Station {} has no equipment in the master data",
                    ctx.station
                ));
            }
        },
    };
    let down_since = ctx.down_since.get(&equipment).copied().unwrap_or(ctx.now);
    let event = EventBody::DowntimeReasonAssigned(DowntimeReasonAssigned {
        equipment: equipment.clone(),
        reason: reason.clone(),
        down_since,
        station: Some(ctx.station.clone()),
    });
    let message = format!("{equipment} stop: {}", reason_record.text);
    ctx.accept(vec![event], ctx.floor.clone(), message)
}

//! Planned against actual per operation of a production order, from the
//! floor's operation facts and the ledger's issues and receipts: the
//! production order report. `order_report.rs` adds the stock status of
//! each input and the cost by element.
//!
//! Time rules: a run lasts from its `operation_started` to its
//! `operation_finished` (or now, while it runs), less its pauses (each
//! `operation_paused` to the next `operation_resumed`, or to the finish).
//! Facts are read in the order things happened, so late events give the
//! same figures as punctual ones.

pub use super::report::{MaterialUse, OperationActuals, OrderActuals};
use crate::arith::{self, OutOfRange};
use crate::error::HubError;
use crate::masterdata::records::ProductionOrder;
use crate::masterdata::service;
use crate::stock::{Amount, MovementKind};
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::Timestamp;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One run of an operation as its facts tell it: (operation, start,
/// finish, open pause's start, paused ms so far), unix ms.
type Run = (String, Option<i64>, Option<i64>, Option<i64>, i64);

/// Milliseconds as minutes, rounded half to even to 0.01 minute (the
/// report's stated precision).
fn minutes(ms: i64) -> Decimal {
    (Decimal::from(ms) / Decimal::from(60_000)).round_dp(2)
}

/// The planned-against-actual report of order `code` now.
pub async fn actuals(store: &Store, tenant: TenantId, code: &str) -> Result<OrderActuals, HubError> {
    actuals_at(store, tenant, code, crate::store::now_ms()).await
}

/// The report of order `code` as of `now` (unix ms): open runs end there,
/// stock and costs are taken there.
pub async fn actuals_at(
    store: &Store,
    tenant: TenantId,
    code: &str,
    now: i64,
) -> Result<OrderActuals, HubError> {
    let (order, mut report) = actuals_with_stock_at(store, tenant, code, now).await?;
    super::order_report::add_cost(store, tenant, &order, &mut report, now).await?;
    Ok(report)
}

/// [`actuals_at`] without the cost by element (left at zero), for a page
/// that shows the order's cost report instead (costing it once, and only
/// for viewers who may see costs); with the order it is of.
pub async fn actuals_with_stock_at(
    store: &Store,
    tenant: TenantId,
    code: &str,
    now: i64,
) -> Result<(ProductionOrder, OrderActuals), HubError> {
    let order: ProductionOrder = service::get::<ProductionOrder>(store, tenant, code).await?.record;
    // Figures out of the range of a decimal (data stored before entry was
    // bounded) are an error naming the order, never a panic.
    let out_of_range = |_: OutOfRange| HubError::InvalidState {
        kind: "production order",
        code: code.to_string(),
        reason: "a planned or actual quantity of the order is out of the range of a decimal".into(),
    };
    let facts = store
        .operation_facts(tenant, code.to_string())
        .await
        .map_err(HubError::Store)?;
    let movements = store
        .movements_of_order(tenant, code.to_string())
        .await
        .map_err(HubError::Store)?;
    let mut ops: BTreeMap<String, OperationActuals> = BTreeMap::new();
    for op in &order.operations {
        let planned_minutes = arith::mul(op.run_minutes_per_unit, order.quantity)
            .and_then(|run| arith::add(op.setup_minutes, run))
            .map_err(out_of_range)?;
        let mut materials = Vec::with_capacity(op.inputs.len());
        for i in &op.inputs {
            materials.push(MaterialUse {
                material: i.material.to_string(),
                planned: arith::mul(i.quantity_per_unit, order.quantity).map_err(out_of_range)?,
                planned_unit: i.unit.to_string(),
                consumed: BTreeMap::new(),
                stock: None,
            });
        }
        ops.insert(
            op.operation.to_string(),
            OperationActuals {
                operation: op.operation.to_string(),
                name: op.name.clone(),
                planned_minutes,
                materials,
                ..OperationActuals::default()
            },
        );
    }
    let mut runs: BTreeMap<String, Run> = BTreeMap::new();
    for fact in &facts {
        let op = ops
            .entry(fact.operation.clone())
            .or_insert_with(|| OperationActuals {
                operation: fact.operation.clone(),
                ..OperationActuals::default()
            });
        let data: serde_json::Value = serde_json::from_str(&fact.body).unwrap_or_default();
        let run = runs
            .entry(fact.execution.clone())
            .or_insert((fact.operation.clone(), None, None, None, 0));
        match fact.kind.as_str() {
            "operation_started" => run.1 = Some(run.1.map_or(fact.occurred_at, |s| s.min(fact.occurred_at))),
            "operation_paused" => run.3 = Some(fact.occurred_at),
            "operation_resumed" => {
                if let Some(p) = run.3.take() {
                    run.4 = run.4.saturating_add(fact.occurred_at.saturating_sub(p));
                }
            }
            "operation_finished" => {
                if let Some(p) = run.3.take() {
                    run.4 = run.4.saturating_add(fact.occurred_at.saturating_sub(p));
                }
                run.2 = Some(fact.occurred_at);
            }
            "material_consumed" => {
                let material = data["material"].as_str().unwrap_or_default().to_string();
                let unit = data["quantity"]["unit"].as_str().unwrap_or_default().to_string();
                let value: Decimal = data["quantity"]["value"]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_default();
                let entry = match op.materials.iter_mut().position(|m| m.material == material) {
                    Some(i) => &mut op.materials[i],
                    None => {
                        op.materials.push(MaterialUse {
                            material: material.clone(),
                            ..MaterialUse::default()
                        });
                        let last = op.materials.len() - 1;
                        &mut op.materials[last]
                    }
                };
                arith::add_to(entry.consumed.entry(unit).or_default(), value).map_err(out_of_range)?;
            }
            "output_reported" => {
                let dec = |v: &serde_json::Value| -> Decimal {
                    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_default()
                };
                arith::add_to(&mut op.good, dec(&data["good"])).map_err(out_of_range)?;
                let scrap = dec(&data["scrap"]);
                arith::add_to(&mut op.scrap, scrap).map_err(out_of_range)?;
                if scrap > Decimal::ZERO {
                    let reason = data["scrap_reason"].as_str().unwrap_or("unknown").to_string();
                    arith::add_to(op.scrap_reasons.entry(reason).or_default(), scrap)
                        .map_err(out_of_range)?;
                }
            }
            _ => {}
        }
    }
    for (operation, start, finish, pause, paused) in runs.into_values() {
        let Some(start) = start else { continue };
        let Some(op) = ops.get_mut(&operation) else {
            continue;
        };
        op.runs += 1;
        let end = finish.unwrap_or(now);
        let open_pause = pause.map_or(0, |p| end - p);
        let active = end
            .saturating_sub(start)
            .saturating_sub(paused)
            .saturating_sub(open_pause)
            .max(0);
        arith::add_to(&mut op.actual_minutes, minutes(active)).map_err(out_of_range)?;
        op.running |= finish.is_none();
        let start = Timestamp::from_unix_millis(start);
        op.started_at = Some(op.started_at.map_or(start, |s| s.min(start)));
        if let Some(f) = finish {
            let f = Timestamp::from_unix_millis(f);
            op.finished_at = Some(op.finished_at.map_or(f, |x| x.max(f)));
        }
    }
    let mut issued: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut received = Decimal::ZERO;
    for m in &movements {
        let Amount::Delta(d) = m.amount else { continue };
        match m.kind {
            MovementKind::Issue => {
                let total = issued.entry(m.key.material.to_string()).or_default();
                *total = arith::sub(*total, d).map_err(out_of_range)?;
            }
            MovementKind::OutputReceipt if m.key.material == order.material => {
                arith::add_to(&mut received, d).map_err(out_of_range)?;
            }
            _ => {}
        }
    }
    let mut operations: Vec<OperationActuals> = ops.into_values().collect();
    operations.sort_by_key(|o| o.operation.parse::<u64>().unwrap_or(u64::MAX));
    let mut report = OrderActuals {
        order: order.code.to_string(),
        status: order.status.as_str().to_string(),
        quantity: order.quantity,
        received,
        issued,
        operations,
        cost: super::report::CostByElement::default(),
    };
    super::order_report::add_stock(store, tenant, &order, &mut report, now).await?;
    Ok((order, report))
}

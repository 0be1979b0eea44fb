//! Reads the shortage report's input from the store.

use super::shortage::{Need, ShortageReport, Supply, shortages};
use crate::arith::{self, OutOfRange};
use crate::costing::load::all;
use crate::error::HubError;
use crate::masterdata::records::{Material, OrderStatus, ProductionOrder, ProductionStatus, PurchaseOrder};
use crate::stock::{Amount, MovementKind};
use crate::store::Store;
use crate::store::TenantId;
use crate::store::ledger::BalanceQuery;
use mes_protocols::Code;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The shortage report of `tenant` now.
pub async fn shortage_report(store: &Store, tenant: TenantId) -> Result<ShortageReport, HubError> {
    // A figure out of the range of a decimal (stored before values were
    // bounded) is an error naming the record, never a panic.
    let out_of_range = |kind: &'static str, code: String| {
        move |_: OutOfRange| HubError::InvalidState {
            kind,
            code,
            reason: "a quantity of the shortage report is out of the range of a decimal".into(),
        }
    };
    let materials: BTreeMap<Code, Material> = all::<Material>(store, tenant)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let orders: Vec<ProductionOrder> = all::<ProductionOrder>(store, tenant)
        .await?
        .into_iter()
        .filter(|o| {
            matches!(
                o.status,
                ProductionStatus::Released | ProductionStatus::InProgress
            )
        })
        .collect();
    let mut needs: BTreeMap<(String, String), Need> = BTreeMap::new();
    for order in &orders {
        let Some(site) = &order.site else { continue };
        for op in &order.operations {
            for input in &op.inputs {
                let Some(material) = materials.get(&input.material) else {
                    continue;
                };
                let need_of_order = arith::mul(
                    material.base_units_per(&input.unit).unwrap_or(Decimal::ONE),
                    input.quantity_per_unit,
                )
                .and_then(|per_unit| arith::mul(per_unit, order.quantity))
                .map_err(out_of_range("production order", order.code.to_string()))?;
                let need = needs
                    .entry((order.code.to_string(), input.material.to_string()))
                    .or_insert_with(|| Need {
                        order: order.code.to_string(),
                        site: site.to_string(),
                        material: input.material.to_string(),
                        required: Decimal::ZERO,
                        issued: Decimal::ZERO,
                        due: order.due,
                        released_at: order.released_at.map_or(0, |t| t.unix_millis()),
                    });
                arith::add_to(&mut need.required, need_of_order)
                    .map_err(out_of_range("production order", order.code.to_string()))?;
            }
        }
    }
    let needed: BTreeSet<String> = needs.keys().map(|(_, m)| m.clone()).collect();
    let purchase_orders: Vec<PurchaseOrder> = all::<PurchaseOrder>(store, tenant)
        .await?
        .into_iter()
        .filter(|p| p.status == OrderStatus::Open)
        .collect();
    let mut on_hand: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut received: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for material in &needed {
        let balances = store
            .balances(
                tenant,
                BalanceQuery {
                    material: Some(material.clone()),
                    limit: usize::MAX >> 1,
                    ..BalanceQuery::default()
                },
            )
            .await
            .map_err(HubError::Store)?;
        for b in balances {
            arith::add_to(on_hand.entry((b.site, material.clone())).or_default(), b.quantity)
                .map_err(out_of_range("material", material.clone()))?;
        }
        let rows = store
            .movements_of(tenant, material.clone(), None, None)
            .await
            .map_err(HubError::Store)?;
        for m in rows {
            let Amount::Delta(delta) = m.amount else { continue };
            match (m.kind, &m.order, &m.purchase_order) {
                (MovementKind::Issue, Some(order), _) => {
                    if let Some(need) = needs.get_mut(&(order.to_string(), material.clone())) {
                        need.issued = arith::sub(need.issued, delta)
                            .map_err(out_of_range("production order", order.to_string()))?;
                    }
                }
                (MovementKind::PurchaseReceipt, _, Some(po)) => {
                    arith::add_to(
                        received.entry((po.to_string(), material.clone())).or_default(),
                        delta,
                    )
                    .map_err(out_of_range("purchase order", po.to_string()))?;
                }
                _ => {}
            }
        }
    }
    let mut supplies = Vec::new();
    for po in &purchase_orders {
        for line in &po.lines {
            let Some(material) = materials.get(&line.material) else {
                continue;
            };
            if !needed.contains(line.material.as_str()) {
                continue;
            }
            let ordered = arith::mul(
                material.base_units_per(&line.unit).unwrap_or(Decimal::ONE),
                line.quantity,
            )
            .map_err(out_of_range("purchase order", po.code.to_string()))?;
            // Receipts name the order, not the line: they fill its lines of
            // the material in line order.
            let got = received
                .entry((po.code.to_string(), line.material.to_string()))
                .or_default();
            let filled = ordered.min(*got);
            *got = arith::sub(*got, filled).map_err(out_of_range("purchase order", po.code.to_string()))?;
            if ordered > filled {
                supplies.push(Supply {
                    purchase_order: po.code.to_string(),
                    line: line.line,
                    site: po.site.to_string(),
                    material: line.material.to_string(),
                    open: arith::sub(ordered, filled)
                        .map_err(out_of_range("purchase order", po.code.to_string()))?,
                    expected_on: line.expected_on,
                });
            }
        }
    }
    shortages(needs.into_values().collect(), &on_hand, supplies).map_err(|_| HubError::InvalidState {
        kind: "shortage report",
        code: String::new(),
        reason: "a summed quantity of the report is out of the range of a decimal".into(),
    })
}

//! Reads the shortage report's input from the store.

use super::shortage::{Need, ShortageReport, Supply, shortages};
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
                let per_unit =
                    material.base_units_per(&input.unit).unwrap_or(Decimal::ONE) * input.quantity_per_unit;
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
                need.required += per_unit * order.quantity;
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
            *on_hand.entry((b.site, material.clone())).or_default() += b.quantity;
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
                        need.issued -= delta;
                    }
                }
                (MovementKind::PurchaseReceipt, _, Some(po)) => {
                    *received.entry((po.to_string(), material.clone())).or_default() += delta;
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
            let ordered = material.base_units_per(&line.unit).unwrap_or(Decimal::ONE) * line.quantity;
            // Receipts name the order, not the line: they fill its lines of
            // the material in line order.
            let got = received
                .entry((po.code.to_string(), line.material.to_string()))
                .or_default();
            let filled = ordered.min(*got);
            *got -= filled;
            if ordered > filled {
                supplies.push(Supply {
                    purchase_order: po.code.to_string(),
                    line: line.line,
                    site: po.site.to_string(),
                    material: line.material.to_string(),
                    open: ordered - filled,
                    expected_on: line.expected_on,
                });
            }
        }
    }
    Ok(shortages(needs.into_values().collect(), &on_hand, supplies))
}

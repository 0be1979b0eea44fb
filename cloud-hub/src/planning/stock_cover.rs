//! Which materials on order the site's stock already covers (issue 17,
//! item 4: an operation waits for material only when the material is
//! short). A material is covered when the site's stock on hand now is at
//! least what the site's open orders still need of it: the routing's
//! quantity per unit × the order quantity (in base units) less what was
//! already issued to the order, summed over the site's released and
//! in-progress orders. Planned production of the material is not counted,
//! as in the shortage report. Only materials on an open purchase order
//! line are looked at: the others never wait.

use crate::error::HubError;
use crate::masterdata::records::{Material, ProductionOrder, PurchaseOrder, RoutingOperation};
use crate::masterdata::service;
use crate::stock::{Amount, MovementKind};
use crate::store::ledger::BalanceQuery;
use crate::store::{Store, TenantId};
use mes_protocols::Code;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

/// The materials on `purchase_orders` whose stock at `site` covers what
/// `orders` (each with the operations it runs) still need.
pub async fn covered_materials(
    store: &Store,
    tenant: TenantId,
    site: &str,
    orders: &[(&ProductionOrder, &[RoutingOperation])],
    purchase_orders: &[PurchaseOrder],
) -> Result<HashSet<Code>, HubError> {
    let on_order: HashSet<&Code> = purchase_orders
        .iter()
        .flat_map(|p| &p.lines)
        .map(|l| &l.material)
        .collect();
    let mut need: HashMap<Code, Decimal> = HashMap::new();
    let mut units: HashMap<Code, Option<Material>> = HashMap::new();
    for (order, operations) in orders {
        for op in *operations {
            for input in op.inputs.iter().filter(|i| on_order.contains(&i.material)) {
                if !units.contains_key(&input.material) {
                    let material =
                        match service::get::<Material>(store, tenant, input.material.as_str()).await {
                            Ok(m) => Some(m.record),
                            Err(HubError::NotFound { .. }) => None,
                            Err(e) => return Err(e),
                        };
                    units.insert(input.material.clone(), material);
                }
                let factor = units
                    .get(&input.material)
                    .and_then(Option::as_ref)
                    .and_then(|m| m.base_units_per(&input.unit))
                    .unwrap_or(Decimal::ONE);
                let amount = input
                    .quantity_per_unit
                    .checked_mul(order.quantity)
                    .and_then(|q| q.checked_mul(factor))
                    .unwrap_or(Decimal::MAX);
                let entry = need.entry(input.material.clone()).or_default();
                *entry = entry.saturating_add(amount);
            }
        }
    }
    if need.is_empty() {
        return Ok(HashSet::new());
    }
    let codes = orders.iter().map(|(o, _)| o.code.to_string()).collect();
    for m in store
        .movements_of_orders(tenant, codes)
        .await
        .map_err(HubError::Store)?
    {
        let (MovementKind::Issue, Amount::Delta(delta)) = (m.kind, m.amount) else {
            continue;
        };
        if let Some(entry) = need.get_mut(&m.key.material) {
            // An issue's delta is negative: it lowers what is still needed.
            *entry = entry.saturating_add(delta);
        }
    }
    let mut covered = HashSet::new();
    for (material, needed) in need {
        let balances = store
            .balances(
                tenant,
                BalanceQuery {
                    material: Some(material.to_string()),
                    site: Some(site.to_string()),
                    limit: usize::MAX >> 1,
                    ..BalanceQuery::default()
                },
            )
            .await
            .map_err(HubError::Store)?;
        let on_hand = balances
            .iter()
            .fold(Decimal::ZERO, |sum, b| sum.saturating_add(b.quantity))
            .max(Decimal::ZERO);
        if on_hand >= needed.max(Decimal::ZERO) {
            covered.insert(material);
        }
    }
    Ok(covered)
}

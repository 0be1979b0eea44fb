//! Reads what the costing needs from the store: ledger rows (with the site
//! of each location), standard costs, orders, rates, overhead rules, and
//! the floor's run, clock and equipment-state facts (`floor_log.rs`, read
//! from the event log by kind and site, so late events count as soon as
//! they are stored).

use super::engine::{CostingInput, OrderInfo, Rates};
use super::master::CostingMaster;
use super::time::{FloorFact, TimedFact};
use super::valuation::SitedMovement;
use crate::error::HubError;
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::Code;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub use crate::masterdata::service::all_records as all;

/// Everything the engine needs for `tenant`, costed as of `as_of` (unix ms).
pub async fn load(store: &Store, tenant: TenantId, as_of: i64) -> Result<CostingInput, HubError> {
    let master = CostingMaster::cached(store, tenant).await?;
    load_with(store, tenant, &master, as_of).await
}

/// [`load`] with the master data already read.
pub async fn load_with(
    store: &Store,
    tenant: TenantId,
    master: &CostingMaster,
    as_of: i64,
) -> Result<CostingInput, HubError> {
    let movements = store.all_movements(tenant).await.map_err(HubError::Store)?;
    let facts = super::floor_log::floor_facts(store, tenant).await?;
    Ok(assemble(master, movements, facts.as_ref().clone(), as_of))
}

/// What the engine needs to cost order `order` of `tenant` exactly as the
/// whole tenant's costing would, reading only the ledger rows the order's
/// cost can depend on: its own rows, and every row of each material it
/// consumed, then of each material the orders that produced those consumed,
/// and so on up the chain (a material's moving average depends on all of
/// its rows; an output receipt's value on its order's cost). Floor facts
/// are those the chain's orders' run times depend on
/// ([`super::floor_index::FloorIndex::for_orders`]: a worker's or machine's time is
/// shared between the runs active at once).
pub async fn load_for_order(
    store: &Store,
    tenant: TenantId,
    master: &CostingMaster,
    order: &Code,
    as_of: i64,
) -> Result<CostingInput, HubError> {
    let mut rows: BTreeMap<mes_stock::MovementId, mes_stock::Movement> = BTreeMap::new();
    let mut orders_seen: BTreeSet<Code> = BTreeSet::from([order.clone()]);
    let mut materials_seen: BTreeSet<Code> = BTreeSet::new();
    let mut queue = vec![order.clone()];
    while let Some(current) = queue.pop() {
        let own = store
            .movements_of_order(tenant, current.to_string())
            .await
            .map_err(HubError::Store)?;
        let consumed: Vec<Code> = own
            .iter()
            .filter(|m| m.kind == mes_stock::MovementKind::Issue)
            .map(|m| m.key.material.clone())
            .collect();
        rows.extend(own.into_iter().map(|m| (m.id.clone(), m)));
        for material in consumed {
            if !materials_seen.insert(material.clone()) {
                continue;
            }
            let of_material = store
                .movements_of(tenant, material.to_string(), None, None)
                .await
                .map_err(HubError::Store)?;
            for m in of_material {
                if m.kind == mes_stock::MovementKind::OutputReceipt
                    && let Some(producer) = &m.order
                    && orders_seen.insert(producer.clone())
                {
                    queue.push(producer.clone());
                }
                rows.insert(m.id.clone(), m);
            }
        }
    }
    let facts = super::floor_log::facts_for_orders(store, tenant, &orders_seen).await?;
    Ok(assemble(master, rows.into_values().collect(), facts, as_of))
}

/// The engine's input from `movements`, floor `facts` and the master data.
fn assemble(
    master: &CostingMaster,
    movements: Vec<mes_stock::Movement>,
    facts: Vec<TimedFact>,
    as_of: i64,
) -> CostingInput {
    let standard: BTreeMap<Code, Decimal> = master
        .materials
        .iter()
        .map(|m| (m.code.clone(), m.standard_cost))
        .collect();
    let sites: BTreeMap<&Code, String> = master
        .locations
        .iter()
        .map(|l| (&l.code, l.site.to_string()))
        .collect();
    let movements: Vec<SitedMovement> = movements
        .into_iter()
        .map(|movement| SitedMovement {
            site: sites.get(&movement.key.location).cloned().unwrap_or_default(),
            movement,
        })
        .collect();
    // Only the orders the rows and facts name: the engine looks up no
    // other (a tenant has thousands; building and dropping a map of them
    // all was most of costing one order).
    let named: HashSet<&Code> = movements
        .iter()
        .filter_map(|m| m.movement.order.as_ref())
        .chain(facts.iter().filter_map(|f| match &f.fact {
            FloorFact::Started { order, .. } | FloorFact::Output { order, .. } => Some(order),
            _ => None,
        }))
        .collect();
    let orders = master
        .orders
        .iter()
        .filter(|o| named.contains(&o.code))
        .map(|o| {
            (
                o.code.clone(),
                OrderInfo {
                    material: o.material.clone(),
                    quantity: o.quantity,
                    site: o.site.as_ref().map(ToString::to_string),
                },
            )
        })
        .collect();
    let type_rates: BTreeMap<&Code, Decimal> = master
        .worker_types
        .iter()
        .map(|t| (&t.code, t.hourly_rate))
        .collect();
    let rates = Rates {
        workers: master
            .workers
            .iter()
            .map(|w| {
                let rate = type_rates.get(&w.worker_type).copied().unwrap_or_default();
                (w.code.clone(), rate)
            })
            .collect(),
        equipment: master
            .equipment
            .iter()
            .map(|e| (e.record.code.clone(), e.record.hourly_rate))
            .collect(),
    };
    CostingInput {
        movements,
        standard,
        orders,
        facts,
        rates,
        overhead: master.overhead(),
        as_of,
    }
}

//! Reads the ledger rows a lot trace follows, and the lot records that
//! name each lot's manufacturer.

use super::trace::{Direction, Links, LotTrace};
use crate::error::HubError;
use crate::masterdata::records::Lot;
use crate::masterdata::service;
use crate::store::Store;
use crate::store::TenantId;
use std::collections::{BTreeSet, HashMap};

/// The trace of lot `lot` of `tenant`, each lot with its manufacturer;
/// `NotFound` when no lot record and no ledger row names it.
pub async fn lot_trace(
    store: &Store,
    tenant: TenantId,
    lot: &str,
    direction: Direction,
) -> Result<Vec<LotTrace>, HubError> {
    let rows = store.all_movements(tenant).await.map_err(HubError::Store)?;
    let links = Links::of(&rows);
    if !links.knows(lot) {
        service::get::<Lot>(store, tenant, lot).await?;
    }
    let mut traces = links.trace(lot, direction);
    add_makers(store, tenant, &mut traces).await?;
    Ok(traces)
}

/// Fills in each lot's manufacturer from its lot record (one read per
/// distinct lot of the trace).
async fn add_makers(store: &Store, tenant: TenantId, traces: &mut [LotTrace]) -> Result<(), HubError> {
    let mut codes = BTreeSet::new();
    for trace in traces.iter_mut() {
        trace.visit_mut(&mut |l| codes.extend(l.lot.clone()));
    }
    let mut makers: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
    for code in codes {
        match service::get::<Lot>(store, tenant, &code).await {
            Ok(stored) => {
                let lot = stored.record;
                let maker = (lot.manufacturer.map(|m| m.to_string()), lot.manufacturer_lot);
                makers.insert(code, maker);
            }
            Err(HubError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    for trace in traces.iter_mut() {
        trace.visit_mut(&mut |l| {
            if let Some((maker, maker_lot)) = l.lot.as_ref().and_then(|c| makers.get(c)) {
                l.manufacturer.clone_from(maker);
                l.manufacturer_lot.clone_from(maker_lot);
            }
        });
    }
    Ok(())
}

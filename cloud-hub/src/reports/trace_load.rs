//! Reads the ledger rows a lot trace follows.

use super::trace::{Direction, Links, LotTrace};
use crate::error::HubError;
use crate::masterdata::records::Lot;
use crate::masterdata::service;
use crate::store::Store;
use crate::store::TenantId;

/// The trace of lot `lot` of `tenant`; `NotFound` when no lot record and
/// no ledger row names it.
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
    Ok(links.trace(lot, direction))
}

//! Reads the ledger rows a lot trace follows.

use super::trace::{Direction, Links, LotTrace};
use crate::masterdata::records::Lot;
use crate::masterdata::service::{self, ServiceError};
use crate::store::Store;

/// The trace of lot `lot` of `tenant`; `NotFound` when no lot record and
/// no ledger row names it.
pub async fn lot_trace(
    store: &Store,
    tenant: &str,
    lot: &str,
    direction: Direction,
) -> Result<Vec<LotTrace>, ServiceError> {
    let rows = store
        .all_movements(tenant.to_string())
        .await
        .map_err(ServiceError::Store)?;
    let links = Links::of(&rows);
    if !links.knows(lot) {
        service::get::<Lot>(store, tenant, lot).await?;
    }
    Ok(links.trace(lot, direction))
}

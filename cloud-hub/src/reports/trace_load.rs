//! Reads the ledger rows a lot trace follows.

use super::trace::{Direction, Links, LotTrace};
use crate::costing::load::all;
use crate::masterdata::records::{Lot, Material};
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
    let mut rows = Vec::new();
    for m in all::<Material>(store, tenant).await? {
        rows.extend(
            store
                .movements_of(tenant.to_string(), m.code.to_string(), None, None)
                .await
                .map_err(ServiceError::Store)?,
        );
    }
    let links = Links::of(&rows);
    if !links.knows(lot) {
        service::get::<Lot>(store, tenant, lot).await?;
    }
    Ok(links.trace(lot, direction))
}

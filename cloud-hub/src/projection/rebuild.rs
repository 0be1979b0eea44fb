//! Rebuilding a tenant's projection from the event log (`cloud-hub
//! rebuild`), with the same guarded steps as the background projection.

use super::step::StepOutcome;
use crate::error::HubError;
use crate::store::{Store, TenantId};

/// Rebuilds `tenant`'s projection from the event log: forgets every row,
/// fact and issue projected from events, then projects the whole log again
/// in steps of `batch` events, and refreshes the planner's statistics of
/// the rewritten tables. Returns the totals. Steps are guarded like the
/// background projection's (`guard.rs`): an event that makes a step fail
/// is set aside as an issue and the rebuild goes on.
pub async fn rebuild(store: &Store, tenant: TenantId, batch: usize) -> Result<StepOutcome, HubError> {
    store.reset_projection(tenant).await.map_err(HubError::Store)?;
    let mut context = None;
    let mut total = StepOutcome::default();
    loop {
        let step = super::guard::guarded_step(store, tenant, &mut context, batch).await?;
        if step.events == 0 {
            store.refresh_statistics().await.map_err(HubError::Store)?;
            return Ok(total);
        }
        total.events += step.events;
        total.rows += step.rows;
        total.issues += step.issues;
    }
}

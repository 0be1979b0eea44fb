//! Re-applying set-aside events: after an admin fixed what made events
//! unbookable (a material missing from master data, a station without a
//! location), the events set aside as projection issues are projected
//! again, where they belong in time. Those that book lose their issue;
//! those that still cannot keep one, with the reason of now. The cursor
//! does not move, and the background projection may run meanwhile (both
//! write through the store's per-tenant ledger lock).

use super::step::{StepOutcome, project_events};
use crate::error::HubError;
use crate::store::{Store, TenantId};
use schemars::JsonSchema;
use serde::Serialize;

/// What one re-application did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Reapplied {
    /// Set-aside events read again.
    pub events: usize,
    /// Of those, events that booked now (their issue is gone).
    pub booked: usize,
    /// Of those, events still set aside (their issue says why now).
    pub set_aside: usize,
    /// Ledger rows written.
    pub rows: usize,
}

/// Re-applies up to `limit` of `tenant`'s set-aside events, oldest first.
pub async fn reapply_issues(store: &Store, tenant: TenantId, limit: usize) -> Result<Reapplied, HubError> {
    let issues = store
        .projection_issues(tenant, limit)
        .await
        .map_err(HubError::Store)?;
    let rows: Vec<i64> = issues
        .iter()
        .map(|i| i.event_row)
        .filter(|row| *row > 0)
        .collect();
    let events = store
        .events_at(tenant, rows.clone())
        .await
        .map_err(HubError::Store)?;
    if events.is_empty() {
        return Ok(Reapplied::default());
    }
    let read = events.len();
    // On a task of its own: an event that makes the projection panic again
    // leaves everything as it was (one transaction) and is answered as an
    // error, never a dropped connection.
    let task_store = store.clone();
    let step: StepOutcome = tokio::spawn(async move {
        let mut context = None;
        project_events(&task_store, tenant, &mut context, &events, (None, 0), rows).await
    })
    .await
    .map_err(|e| HubError::InvalidState {
        kind: "projection",
        code: "issues".into(),
        reason: format!("re-applying the set-aside events failed ({e}); they stay set aside"),
    })??;
    Ok(Reapplied {
        events: read,
        booked: read - step.issues.min(read),
        set_aside: step.issues.min(read),
        rows: step.rows,
    })
}

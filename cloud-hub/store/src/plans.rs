//! Live plans as the store keeps them (one JSON document per tenant and
//! site, replaced whole, with a revision for optimistic replacement), and
//! the planner's view of the event log (a site's events of some kinds
//! after a cursor).
//!
//! [`crate::Store::watched_sites`] is the one planning query without
//! a tenant: the re-planning watcher uses it to learn which (tenant, site)
//! pairs have a live plan; every query after that names the tenant.

use crate::{StoreError, TenantId};
use serde_json::Value;

/// A site's live plan.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePlanRow {
    /// The site's short name.
    pub site: String,
    /// 1 for the first plan, one more at every replacement.
    pub revision: i64,
    /// The tenant's master-data version it was planned from.
    pub records_version: i64,
    /// The last event (`events` row id) of the site it took in.
    pub event_cursor: i64,
    /// Why it was made.
    pub trigger: String,
    /// The plan document (`crate::planning::StoredPlan`).
    pub body: Value,
    /// When it was stored, unix ms.
    pub created_at: i64,
}

/// A plan to store as a site's live plan.
#[derive(Debug, Clone)]
pub struct NewLivePlan {
    /// The site's short name.
    pub site: String,
    /// The tenant's master-data version it was planned from.
    pub records_version: i64,
    /// The last event of the site it took in.
    pub event_cursor: i64,
    /// Why it was made.
    pub trigger: String,
    /// The plan document.
    pub body: Value,
    /// Replace only the plan at this revision (`Some(0)`: only if there is
    /// none); `None` replaces whatever is there.
    pub if_revision: Option<i64>,
}

/// A site with a live plan, for the watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedSite {
    /// The tenant.
    pub tenant: TenantId,
    /// The site's short name.
    pub site: String,
    /// Its live plan's revision.
    pub revision: i64,
    /// The master-data version it was planned from.
    pub records_version: i64,
    /// The last event it took in.
    pub event_cursor: i64,
}

/// One stored event, as the planner reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteEvent {
    /// Its row id (arrival order; the cursor).
    pub id: i64,
    /// Its kind.
    pub kind: String,
    /// When it happened, unix ms.
    pub occurred_at: i64,
    /// The event JSON as sent.
    pub raw: String,
}

/// The revision `plan` is stored under when the site's plan is at `found`
/// (0: none): one more, unless the plan names another revision to replace.
pub(crate) fn next_revision(plan: &NewLivePlan, found: i64) -> Result<i64, StoreError> {
    match plan.if_revision {
        Some(expected) if expected != found => Err(StoreError::VersionConflict {
            what: "plan".into(),
            name: plan.site.clone(),
            expected,
            found,
        }),
        _ => Ok(found + 1),
    }
}

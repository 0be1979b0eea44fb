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

/// How many revisions of a site's plan the store keeps (the live one
/// included) for undo and for showing what moved.
pub const KEPT_REVISIONS: i64 = 30;

/// How long a draft (a what-if's result) is kept, ms.
pub const DRAFT_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// Most drafts kept per site (each holds a whole plan document): saving
/// one more forgets the oldest.
pub const KEPT_DRAFTS: i64 = 20;

/// A what-if's result as stored: a plan document that becomes the live
/// plan if it is accepted while the live plan is still at its base.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanDraftRow {
    /// The site's short name.
    pub site: String,
    /// Its id (random, unguessable).
    pub draft_id: String,
    /// Who made it (a user's login).
    pub author: String,
    /// The live plan's revision it was made from.
    pub base_revision: i64,
    /// The plan document it would store.
    pub body: Value,
    /// The changes and their consequences, as the API answered them.
    pub answer: Value,
    /// When it was made, unix ms.
    pub created_at: i64,
}

/// One planner's accepted change of a site's plan, for undo and redo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    /// Its place in the planner's stack (1, 2, …).
    pub seq: i64,
    /// The revision an undo restores.
    pub before_revision: i64,
    /// The revision a redo restores.
    pub after_revision: i64,
    /// The live revision its last accept, undo or redo made.
    pub result_revision: i64,
    /// Whether it is undone.
    pub undone: bool,
    /// What it changed, in words.
    pub summary: String,
    /// When it was accepted, unix ms.
    pub created_at: i64,
}

/// What storing a plan does to the author's stack of steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepWrite {
    /// A newly accepted change: the author's undone steps are dropped
    /// (no redo after a new change) and this one goes on top.
    Push {
        /// The planner.
        author: String,
        /// The live revision it replaced.
        before_revision: i64,
        /// What it changed.
        summary: String,
    },
    /// An undo (`undone`) or a redo of step `seq`.
    Mark {
        /// The planner.
        author: String,
        /// The step.
        seq: i64,
        /// Undone after this write.
        undone: bool,
    },
}

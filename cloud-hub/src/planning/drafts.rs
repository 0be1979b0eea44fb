//! Drafts, accept, undo and redo, and the diff of two revisions, through
//! the store. Nothing here is kept in the process: a draft is a row (any
//! replica accepts it), a planner's undo stack is rows of `plan_steps`,
//! and earlier plans are the kept revisions. Every plan this module makes
//! live passes `mes_scheduler::validate` for its own model first.

use super::steer::change::{Change, Refusal};
use super::steer::consequences::{Consequences, OperationShift, moved};
use super::steer::stability::{Stability, stability};
use super::whatif::{Attempt, try_changes};
use crate::planning::service::{PlanningError, live_row};
use crate::planning::stored::StoredPlan;
use crate::store::plans::{LivePlanRow, NewLivePlan, PlanDraftRow, StepWrite};
use crate::store::{Store, StoreError, TenantId};
use rand::RngCore;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// Why a steering operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SteerError {
    /// Reading the site or its plan failed, or it has none.
    #[error(transparent)]
    Planning(#[from] PlanningError),
    /// A change breaks a constraint (its index among the changes).
    #[error("{1}")]
    Refused(usize, Refusal),
    /// No such draft (never made, discarded, accepted or expired).
    #[error("draft {0} not found")]
    DraftNotFound(String),
    /// The live plan moved on since the draft was made.
    #[error(
        "the live plan is at revision {live}, but this draft was made from revision {base}; make the change again on the current plan"
    )]
    Stale {
        /// The draft's base.
        base: i64,
        /// The live revision.
        live: i64,
    },
    /// The planner has nothing to undo (or redo).
    #[error("nothing to {0}")]
    NothingTo(&'static str),
    /// The live plan changed after the planner's last step.
    #[error(
        "the live plan changed after your last change (it is at revision {live}, made by {trigger}); {what} would discard that"
    )]
    Moved {
        /// `undo` or `redo`.
        what: &'static str,
        /// The live revision.
        live: i64,
        /// Why it was made.
        trigger: String,
    },
    /// The revision to restore is no longer kept.
    #[error("revision {0} is no longer kept")]
    RevisionGone(i64),
    /// A plan failed the validator (a bug: never made live).
    #[error("the plan failed validation: {0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A draft as the API shows it (and as stored in its `answer`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DraftAnswer {
    /// The draft's id.
    pub draft: String,
    /// The site.
    pub site: String,
    /// The live revision it was made from (accept needs it still live).
    pub base_revision: i64,
    /// Who made it.
    pub author: String,
    /// The changes in words.
    pub summary: String,
    /// What it changes against the live plan.
    pub consequences: Consequences,
}

/// A plan made live by an accept, undo or redo.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Made {
    /// The site.
    pub site: String,
    /// The new live revision.
    pub revision: i64,
    /// The revision it replaced.
    pub replaced: i64,
    /// What it did.
    pub summary: String,
}

/// A planner's undo and redo as the API shows them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct History {
    /// The live revision.
    pub revision: i64,
    /// What an undo would take back, if one can run now.
    pub undo: Option<String>,
    /// What a redo would bring back, if one can run now.
    pub redo: Option<String>,
}

/// What moved between two revisions of a site's plan.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RevisionDiff {
    /// The earlier revision.
    pub from: i64,
    /// The later revision.
    pub to: i64,
    /// Why the later one was made.
    pub trigger: String,
    /// How many operations moved.
    pub operations_moved: usize,
    /// The operations that moved (machine changes first, then the largest shift).
    pub operations: Vec<OperationShift>,
    /// How much of the earlier plan the later one kept.
    #[serde(default)]
    pub stability: Stability,
}

fn new_id() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse(row: &LivePlanRow) -> Result<StoredPlan, SteerError> {
    serde_json::from_value(row.body.clone()).map_err(|e| {
        SteerError::Planning(PlanningError::Unreadable {
            site: row.site.clone(),
            reason: e.to_string(),
        })
    })
}

fn body_of(site: &str, stored: &StoredPlan) -> Result<serde_json::Value, SteerError> {
    serde_json::to_value(stored).map_err(|e| {
        SteerError::Planning(PlanningError::Unreadable {
            site: site.to_string(),
            reason: e.to_string(),
        })
    })
}

/// The site's live plan row and document, or `NoPlan`.
async fn live(store: &Store, tenant: TenantId, site: &str) -> Result<(LivePlanRow, StoredPlan), SteerError> {
    if !store.site_exists(tenant, site.to_string()).await? {
        return Err(PlanningError::SiteNotFound(site.to_string()).into());
    }
    live_row(store, tenant, site)
        .await?
        .ok_or_else(|| PlanningError::NoPlan(site.to_string()).into())
}

/// Validates `stored` against its own model (on the blocking pool).
async fn validated(stored: StoredPlan) -> Result<StoredPlan, SteerError> {
    tokio::task::spawn_blocking(move || {
        let model = stored.model().map_err(|e| SteerError::Invalid(e.to_string()))?;
        match mes_scheduler::validate(&model, &stored.plan).first() {
            Some(v) => Err(SteerError::Invalid(v.to_string())),
            None => Ok(stored),
        }
    })
    .await
    .map_err(|e| SteerError::Planning(PlanningError::Task(e.to_string())))?
}

/// A what-if to make into a draft.
#[derive(Debug, Clone)]
pub struct DraftRequest {
    /// Who asks (a user's login).
    pub author: String,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// Each machine's equipment type (for naming a wrong type).
    pub types: HashMap<String, String>,
    /// Now, epoch ms.
    pub now_ms: i64,
    /// How long the search may improve after a priority or due change.
    pub improve_budget: Duration,
}

/// Runs the request's changes as a what-if against the live plan of
/// `site` and stores the result as a draft; the live plan is untouched.
pub async fn create(
    store: &Store,
    tenant: TenantId,
    site: &str,
    request: DraftRequest,
) -> Result<DraftAnswer, SteerError> {
    let DraftRequest {
        author,
        changes,
        types,
        now_ms,
        improve_budget,
    } = request;
    let author = author.as_str();
    let (row, stored) = live(store, tenant, site).await?;
    let outcome = tokio::task::spawn_blocking(move || {
        let model = stored.model().map_err(PlanningError::from)?;
        let attempt = Attempt {
            live: &stored,
            model: &model,
            types: &types,
            made_at: now_ms,
            improve_budget,
        };
        try_changes(&attempt, &changes).map_err(|(i, r)| SteerError::Refused(i, r))
    })
    .await
    .map_err(|e| SteerError::Planning(PlanningError::Task(e.to_string())))??;
    let answer = DraftAnswer {
        draft: new_id(),
        site: site.to_string(),
        base_revision: row.revision,
        author: author.to_string(),
        summary: outcome.summary,
        consequences: outcome.consequences,
    };
    let draft = PlanDraftRow {
        site: site.to_string(),
        draft_id: answer.draft.clone(),
        author: author.to_string(),
        base_revision: row.revision,
        body: body_of(site, &outcome.stored)?,
        answer: serde_json::to_value(&answer).map_err(|e| SteerError::Invalid(e.to_string()))?,
        created_at: now_ms,
    };
    store.save_plan_draft(tenant, draft).await?;
    Ok(answer)
}

async fn draft_row(
    store: &Store,
    tenant: TenantId,
    site: &str,
    id: &str,
) -> Result<PlanDraftRow, SteerError> {
    store
        .plan_draft(tenant, site.to_string(), id.to_string())
        .await?
        .ok_or_else(|| SteerError::DraftNotFound(id.to_string()))
}

/// The draft `id` of `site` as it was answered.
pub async fn get(store: &Store, tenant: TenantId, site: &str, id: &str) -> Result<DraftAnswer, SteerError> {
    let row = draft_row(store, tenant, site, id).await?;
    serde_json::from_value(row.answer).map_err(|e| SteerError::Invalid(e.to_string()))
}

/// Forgets the draft `id` of `site`.
pub async fn discard(store: &Store, tenant: TenantId, site: &str, id: &str) -> Result<(), SteerError> {
    if store
        .delete_plan_draft(tenant, site.to_string(), id.to_string())
        .await?
    {
        Ok(())
    } else {
        Err(SteerError::DraftNotFound(id.to_string()))
    }
}

/// Stores `stored` as the live plan replacing revision `replacing`, with
/// `step` on the planner's stack; a lost race is [`SteerError::Stale`].
async fn make_live(
    store: &Store,
    tenant: TenantId,
    from: &LivePlanRow,
    stored: StoredPlan,
    replacing: i64,
    step: StepWrite,
) -> Result<i64, SteerError> {
    let stored = validated(stored).await?;
    let plan = NewLivePlan {
        site: from.site.clone(),
        records_version: from.records_version,
        event_cursor: from.event_cursor,
        trigger: stored.trigger.clone(),
        body: body_of(&from.site, &stored)?,
        if_revision: Some(replacing),
    };
    match store.save_live_plan_step(tenant, plan, step).await {
        Ok(revision) => Ok(revision),
        Err(StoreError::VersionConflict { expected, found, .. }) => Err(SteerError::Stale {
            base: expected,
            live: found,
        }),
        Err(e) => Err(e.into()),
    }
}

/// Makes the draft `id` the live plan, if the live plan is still the one
/// it was made from; the step goes on `author`'s stack.
pub async fn accept(
    store: &Store,
    tenant: TenantId,
    site: &str,
    id: &str,
    author: &str,
) -> Result<Made, SteerError> {
    let draft = draft_row(store, tenant, site, id).await?;
    let (row, _) = live(store, tenant, site).await?;
    if row.revision != draft.base_revision {
        return Err(SteerError::Stale {
            base: draft.base_revision,
            live: row.revision,
        });
    }
    let answer: DraftAnswer =
        serde_json::from_value(draft.answer.clone()).map_err(|e| SteerError::Invalid(e.to_string()))?;
    let stored: StoredPlan =
        serde_json::from_value(draft.body).map_err(|e| SteerError::Invalid(e.to_string()))?;
    let step = StepWrite::Push {
        author: author.to_string(),
        before_revision: row.revision,
        summary: answer.summary.clone(),
    };
    let revision = make_live(store, tenant, &row, stored, draft.base_revision, step).await?;
    // Accepted: the draft is spent (a second accept would be stale anyway).
    store
        .delete_plan_draft(tenant, site.to_string(), id.to_string())
        .await?;
    Ok(Made {
        site: site.to_string(),
        revision,
        replaced: row.revision,
        summary: answer.summary,
    })
}

/// What `author` could undo and redo on `site` now.
pub async fn history(
    store: &Store,
    tenant: TenantId,
    site: &str,
    author: &str,
) -> Result<History, SteerError> {
    let (row, _) = live(store, tenant, site).await?;
    let steps = store
        .plan_steps(tenant, site.to_string(), author.to_string())
        .await?;
    let current = steps.iter().map(|s| s.result_revision).max() == Some(row.revision);
    Ok(History {
        revision: row.revision,
        undo: steps
            .iter()
            .rev()
            .find(|s| !s.undone)
            .filter(|_| current)
            .map(|s| s.summary.clone()),
        redo: steps
            .iter()
            .find(|s| s.undone)
            .filter(|_| current)
            .map(|s| s.summary.clone()),
    })
}

/// Takes back (`undo`) or brings back (redo) `author`'s last step on
/// `site`: the plan before (after) it becomes live as a new revision, if
/// nothing replaced the live plan since the planner's last step.
pub async fn step_back(
    store: &Store,
    tenant: TenantId,
    site: &str,
    author: &str,
    undo: bool,
    now_ms: i64,
) -> Result<Made, SteerError> {
    let what = if undo { "undo" } else { "redo" };
    let (row, _) = live(store, tenant, site).await?;
    let steps = store
        .plan_steps(tenant, site.to_string(), author.to_string())
        .await?;
    let step = if undo {
        steps.iter().rev().find(|s| !s.undone)
    } else {
        steps.iter().find(|s| s.undone)
    }
    .ok_or(SteerError::NothingTo(what))?;
    if steps.iter().map(|s| s.result_revision).max() != Some(row.revision) {
        return Err(SteerError::Moved {
            what,
            live: row.revision,
            trigger: row.trigger,
        });
    }
    let target = if undo {
        step.before_revision
    } else {
        step.after_revision
    };
    let restore = store
        .plan_revision(tenant, site.to_string(), target)
        .await?
        .ok_or(SteerError::RevisionGone(target))?;
    let mut stored = parse(&restore)?;
    let summary = format!("{what}: {}", step.summary);
    stored.trigger = summary.clone();
    stored.made_at = now_ms;
    let write = StepWrite::Mark {
        author: author.to_string(),
        seq: step.seq,
        undone: undo,
    };
    let revision = make_live(store, tenant, &restore, stored, row.revision, write).await?;
    Ok(Made {
        site: site.to_string(),
        revision,
        replaced: row.revision,
        summary,
    })
}

/// What moved from revision `from` to revision `to` (default: the live
/// one) of the plan of `site`.
pub async fn diff(
    store: &Store,
    tenant: TenantId,
    site: &str,
    from: i64,
    to: Option<i64>,
) -> Result<RevisionDiff, SteerError> {
    let (live_row, live_plan) = live(store, tenant, site).await?;
    let older = store
        .plan_revision(tenant, site.to_string(), from)
        .await?
        .ok_or(SteerError::RevisionGone(from))?;
    let (to, newer) = match to {
        Some(t) if t != live_row.revision => {
            let row = store
                .plan_revision(tenant, site.to_string(), t)
                .await?
                .ok_or(SteerError::RevisionGone(t))?;
            (t, parse(&row)?)
        }
        _ => (live_row.revision, live_plan),
    };
    let older = parse(&older)?;
    tokio::task::spawn_blocking(move || {
        let (a, b) = (
            older.model().map_err(PlanningError::from)?,
            newer.model().map_err(PlanningError::from)?,
        );
        let (operations, operations_moved) = moved((&a, &older.plan), (&b, &newer.plan));
        Ok(RevisionDiff {
            from,
            to,
            trigger: newer.trigger.clone(),
            operations_moved,
            operations,
            stability: stability((&a, &older.plan), (&b, &newer.plan)),
        })
    })
    .await
    .map_err(|e| SteerError::Planning(PlanningError::Task(e.to_string())))?
}

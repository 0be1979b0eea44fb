//! Live plans, their revisions, drafts and planners' steps.

use crate::{Backend, Store, StoreError, TenantId, plans};

impl Store {
    /// Stores `plan` as the site's live plan (replacing the one at
    /// `plan.if_revision` when given); returns its revision. Through a
    /// [`Store::fenced`] handle (a background re-plan on PostgreSQL) the
    /// write commits only while the tenant's lease is still the fence's.
    pub async fn save_live_plan(
        &self,
        tenant: TenantId,
        plan: plans::NewLivePlan,
    ) -> Result<i64, StoreError> {
        match &self.0 {
            Backend::Sqlite(b) => b.save_live_plan(tenant, plan, None).await,
            Backend::Postgres(b) => b.save_live_plan(tenant, plan, None, self.3.as_deref()).await,
        }
    }

    /// [`Store::save_live_plan`] for a planner's accepted change, undo or
    /// redo: `step` goes into the author's stack in the same transaction.
    pub async fn save_live_plan_step(
        &self,
        tenant: TenantId,
        plan: plans::NewLivePlan,
        step: plans::StepWrite,
    ) -> Result<i64, StoreError> {
        match &self.0 {
            Backend::Sqlite(b) => b.save_live_plan(tenant, plan, Some(step)).await,
            Backend::Postgres(b) => {
                b.save_live_plan(tenant, plan, Some(step), self.3.as_deref())
                    .await
            }
        }
    }

    /// The live plan's revision of `site` (none: no plan), without reading
    /// its document: an open board's light check for a new plan.
    pub async fn live_plan_revision(
        &self,
        tenant: TenantId,
        site: String,
    ) -> Result<Option<i64>, StoreError> {
        on_backend!(self, b => b.live_plan_revision(tenant, site).await)
    }

    /// Revision `revision` of the plan of `site`, if it is still kept
    /// (the last [`plans::KEPT_REVISIONS`] are).
    pub async fn plan_revision(
        &self,
        tenant: TenantId,
        site: String,
        revision: i64,
    ) -> Result<Option<plans::LivePlanRow>, StoreError> {
        on_backend!(self, b => b.plan_revision(tenant, site, revision).await)
    }

    /// Stores a what-if's draft (drafts of the site older than
    /// [`plans::DRAFT_LIFETIME_MS`], and the oldest beyond
    /// [`plans::KEPT_DRAFTS`], are forgotten meanwhile).
    pub async fn save_plan_draft(
        &self,
        tenant: TenantId,
        draft: plans::PlanDraftRow,
    ) -> Result<(), StoreError> {
        on_backend!(self, b => b.save_plan_draft(tenant, draft).await)
    }

    /// The draft `draft_id` of `site`, if it is kept.
    pub async fn plan_draft(
        &self,
        tenant: TenantId,
        site: String,
        draft_id: String,
    ) -> Result<Option<plans::PlanDraftRow>, StoreError> {
        on_backend!(self, b => b.plan_draft(tenant, site, draft_id).await)
    }

    /// Forgets the draft `draft_id` of `site`; whether there was one.
    pub async fn delete_plan_draft(
        &self,
        tenant: TenantId,
        site: String,
        draft_id: String,
    ) -> Result<bool, StoreError> {
        on_backend!(self, b => b.delete_plan_draft(tenant, site, draft_id).await)
    }

    /// The steps `author` made on the plan of `site`, oldest first.
    pub async fn plan_steps(
        &self,
        tenant: TenantId,
        site: String,
        author: String,
    ) -> Result<Vec<plans::PlanStep>, StoreError> {
        on_backend!(self, b => b.plan_steps(tenant, site, author).await)
    }

    /// The live plan of `site` of `tenant`, if it has one.
    pub async fn live_plan(
        &self,
        tenant: TenantId,
        site: String,
    ) -> Result<Option<plans::LivePlanRow>, StoreError> {
        on_backend!(self, b => b.live_plan(tenant, site).await)
    }

    /// Every site of every tenant with a live plan (the re-planning
    /// watcher's one query without a tenant; see `plans.rs`).
    pub async fn watched_sites(&self) -> Result<Vec<plans::WatchedSite>, StoreError> {
        on_backend!(self, b => b.watched_sites().await)
    }
}

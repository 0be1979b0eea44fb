//! Kept plan revisions, drafts and planners' steps in PostgreSQL (see
//! `store/plans.rs`; the live plan's writes are in `plans.rs`).

use super::PgStore;
use crate::StoreError;
use crate::TenantId;
use crate::plans::{DRAFT_LIFETIME_MS, KEPT_DRAFTS, LivePlanRow, PlanDraftRow, PlanStep, StepWrite};
use deadpool_postgres::Transaction;

/// Applies `step` to its author's stack, inside the transaction that
/// stored the live plan at `revision`.
pub(super) async fn write_step(
    tx: &Transaction<'_>,
    tenant: TenantId,
    site: &str,
    revision: i64,
    step: StepWrite,
    now: i64,
) -> Result<(), StoreError> {
    let tenant = tenant.as_uuid();
    match step {
        StepWrite::Push {
            author,
            before_revision,
            summary,
        } => {
            tx.execute(
                "DELETE FROM plan_steps WHERE tenant_id = $1 AND site = $2 AND author = $3 AND undone",
                &[&tenant, &site, &author],
            )
            .await?;
            let seq: i64 = tx
                .query_one(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM plan_steps
                     WHERE tenant_id = $1 AND site = $2 AND author = $3",
                    &[&tenant, &site, &author],
                )
                .await?
                .try_get(0)?;
            tx.execute(
                "INSERT INTO plan_steps (tenant_id, site, author, seq, before_revision, after_revision,
                                         result_revision, undone, summary, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, false, $7, $8)",
                &[
                    &tenant,
                    &site,
                    &author,
                    &seq,
                    &before_revision,
                    &revision,
                    &summary,
                    &now,
                ],
            )
            .await?;
        }
        StepWrite::Mark { author, seq, undone } => {
            tx.execute(
                "UPDATE plan_steps SET undone = $5, result_revision = $6
                 WHERE tenant_id = $1 AND site = $2 AND author = $3 AND seq = $4",
                &[&tenant, &site, &author, &seq, &undone, &revision],
            )
            .await?;
        }
    }
    Ok(())
}

impl PgStore {
    /// The live plan's revision of the site, without its document.
    pub(crate) async fn live_plan_revision(
        &self,
        tenant: TenantId,
        site: String,
    ) -> Result<Option<i64>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT revision FROM live_plans WHERE tenant_id = $1 AND site = $2",
                &[&tenant, &site],
            )
            .await?;
        row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
    }

    /// Revision `revision` of the site's plan, if it is still kept.
    pub(crate) async fn plan_revision(
        &self,
        tenant: TenantId,
        site: String,
        revision: i64,
    ) -> Result<Option<LivePlanRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT site, revision, records_version, event_cursor, trigger_reason, body, created_at
                 FROM plan_revisions WHERE tenant_id = $1 AND site = $2 AND revision = $3",
                &[&tenant, &site, &revision],
            )
            .await?;
        row.map(|r| {
            Ok(LivePlanRow {
                site: r.try_get(0)?,
                revision: r.try_get(1)?,
                records_version: r.try_get(2)?,
                event_cursor: r.try_get(3)?,
                trigger: r.try_get(4)?,
                body: r.try_get(5)?,
                created_at: r.try_get(6)?,
            })
        })
        .transpose()
    }

    /// Stores a draft; forgets the site's drafts older than their lifetime
    /// before this one, and the oldest beyond [`KEPT_DRAFTS`].
    pub(crate) async fn save_plan_draft(
        &self,
        tenant: TenantId,
        draft: PlanDraftRow,
    ) -> Result<(), StoreError> {
        let tenant = tenant.as_uuid();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "DELETE FROM plan_drafts WHERE tenant_id = $1 AND site = $2 AND created_at < $3",
            &[&tenant, &draft.site, &(draft.created_at - DRAFT_LIFETIME_MS)],
        )
        .await?;
        tx.execute(
            "DELETE FROM plan_drafts WHERE tenant_id = $1 AND site = $2 AND draft_id NOT IN (
                 SELECT draft_id FROM plan_drafts WHERE tenant_id = $1 AND site = $2
                 ORDER BY created_at DESC, draft_id LIMIT $3)",
            &[&tenant, &draft.site, &(KEPT_DRAFTS - 1)],
        )
        .await?;
        tx.execute(
            "INSERT INTO plan_drafts (tenant_id, site, draft_id, author, base_revision, body, answer, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &tenant,
                &draft.site,
                &draft.draft_id,
                &draft.author,
                &draft.base_revision,
                &draft.body,
                &draft.answer,
                &draft.created_at,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A draft of the site, if it is kept.
    pub(crate) async fn plan_draft(
        &self,
        tenant: TenantId,
        site: String,
        draft_id: String,
    ) -> Result<Option<PlanDraftRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT site, draft_id, author, base_revision, body, answer, created_at
                 FROM plan_drafts WHERE tenant_id = $1 AND site = $2 AND draft_id = $3",
                &[&tenant, &site, &draft_id],
            )
            .await?;
        row.map(|r| {
            Ok(PlanDraftRow {
                site: r.try_get(0)?,
                draft_id: r.try_get(1)?,
                author: r.try_get(2)?,
                base_revision: r.try_get(3)?,
                body: r.try_get(4)?,
                answer: r.try_get(5)?,
                created_at: r.try_get(6)?,
            })
        })
        .transpose()
    }

    /// Forgets a draft; whether there was one.
    pub(crate) async fn delete_plan_draft(
        &self,
        tenant: TenantId,
        site: String,
        draft_id: String,
    ) -> Result<bool, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "DELETE FROM plan_drafts WHERE tenant_id = $1 AND site = $2 AND draft_id = $3",
                &[&tenant, &site, &draft_id],
            )
            .await?;
        Ok(n > 0)
    }

    /// The author's steps on the site's plan, oldest first.
    pub(crate) async fn plan_steps(
        &self,
        tenant: TenantId,
        site: String,
        author: String,
    ) -> Result<Vec<PlanStep>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT seq, before_revision, after_revision, result_revision, undone, summary, created_at
                 FROM plan_steps WHERE tenant_id = $1 AND site = $2 AND author = $3 ORDER BY seq",
                &[&tenant, &site, &author],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PlanStep {
                    seq: r.try_get(0)?,
                    before_revision: r.try_get(1)?,
                    after_revision: r.try_get(2)?,
                    result_revision: r.try_get(3)?,
                    undone: r.try_get(4)?,
                    summary: r.try_get(5)?,
                    created_at: r.try_get(6)?,
                })
            })
            .collect()
    }
}

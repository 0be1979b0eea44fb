//! Kept plan revisions, drafts and planners' steps in SQLite (see
//! `store/plans.rs`; the live plan's writes are in `plans.rs`).

use super::SqliteStore;
use crate::StoreError;
use crate::TenantId;
use crate::plans::{DRAFT_LIFETIME_MS, KEPT_DRAFTS, LivePlanRow, PlanDraftRow, PlanStep, StepWrite};
use rusqlite::{OptionalExtension, Transaction, params};

fn json_column(index: usize, text: &str) -> rusqlite::Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Applies `step` to its author's stack, inside the transaction that
/// stored the live plan at `revision`.
pub(super) fn write_step(
    tx: &Transaction<'_>,
    tenant: TenantId,
    site: &str,
    revision: i64,
    step: StepWrite,
    now: i64,
) -> Result<(), StoreError> {
    match step {
        StepWrite::Push {
            author,
            before_revision,
            summary,
        } => {
            tx.execute(
                "DELETE FROM plan_steps WHERE tenant_id = ?1 AND site = ?2 AND author = ?3 AND undone = 1",
                params![tenant, site, author],
            )?;
            let seq: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM plan_steps
                 WHERE tenant_id = ?1 AND site = ?2 AND author = ?3",
                params![tenant, site, author],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO plan_steps (tenant_id, site, author, seq, before_revision, after_revision,
                                         result_revision, undone, summary, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 0, ?7, ?8)",
                params![tenant, site, author, seq, before_revision, revision, summary, now],
            )?;
        }
        StepWrite::Mark { author, seq, undone } => {
            tx.execute(
                "UPDATE plan_steps SET undone = ?5, result_revision = ?6
                 WHERE tenant_id = ?1 AND site = ?2 AND author = ?3 AND seq = ?4",
                params![tenant, site, author, seq, i64::from(undone), revision],
            )?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// The live plan's revision of the site, without its document.
    pub(crate) async fn live_plan_revision(
        &self,
        tenant: TenantId,
        site: String,
    ) -> Result<Option<i64>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT revision FROM live_plans WHERE tenant_id = ?1 AND site = ?2",
                    params![tenant, site],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    /// Revision `revision` of the site's plan, if it is still kept.
    pub(crate) async fn plan_revision(
        &self,
        tenant: TenantId,
        site: String,
        revision: i64,
    ) -> Result<Option<LivePlanRow>, StoreError> {
        self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT site, revision, records_version, event_cursor, trigger_reason, body, created_at
                     FROM plan_revisions WHERE tenant_id = ?1 AND site = ?2 AND revision = ?3",
                    params![tenant, site, revision],
                    |r| {
                        Ok(LivePlanRow {
                            site: r.get(0)?,
                            revision: r.get(1)?,
                            records_version: r.get(2)?,
                            event_cursor: r.get(3)?,
                            trigger: r.get(4)?,
                            body: json_column(5, &r.get::<_, String>(5)?)?,
                            created_at: r.get(6)?,
                        })
                    },
                )
                .optional()?;
            Ok(row)
        })
        .await
    }

    /// Stores a draft; forgets the site's drafts older than their lifetime
    /// before this one, and the oldest beyond [`KEPT_DRAFTS`].
    pub(crate) async fn save_plan_draft(
        &self,
        tenant: TenantId,
        draft: PlanDraftRow,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "DELETE FROM plan_drafts WHERE tenant_id = ?1 AND site = ?2 AND created_at < ?3",
                params![tenant, draft.site, draft.created_at - DRAFT_LIFETIME_MS],
            )?;
            tx.execute(
                "DELETE FROM plan_drafts WHERE tenant_id = ?1 AND site = ?2 AND draft_id NOT IN (
                     SELECT draft_id FROM plan_drafts WHERE tenant_id = ?1 AND site = ?2
                     ORDER BY created_at DESC, draft_id LIMIT ?3)",
                params![tenant, draft.site, KEPT_DRAFTS - 1],
            )?;
            tx.execute(
                "INSERT INTO plan_drafts (tenant_id, site, draft_id, author, base_revision, body, answer, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    tenant,
                    draft.site,
                    draft.draft_id,
                    draft.author,
                    draft.base_revision,
                    draft.body.to_string(),
                    draft.answer.to_string(),
                    draft.created_at
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// A draft of the site, if it is kept.
    pub(crate) async fn plan_draft(
        &self,
        tenant: TenantId,
        site: String,
        draft_id: String,
    ) -> Result<Option<PlanDraftRow>, StoreError> {
        self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT site, draft_id, author, base_revision, body, answer, created_at
                     FROM plan_drafts WHERE tenant_id = ?1 AND site = ?2 AND draft_id = ?3",
                    params![tenant, site, draft_id],
                    |r| {
                        Ok(PlanDraftRow {
                            site: r.get(0)?,
                            draft_id: r.get(1)?,
                            author: r.get(2)?,
                            base_revision: r.get(3)?,
                            body: json_column(4, &r.get::<_, String>(4)?)?,
                            answer: json_column(5, &r.get::<_, String>(5)?)?,
                            created_at: r.get(6)?,
                        })
                    },
                )
                .optional()?;
            Ok(row)
        })
        .await
    }

    /// Forgets a draft; whether there was one.
    pub(crate) async fn delete_plan_draft(
        &self,
        tenant: TenantId,
        site: String,
        draft_id: String,
    ) -> Result<bool, StoreError> {
        self.write(move |conn| {
            let n = conn.execute(
                "DELETE FROM plan_drafts WHERE tenant_id = ?1 AND site = ?2 AND draft_id = ?3",
                params![tenant, site, draft_id],
            )?;
            Ok(n > 0)
        })
        .await
    }

    /// The author's steps on the site's plan, oldest first.
    pub(crate) async fn plan_steps(
        &self,
        tenant: TenantId,
        site: String,
        author: String,
    ) -> Result<Vec<PlanStep>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT seq, before_revision, after_revision, result_revision, undone, summary, created_at
                 FROM plan_steps WHERE tenant_id = ?1 AND site = ?2 AND author = ?3 ORDER BY seq",
            )?;
            let rows = stmt
                .query_map(params![tenant, site, author], |r| {
                    Ok(PlanStep {
                        seq: r.get(0)?,
                        before_revision: r.get(1)?,
                        after_revision: r.get(2)?,
                        result_revision: r.get(3)?,
                        undone: r.get::<_, i64>(4)? != 0,
                        summary: r.get(5)?,
                        created_at: r.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

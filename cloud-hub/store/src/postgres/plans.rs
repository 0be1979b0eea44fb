//! Live plans and the planner's event reads in PostgreSQL (see `store/plans.rs`).

use super::PgStore;
use crate::TenantId;
use crate::plans::{KEPT_REVISIONS, LivePlanRow, NewLivePlan, SiteEvent, StepWrite, WatchedSite};
use crate::{StoreError, now_ms};

impl PgStore {
    /// Stores `plan` as the site's live plan (and in its kept revisions),
    /// applying `step` to its author's stack in the same transaction, and
    /// only while `fence` (when given) is still the tenant's lease;
    /// returns its revision.
    pub(crate) async fn save_live_plan(
        &self,
        tenant_id: TenantId,
        plan: NewLivePlan,
        step: Option<StepWrite>,
        fence: Option<&crate::leases::Fence>,
    ) -> Result<i64, StoreError> {
        let tenant = tenant_id.as_uuid();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if let Some(fence) = fence {
            super::leases::hold_fence(&tx, tenant_id, fence).await?;
        }
        // Serialises replacements of one site's plan (the row may not exist yet).
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2, 0))",
            &[&tenant.to_string(), &plan.site],
        )
        .await?;
        let found: i64 = tx
            .query_opt(
                "SELECT revision FROM live_plans WHERE tenant_id = $1 AND site = $2",
                &[&tenant, &plan.site],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0);
        let revision = crate::plans::next_revision(&plan, found)?;
        let now = now_ms();
        tx.execute(
            "INSERT INTO live_plans (tenant_id, site, revision, records_version, event_cursor,
                                     trigger_reason, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant_id, site) DO UPDATE SET
                 revision = excluded.revision, records_version = excluded.records_version,
                 event_cursor = excluded.event_cursor, trigger_reason = excluded.trigger_reason,
                 body = excluded.body, created_at = excluded.created_at",
            &[
                &tenant,
                &plan.site,
                &revision,
                &plan.records_version,
                &plan.event_cursor,
                &plan.trigger,
                &plan.body,
                &now,
            ],
        )
        .await?;
        tx.execute(
            "INSERT INTO plan_revisions (tenant_id, site, revision, records_version, event_cursor,
                                         trigger_reason, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant_id, site, revision) DO UPDATE SET
                 records_version = excluded.records_version, event_cursor = excluded.event_cursor,
                 trigger_reason = excluded.trigger_reason, body = excluded.body,
                 created_at = excluded.created_at",
            &[
                &tenant,
                &plan.site,
                &revision,
                &plan.records_version,
                &plan.event_cursor,
                &plan.trigger,
                &plan.body,
                &now,
            ],
        )
        .await?;
        tx.execute(
            "DELETE FROM plan_revisions WHERE tenant_id = $1 AND site = $2 AND revision <= $3",
            &[&tenant, &plan.site, &(revision - KEPT_REVISIONS)],
        )
        .await?;
        if let Some(step) = step {
            super::steering::write_step(&tx, tenant_id, &plan.site, revision, step, now).await?;
        }
        tx.commit().await?;
        Ok(revision)
    }

    /// The site's live plan, if it has one.
    pub(crate) async fn live_plan(
        &self,
        tenant: TenantId,
        site: String,
    ) -> Result<Option<LivePlanRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT site, revision, records_version, event_cursor, trigger_reason, body, created_at
                 FROM live_plans WHERE tenant_id = $1 AND site = $2",
                &[&tenant, &site],
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

    /// Every site with a live plan, of every tenant.
    pub(crate) async fn watched_sites(&self) -> Result<Vec<WatchedSite>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT tenant_id, site, revision, records_version, event_cursor FROM live_plans
                 ORDER BY tenant_id, site",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(WatchedSite {
                    tenant: TenantId::from_row(r.try_get(0)?),
                    site: r.try_get(1)?,
                    revision: r.try_get(2)?,
                    records_version: r.try_get(3)?,
                    event_cursor: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Events of `kinds` from agents of `site` stored after row `after`,
    /// in arrival order, at most `limit`.
    pub(crate) async fn site_events_after(
        &self,
        tenant: TenantId,
        site: String,
        after: i64,
        kinds: &'static [&'static str],
        limit: usize,
    ) -> Result<Vec<SiteEvent>, StoreError> {
        let tenant = tenant.as_uuid();
        let kinds: Vec<&str> = kinds.to_vec();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT e.id, e.kind, e.occurred_at, e.raw FROM events e
                 JOIN agent_streams s ON s.id = e.stream_id AND s.tenant_id = e.tenant_id
                 JOIN agents a ON a.id = s.agent_id AND a.tenant_id = e.tenant_id
                 JOIN sites st ON st.id = a.site_id AND st.tenant_id = e.tenant_id
                 WHERE e.tenant_id = $1 AND st.slug = $2 AND e.id > $3 AND e.kind = ANY($4)
                 ORDER BY e.id LIMIT $5",
                &[&tenant, &site, &after, &kinds, &limit],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SiteEvent {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    occurred_at: r.try_get(2)?,
                    raw: r.try_get(3)?,
                })
            })
            .collect()
    }
}

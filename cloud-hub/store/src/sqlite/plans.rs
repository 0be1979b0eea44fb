//! Live plans and the planner's event reads in SQLite (see `store/plans.rs`).

use super::SqliteStore;
use crate::TenantId;
use crate::plans::{KEPT_REVISIONS, LivePlanRow, NewLivePlan, SiteEvent, StepWrite, WatchedSite};
use crate::{StoreError, now_ms};
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, params, params_from_iter};

impl SqliteStore {
    /// Stores `plan` as the site's live plan (and in its kept revisions),
    /// applying `step` to its author's stack in the same transaction;
    /// returns its revision.
    pub(crate) async fn save_live_plan(
        &self,
        tenant: TenantId,
        plan: NewLivePlan,
        step: Option<StepWrite>,
    ) -> Result<i64, StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let found: i64 = tx
                .query_row(
                    "SELECT revision FROM live_plans WHERE tenant_id = ?1 AND site = ?2",
                    params![tenant, plan.site],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            let revision = crate::plans::next_revision(&plan, found)?;
            let body = plan.body.to_string();
            let now = now_ms();
            tx.execute(
                "INSERT INTO live_plans (tenant_id, site, revision, records_version, event_cursor,
                                         trigger_reason, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (tenant_id, site) DO UPDATE SET
                     revision = excluded.revision, records_version = excluded.records_version,
                     event_cursor = excluded.event_cursor, trigger_reason = excluded.trigger_reason,
                     body = excluded.body, created_at = excluded.created_at",
                params![
                    tenant,
                    plan.site,
                    revision,
                    plan.records_version,
                    plan.event_cursor,
                    plan.trigger,
                    body,
                    now
                ],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO plan_revisions (tenant_id, site, revision, records_version,
                                                        event_cursor, trigger_reason, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    tenant,
                    plan.site,
                    revision,
                    plan.records_version,
                    plan.event_cursor,
                    plan.trigger,
                    body,
                    now
                ],
            )?;
            tx.execute(
                "DELETE FROM plan_revisions WHERE tenant_id = ?1 AND site = ?2 AND revision <= ?3",
                params![tenant, plan.site, revision - KEPT_REVISIONS],
            )?;
            if let Some(step) = step {
                super::steering::write_step(&tx, tenant, &plan.site, revision, step, now)?;
            }
            tx.commit()?;
            Ok(revision)
        })
        .await
    }

    /// The site's live plan, if it has one.
    pub(crate) async fn live_plan(
        &self,
        tenant: TenantId,
        site: String,
    ) -> Result<Option<LivePlanRow>, StoreError> {
        self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT site, revision, records_version, event_cursor, trigger_reason, body, created_at
                     FROM live_plans WHERE tenant_id = ?1 AND site = ?2",
                    params![tenant, site],
                    |r| {
                        Ok((
                            LivePlanRow {
                                site: r.get(0)?,
                                revision: r.get(1)?,
                                records_version: r.get(2)?,
                                event_cursor: r.get(3)?,
                                trigger: r.get(4)?,
                                body: serde_json::Value::Null,
                                created_at: r.get(6)?,
                            },
                            r.get::<_, String>(5)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(mut row, body)| {
                row.body = serde_json::from_str(&body).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
                })?;
                Ok(row)
            })
            .transpose()
        })
        .await
    }

    /// Every site with a live plan, of every tenant.
    pub(crate) async fn watched_sites(&self) -> Result<Vec<WatchedSite>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT tenant_id, site, revision, records_version, event_cursor FROM live_plans
                 ORDER BY tenant_id, site",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(WatchedSite {
                        tenant: r.get(0)?,
                        site: r.get(1)?,
                        revision: r.get(2)?,
                        records_version: r.get(3)?,
                        event_cursor: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
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
        self.read(move |conn| {
            let placeholders = (0..kinds.len())
                .map(|i| format!("?{}", i + 5))
                .collect::<Vec<_>>()
                .join(", ");
            // The site's streams as a list the events are checked against,
            // not a join: so the events are read in arrival order from an
            // index and the read stops at the limit (joined, each page sorted
            // every remaining event of the kinds).
            let sql = format!(
                "SELECT e.id, e.kind, e.occurred_at, e.raw FROM events e
                 WHERE e.tenant_id = ?1 AND e.id > ?3 AND e.kind IN ({placeholders})
                   AND e.stream_id IN (
                       SELECT s.id FROM agent_streams s
                       JOIN agents a ON a.id = s.agent_id AND a.tenant_id = s.tenant_id
                       JOIN sites st ON st.id = a.site_id AND st.tenant_id = s.tenant_id
                       WHERE s.tenant_id = ?1 AND st.slug = ?2)
                 ORDER BY e.id LIMIT ?4"
            );
            let mut args: Vec<SqlValue> = vec![
                tenant.into(),
                site.into(),
                after.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ];
            args.extend(kinds.iter().map(|k| SqlValue::from(k.to_string())));
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(args), |r| {
                    Ok(SiteEvent {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        occurred_at: r.get(2)?,
                        raw: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

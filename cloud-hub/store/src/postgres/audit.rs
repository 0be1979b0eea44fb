//! The append-only audit log in PostgreSQL: one INSERT to add, one SELECT
//! to read; nothing here updates or deletes (and a trigger refuses it).

use super::PgStore;
use crate::access::{AuditEntry, AuditQuery, AuditRow};
use crate::{StoreError, TenantId};

impl PgStore {
    /// Appends one record at `at`.
    pub(crate) async fn append_audit(
        &self,
        tenant: TenantId,
        at: i64,
        entry: AuditEntry,
    ) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        let status = i32::from(entry.status);
        client
            .execute(
                "INSERT INTO audit_log (tenant_id, at, actor_kind, actor, address, user_agent, action,
                                        object_kind, object_code, outcome, status, before, after, detail)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &[
                    &tenant.as_uuid(),
                    &at,
                    &entry.actor_kind,
                    &entry.actor,
                    &entry.address,
                    &entry.user_agent,
                    &entry.action,
                    &entry.object_kind,
                    &entry.object_code,
                    &entry.outcome,
                    &status,
                    &entry.before,
                    &entry.after,
                    &entry.detail,
                ],
            )
            .await?;
        Ok(())
    }

    /// Records matching `query`, newest first.
    pub(crate) async fn query_audit(
        &self,
        tenant: TenantId,
        query: AuditQuery,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let client = self.pool.get().await?;
        let like = query
            .action
            .map(|a| format!("%{}%", a.replace(['%', '_', '\\'], "")));
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        client
            .query(
                "SELECT id, at, actor_kind, actor, address, user_agent, action, object_kind, object_code,
                        outcome, status, before, after, detail
                 FROM audit_log
                 WHERE tenant_id = $1 AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR action LIKE $3)
                   AND ($4::text IS NULL OR object_kind = $4) AND ($5::text IS NULL OR object_code = $5)
                   AND ($6::bigint IS NULL OR at >= $6) AND ($7::bigint IS NULL OR at < $7)
                   AND ($8::bigint IS NULL OR id < $8)
                 ORDER BY id DESC LIMIT $9",
                &[
                    &tenant.as_uuid(),
                    &query.actor,
                    &like,
                    &query.object_kind,
                    &query.object_code,
                    &query.from,
                    &query.to,
                    &query.before_id,
                    &limit,
                ],
            )
            .await?
            .iter()
            .map(|r| {
                let status: i32 = r.try_get(10)?;
                Ok(AuditRow {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    entry: AuditEntry {
                        actor_kind: r.try_get(2)?,
                        actor: r.try_get(3)?,
                        address: r.try_get(4)?,
                        user_agent: r.try_get(5)?,
                        action: r.try_get(6)?,
                        object_kind: r.try_get(7)?,
                        object_code: r.try_get(8)?,
                        outcome: r.try_get(9)?,
                        status: u16::try_from(status).unwrap_or(0),
                        before: r.try_get(11)?,
                        after: r.try_get(12)?,
                        detail: r.try_get(13)?,
                    },
                })
            })
            .collect()
    }
}

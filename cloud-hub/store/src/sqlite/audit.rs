//! The append-only audit log in SQLite: one INSERT to add, one SELECT to
//! read; nothing here updates or deletes (and triggers refuse it).

use super::SqliteStore;
use crate::access::{AuditEntry, AuditQuery, AuditRow};
use crate::{StoreError, TenantId};
use rusqlite::params;

impl SqliteStore {
    /// Appends one record at `at`.
    pub(crate) async fn append_audit(
        &self,
        tenant: TenantId,
        at: i64,
        entry: AuditEntry,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO audit_log (tenant_id, at, actor_kind, actor, address, user_agent, action,
                                        object_kind, object_code, outcome, status, before, after, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                tenant,
                at,
                entry.actor_kind,
                entry.actor,
                entry.address,
                entry.user_agent,
                entry.action,
                entry.object_kind,
                entry.object_code,
                entry.outcome,
                entry.status,
                entry.before.map(|v| v.to_string()),
                entry.after.map(|v| v.to_string()),
                entry.detail
            ])?;
            Ok(())
        })
        .await
    }

    /// Records matching `query`, newest first.
    pub(crate) async fn query_audit(
        &self,
        tenant: TenantId,
        query: AuditQuery,
    ) -> Result<Vec<AuditRow>, StoreError> {
        self.read(move |conn| {
            let like = query.action.map(|a| format!("%{}%", a.replace(['%', '_'], "")));
            let rows = conn
                .prepare_cached(
                    "SELECT id, at, actor_kind, actor, address, user_agent, action, object_kind, object_code,
                            outcome, status, before, after, detail
                     FROM audit_log
                     WHERE tenant_id = ?1 AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR action LIKE ?3)
                       AND (?4 IS NULL OR object_kind = ?4) AND (?5 IS NULL OR object_code = ?5)
                       AND (?6 IS NULL OR at >= ?6) AND (?7 IS NULL OR at < ?7) AND (?8 IS NULL OR id < ?8)
                     ORDER BY id DESC LIMIT ?9",
                )?
                .query_map(
                    params![
                        tenant,
                        query.actor,
                        like,
                        query.object_kind,
                        query.object_code,
                        query.from,
                        query.to,
                        query.before_id,
                        query.limit as i64
                    ],
                    |r| {
                        let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
                        Ok(AuditRow {
                            id: r.get(0)?,
                            at: r.get(1)?,
                            entry: AuditEntry {
                                actor_kind: r.get(2)?,
                                actor: r.get(3)?,
                                address: r.get(4)?,
                                user_agent: r.get(5)?,
                                action: r.get(6)?,
                                object_kind: r.get(7)?,
                                object_code: r.get(8)?,
                                outcome: r.get(9)?,
                                status: r.get(10)?,
                                before: json(r.get(11)?),
                                after: json(r.get(12)?),
                                detail: r.get(13)?,
                            },
                        })
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}

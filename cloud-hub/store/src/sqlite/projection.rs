//! The projection's tables in SQLite: events after the cursor or at given
//! rows, the cursor, issues and operation facts, the tenants the
//! background loops walk, statistics, and forgetting what the projection
//! derived (the first half of a rebuild).

use super::SqliteStore;
use super::ledger::write_ledger;
use crate::ledger::{LedgerWrite, LoggedEvent, ProjectionIssue, movement};
use crate::{StoreError, TenantId};
use rusqlite::{OptionalExtension, params};

impl SqliteStore {
    /// Up to `limit` events of `tenant` after row `after`, in arrival order.
    pub(crate) async fn events_after(
        &self,
        tenant: TenantId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "{EVENTS} WHERE e.tenant_id = ?1 AND e.id > ?2 ORDER BY e.id LIMIT ?3"
            ))?;
            let rows = stmt
                .query_map(
                    params![tenant, after, i64::try_from(limit).unwrap_or(i64::MAX)],
                    logged_event,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// The events of `tenant` at event rows `rows` (those it has), in row order.
    pub(crate) async fn events_at(
        &self,
        tenant: TenantId,
        rows: Vec<i64>,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!("{EVENTS} WHERE e.tenant_id = ?1 AND e.id = ?2"))?;
            let mut found = Vec::new();
            for row in rows {
                let event = stmt.query_row(params![tenant, row], logged_event).optional()?;
                found.extend(event);
            }
            found.sort_by_key(|e| e.row);
            Ok(found)
        })
        .await
    }

    /// The last event row projected for `tenant` (0: none).
    pub(crate) async fn projection_cursor(&self, tenant: TenantId) -> Result<i64, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT event_row FROM projection_cursors WHERE tenant_id = ?1",
                    [tenant],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
        .await
    }

    /// Every tenant: (id, short name).
    pub(crate) async fn tenants(&self) -> Result<Vec<(TenantId, String)>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT id, slug FROM tenants ORDER BY id")?;
            let ids = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ids)
        })
        .await
    }

    /// Events of `tenant` the projection could not book.
    pub(crate) async fn projection_issues(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<ProjectionIssue>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT event_row, event_id, kind, reason FROM projection_issues WHERE tenant_id = ?1
                 ORDER BY event_row LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![tenant, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                    Ok(ProjectionIssue {
                        event_row: r.get(0)?,
                        event_id: r.get(1)?,
                        kind: r.get(2)?,
                        reason: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Operation facts of production order `order`, oldest first:
    /// (kind, occurred_at ms, event data JSON, execution, operation).
    pub(crate) async fn operation_facts(
        &self,
        tenant: TenantId,
        order: String,
    ) -> Result<Vec<crate::ledger::OperationFact>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT event_row, execution, production_order, operation, kind, occurred_at, body
                 FROM operation_facts WHERE tenant_id = ?1 AND production_order = ?2
                 ORDER BY occurred_at, event_row",
            )?;
            let rows = stmt
                .query_map(params![tenant, order], |r| {
                    Ok(crate::ledger::OperationFact {
                        event_row: r.get(0)?,
                        execution: r.get(1)?,
                        order: r.get(2)?,
                        operation: r.get(3)?,
                        kind: r.get(4)?,
                        occurred_at: r.get(5)?,
                        body: r.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// `PRAGMA optimize` (see `Store::refresh_statistics`).
    pub(crate) async fn refresh_statistics(&self) -> Result<(), StoreError> {
        self.write(|conn| Ok(conn.execute_batch("PRAGMA optimize")?))
            .await
    }

    /// Forgets everything projected from events for `tenant` (rows, facts,
    /// issues, cursor) and recomputes the balances from the document rows
    /// that remain: the first half of a rebuild.
    pub(crate) async fn reset_projection(&self, tenant: TenantId) -> Result<(), StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            for sql in [
                "DELETE FROM stock_movements WHERE tenant_id = ?1 AND from_event = 1",
                "DELETE FROM operation_facts WHERE tenant_id = ?1",
                "DELETE FROM projection_issues WHERE tenant_id = ?1",
                "DELETE FROM projection_cursors WHERE tenant_id = ?1",
                "DELETE FROM stock_balances WHERE tenant_id = ?1",
            ] {
                tx.execute(sql, [&tenant])?;
            }
            let rows: Vec<(String, String)> = {
                let mut stmt = tx.prepare("SELECT site, body FROM stock_movements WHERE tenant_id = ?1")?;
                stmt.query_map([&tenant], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            tx.execute("DELETE FROM stock_movements WHERE tenant_id = ?1", [&tenant])?;
            let write = LedgerWrite {
                rows: rows
                    .iter()
                    .map(|(site, body)| {
                        Ok(crate::ledger::LedgerRow {
                            movement: movement(body)?,
                            site: site.clone(),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?,
                ..LedgerWrite::default()
            };
            write_ledger(&tx, &tenant, write)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}

/// The events with their site, as [`logged_event`] reads them; the
/// callers add the `WHERE`.
const EVENTS: &str = "SELECT e.id, s.slug, e.kind, e.known_kind, e.raw, e.occurred_at FROM events e
     JOIN agent_streams st ON st.id = e.stream_id
     JOIN agents a ON a.id = st.agent_id
     JOIN sites s ON s.id = a.site_id";

/// A row of [`EVENTS`].
fn logged_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<LoggedEvent> {
    Ok(LoggedEvent {
        row: r.get(0)?,
        site: r.get(1)?,
        kind: r.get(2)?,
        known: r.get(3)?,
        raw: r.get(4)?,
        occurred_at: r.get(5)?,
    })
}

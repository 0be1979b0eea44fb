//! The projection's tables in PostgreSQL: events after the cursor or at
//! given rows, the cursor, issues and operation facts, the tenants the
//! background loops walk, statistics, and forgetting what the projection
//! derived (the first half of a rebuild).

use super::PgStore;
use super::ledger::{lock_key, write_ledger};
use crate::ledger::{LedgerRow, LedgerWrite, LoggedEvent, OperationFact, ProjectionIssue, movement};
use crate::{StoreError, TenantId};

impl PgStore {
    /// The events of `tenant` at event rows `rows` (those it has), in row order.
    pub(crate) async fn events_at(
        &self,
        tenant: TenantId,
        rows: Vec<i64>,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let found = client
            .query(
                "SELECT e.id, s.slug, e.kind, e.known_kind, e.raw, e.occurred_at FROM events e
                 JOIN agent_streams st ON st.id = e.stream_id
                 JOIN agents a ON a.id = st.agent_id
                 JOIN sites s ON s.id = a.site_id
                 WHERE e.tenant_id = $1 AND e.id = ANY($2) ORDER BY e.id",
                &[&tenant, &rows],
            )
            .await?;
        found.iter().map(logged_event).collect()
    }

    /// Up to `limit` events of `tenant` after row `after`, in arrival order.
    pub(crate) async fn events_after(
        &self,
        tenant: TenantId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let tenant = tenant.as_uuid();
        let mut client = self.pool.get().await?;
        // The next `limit` events in log order are an index walk from the
        // cursor. Without fresh statistics (a log that grew by a million
        // events since the last ANALYZE, or autovacuum off) the planner
        // instead fetched every event after the cursor and sorted them:
        // 1 s per step with 900,000 to go, against 5 ms for the walk. The
        // settings below, for this one read-only transaction, leave the
        // walk as its only plan.
        let tx = client.transaction().await?;
        tx.batch_execute(
            "SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off",
        )
        .await?;
        let rows = tx
            .query(
                "SELECT e.id, s.slug, e.kind, e.known_kind, e.raw, e.occurred_at
                 FROM (SELECT id, stream_id, kind, known_kind, raw, occurred_at FROM events
                       WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3) e
                 JOIN agent_streams st ON st.id = e.stream_id
                 JOIN agents a ON a.id = st.agent_id
                 JOIN sites s ON s.id = a.site_id
                 ORDER BY e.id",
                &[&tenant, &after, &i64::try_from(limit).unwrap_or(i64::MAX)],
            )
            .await?;
        tx.commit().await?;
        rows.iter().map(logged_event).collect()
    }

    /// The last event row projected for `tenant` (0: none).
    pub(crate) async fn projection_cursor(&self, tenant: TenantId) -> Result<i64, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        Ok(client
            .query_opt(
                "SELECT event_row FROM projection_cursors WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0))
    }

    /// Every tenant: (id, short name).
    pub(crate) async fn tenants(&self) -> Result<Vec<(TenantId, String)>, StoreError> {
        let client = self.pool.get().await?;
        client
            .query("SELECT id, slug FROM tenants ORDER BY id", &[])
            .await?
            .iter()
            .map(|r| Ok((TenantId::from_row(r.try_get(0)?), r.try_get(1)?)))
            .collect()
    }

    /// Events of `tenant` the projection could not book.
    pub(crate) async fn projection_issues(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<ProjectionIssue>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT event_row, event_id, kind, reason FROM projection_issues WHERE tenant_id = $1
                 ORDER BY event_row LIMIT $2",
                &[&tenant, &i64::try_from(limit).unwrap_or(i64::MAX)],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(ProjectionIssue {
                    event_row: r.try_get(0)?,
                    event_id: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    reason: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Operation facts of production order `order`, oldest first.
    pub(crate) async fn operation_facts(
        &self,
        tenant: TenantId,
        order: String,
    ) -> Result<Vec<OperationFact>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT event_row, execution, production_order, operation, kind, occurred_at, body
                 FROM operation_facts WHERE tenant_id = $1 AND production_order = $2
                 ORDER BY occurred_at, event_row",
                &[&tenant, &order],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(OperationFact {
                    event_row: r.try_get(0)?,
                    execution: r.try_get(1)?,
                    order: r.try_get(2)?,
                    operation: r.try_get(3)?,
                    kind: r.try_get(4)?,
                    occurred_at: r.try_get(5)?,
                    body: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// `ANALYZE` of the ledger tables (see `Store::refresh_statistics`).
    pub(crate) async fn refresh_statistics(&self) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .batch_execute("ANALYZE stock_movements, stock_balances, operation_facts")
            .await?;
        Ok(())
    }

    /// Forgets everything projected from events for `tenant` and recomputes
    /// the balances from the document rows that remain (under the ledger's
    /// lock of the tenant).
    pub(crate) async fn reset_projection(&self, tenant: TenantId) -> Result<(), StoreError> {
        let tenant = tenant.as_uuid();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(&tenant)])
            .await?;
        for sql in [
            "DELETE FROM stock_movements WHERE tenant_id = $1 AND from_event",
            "DELETE FROM operation_facts WHERE tenant_id = $1",
            "DELETE FROM projection_issues WHERE tenant_id = $1",
            "DELETE FROM projection_cursors WHERE tenant_id = $1",
            "DELETE FROM stock_balances WHERE tenant_id = $1",
        ] {
            tx.execute(sql, &[&tenant]).await?;
        }
        let rows = tx
            .query(
                "SELECT site, body FROM stock_movements WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(LedgerRow {
                    site: r.try_get(0)?,
                    movement: movement(r.try_get(1)?)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        tx.execute("DELETE FROM stock_movements WHERE tenant_id = $1", &[&tenant])
            .await?;
        write_ledger(
            &tx,
            &tenant,
            LedgerWrite {
                rows,
                ..LedgerWrite::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A row of `SELECT e.id, s.slug, e.kind, e.known_kind, e.raw, e.occurred_at`.
fn logged_event(r: &tokio_postgres::Row) -> Result<LoggedEvent, StoreError> {
    Ok(LoggedEvent {
        row: r.try_get(0)?,
        site: r.try_get(1)?,
        kind: r.try_get(2)?,
        known: r.try_get(3)?,
        raw: r.try_get(4)?,
        occurred_at: r.try_get(5)?,
    })
}

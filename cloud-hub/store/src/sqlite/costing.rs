//! The costing's snapshots in SQLite (see `store/costing.rs`).

use super::SqliteStore;
use crate::StoreError;
use crate::TenantId;
use crate::costing::{CostSnapshot, RECORD_SQL_TAIL};
use rusqlite::{OptionalExtension, params};

impl SqliteStore {
    /// See [`crate::Store::record_order_cost`].
    pub(crate) async fn record_order_cost(
        &self,
        tenant: TenantId,
        order: String,
        figures: String,
        now: i64,
    ) -> Result<CostSnapshot, StoreError> {
        self.write(move |conn| {
            let sql = format!(
                "INSERT INTO order_cost_snapshots (tenant_id, production_order, figures, first_costed_at,
                     changed_at, previous) VALUES (?1, ?2, ?3, ?4, ?4, NULL) {RECORD_SQL_TAIL}"
            );
            Ok(conn.query_row(&sql, params![tenant, order, figures, now], |r| {
                Ok(CostSnapshot {
                    first_costed_at: r.get(0)?,
                    changed_at: r.get(1)?,
                    previous: r.get(2)?,
                })
            })?)
        })
        .await
    }

    /// The figures recorded for `order` with their snapshot, if any.
    pub(crate) async fn order_cost_snapshot(
        &self,
        tenant: TenantId,
        order: String,
    ) -> Result<Option<(String, CostSnapshot)>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT figures, first_costed_at, changed_at, previous FROM order_cost_snapshots
                 WHERE tenant_id = ?1 AND production_order = ?2",
            )?;
            Ok(stmt
                .query_row(params![tenant, order], |r| {
                    Ok((
                        r.get(0)?,
                        CostSnapshot {
                            first_costed_at: r.get(1)?,
                            changed_at: r.get(2)?,
                            previous: r.get(3)?,
                        },
                    ))
                })
                .optional()?)
        })
        .await
    }
}

//! The costing's snapshots in PostgreSQL (see `store/costing.rs`).

use super::PgStore;
use crate::StoreError;
use crate::TenantId;
use crate::costing::{CostSnapshot, RECORD_SQL_TAIL};

impl PgStore {
    /// See [`crate::Store::record_order_cost`].
    pub(crate) async fn record_order_cost(
        &self,
        tenant: TenantId,
        order: String,
        figures: String,
        now: i64,
    ) -> Result<CostSnapshot, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let sql = format!(
            "INSERT INTO order_cost_snapshots (tenant_id, production_order, figures, first_costed_at,
                 changed_at, previous) VALUES ($1, $2, $3, $4, $4, NULL) {RECORD_SQL_TAIL}"
        );
        let row = client.query_one(&sql, &[&tenant, &order, &figures, &now]).await?;
        Ok(CostSnapshot {
            first_costed_at: row.try_get(0)?,
            changed_at: row.try_get(1)?,
            previous: row.try_get(2)?,
        })
    }

    /// The figures recorded for `order` with their snapshot, if any.
    pub(crate) async fn order_cost_snapshot(
        &self,
        tenant: TenantId,
        order: String,
    ) -> Result<Option<(String, CostSnapshot)>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT figures, first_costed_at, changed_at, previous FROM order_cost_snapshots
                 WHERE tenant_id = $1 AND production_order = $2",
                &[&tenant, &order],
            )
            .await?;
        row.map(|r| {
            Ok((
                r.try_get(0)?,
                CostSnapshot {
                    first_costed_at: r.try_get(1)?,
                    changed_at: r.try_get(2)?,
                    previous: r.try_get(3)?,
                },
            ))
        })
        .transpose()
    }
}

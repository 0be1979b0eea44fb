//! What the store keeps for the costing: the last reported cost of each
//! production order, so a report says when its figures changed.

use crate::TenantId;

/// When an order's reported figures were first and last different.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostSnapshot {
    /// Unix ms of the first report.
    pub first_costed_at: i64,
    /// Unix ms of the report whose figures differed from the one before
    /// (the first report's instant while they never changed).
    pub changed_at: i64,
    /// The figures before that change (JSON).
    pub previous: Option<String>,
}

/// The upsert both backends run (same SQL: the right-hand sides of `SET`
/// read the row's old values in SQLite and PostgreSQL alike).
pub(crate) const RECORD_SQL_TAIL: &str = "ON CONFLICT (tenant_id, production_order) DO UPDATE SET
     previous = CASE WHEN order_cost_snapshots.figures = excluded.figures
                     THEN order_cost_snapshots.previous ELSE order_cost_snapshots.figures END,
     changed_at = CASE WHEN order_cost_snapshots.figures = excluded.figures
                       THEN order_cost_snapshots.changed_at ELSE excluded.changed_at END,
     figures = excluded.figures
 RETURNING first_costed_at, changed_at, previous";

impl super::Store {
    /// Records `figures` (JSON) as the reported cost of `order` at `now`;
    /// returns when they were first reported and last changed.
    ///
    /// Figures equal to those recorded change nothing, so they are answered
    /// from a read without a write (a report viewed again takes no write
    /// lock and waits for no commit); only new or changed figures write.
    pub async fn record_order_cost(
        &self,
        tenant: TenantId,
        order: String,
        figures: String,
        now: i64,
    ) -> Result<CostSnapshot, super::StoreError> {
        let recorded = on_backend!(self, b => b.order_cost_snapshot(tenant, order.clone()).await)?;
        if let Some((same, snapshot)) = recorded
            && same == figures
        {
            return Ok(snapshot);
        }
        on_backend!(self, b => b.record_order_cost(tenant, order, figures, now).await)
    }
}

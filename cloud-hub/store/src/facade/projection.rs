//! What the projection and the boards read and write: events after a
//! cursor, the ledger, movements and balances, the cursor, issues and
//! operation facts.

use crate::{Backend, PartsSince, Store, StoreError, TenantId, ledger, plans};

impl Store {
    /// Events of `kinds` from the agents of `site` stored after event row
    /// `after`, in arrival order, at most `limit`.
    pub async fn site_events_after(
        &self,
        tenant: TenantId,
        site: String,
        after: i64,
        kinds: &'static [&'static str],
        limit: usize,
    ) -> Result<Vec<plans::SiteEvent>, StoreError> {
        on_backend!(self, b => b.site_events_after(tenant, site, after, kinds, limit).await)
    }

    /// The latest event of `kinds` per value of its `data.{path}` (dots
    /// for nested fields; e.g. the last `equipment_state_changed` of each
    /// equipment) from the agents of `site`, by hub time then arrival, in
    /// key order (bytewise).
    pub async fn latest_per_key(
        &self,
        tenant: TenantId,
        site: String,
        kinds: &'static [&'static str],
        path: &'static str,
    ) -> Result<Vec<(String, plans::SiteEvent)>, StoreError> {
        on_backend!(self, b => b.latest_per_key(tenant, site, kinds, path).await)
    }

    /// Good and scrap parts counted per equipment of `site` at or after
    /// `since` (hub time, unix ms), in equipment order (bytewise).
    pub async fn parts_since(
        &self,
        tenant: TenantId,
        site: String,
        since: i64,
    ) -> Result<Vec<PartsSince>, StoreError> {
        on_backend!(self, b => b.parts_since(tenant, site, since).await)
    }

    /// Writes ledger rows (and the projection's progress) in one transaction; see [`ledger::LedgerWrite`].
    pub async fn write_ledger(
        &self,
        tenant: TenantId,
        write: ledger::LedgerWrite,
    ) -> Result<ledger::LedgerOutcome, StoreError> {
        match &self.0 {
            Backend::Sqlite(b) => b.write_ledger(tenant, write).await,
            Backend::Postgres(b) => b.write_ledger(tenant, write, self.3.as_deref()).await,
        }
    }

    /// Stock balances by `query`, in (material, lot, location) order (bytewise).
    pub async fn balances(
        &self,
        tenant: TenantId,
        query: ledger::BalanceQuery,
    ) -> Result<Vec<ledger::BalanceRow>, StoreError> {
        on_backend!(self, b => b.balances(tenant, query).await)
    }

    /// Every movement of `material` (optionally of one lot and location), unordered.
    pub async fn movements_of(
        &self,
        tenant: TenantId,
        material: String,
        lot: Option<String>,
        location: Option<String>,
    ) -> Result<Vec<mes_stock::Movement>, StoreError> {
        on_backend!(self, b => b.movements_of(tenant, material, lot, location).await)
    }

    /// Every movement of `tenant`, unordered (what the costing and the lot
    /// trace read: one query instead of one per material).
    pub async fn all_movements(&self, tenant: TenantId) -> Result<Vec<mes_stock::Movement>, StoreError> {
        on_backend!(self, b => b.all_movements(tenant).await)
    }

    /// Every movement booked for production order `order`, unordered.
    pub async fn movements_of_order(
        &self,
        tenant: TenantId,
        order: String,
    ) -> Result<Vec<mes_stock::Movement>, StoreError> {
        on_backend!(self, b => b.movements_of_order(tenant, order).await)
    }

    /// Every movement booked for any of production orders `orders`, in one
    /// query (a page of the order list), unordered.
    pub async fn movements_of_orders(
        &self,
        tenant: TenantId,
        orders: Vec<String>,
    ) -> Result<Vec<mes_stock::Movement>, StoreError> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        on_backend!(self, b => b.movements_of_orders(tenant, orders).await)
    }

    /// Up to `limit` events of `tenant` after event row `after`, in arrival order.
    pub async fn events_after(
        &self,
        tenant: TenantId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ledger::LoggedEvent>, StoreError> {
        on_backend!(self, b => b.events_after(tenant, after, limit).await)
    }

    /// The events of `tenant` at event rows `rows` (those it has), in row
    /// order: what re-applying set-aside events reads.
    pub async fn events_at(
        &self,
        tenant: TenantId,
        rows: Vec<i64>,
    ) -> Result<Vec<ledger::LoggedEvent>, StoreError> {
        on_backend!(self, b => b.events_at(tenant, rows).await)
    }

    /// The last event row the projection covered for `tenant` (0: none).
    pub async fn projection_cursor(&self, tenant: TenantId) -> Result<i64, StoreError> {
        on_backend!(self, b => b.projection_cursor(tenant).await)
    }

    /// Every tenant: (id, short name).
    pub async fn tenants(&self) -> Result<Vec<(TenantId, String)>, StoreError> {
        on_backend!(self, b => b.tenants().await)
    }

    /// Events of `tenant` the projection could not book, oldest first.
    pub async fn projection_issues(
        &self,
        tenant: TenantId,
        limit: usize,
    ) -> Result<Vec<ledger::ProjectionIssue>, StoreError> {
        on_backend!(self, b => b.projection_issues(tenant, limit).await)
    }

    /// What the floor reported about the runs of production order `order`, oldest first.
    pub async fn operation_facts(
        &self,
        tenant: TenantId,
        order: String,
    ) -> Result<Vec<ledger::OperationFact>, StoreError> {
        on_backend!(self, b => b.operation_facts(tenant, order).await)
    }

    /// Refreshes the query planner's statistics of the ledger tables, after
    /// they changed wholesale (a rebuild): PostgreSQL's autovacuum would
    /// get there within minutes, and until then it plans stock list pages
    /// as if the tables were empty (a sort of every balance instead of an
    /// index walk). SQLite: `PRAGMA optimize`.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        on_backend!(self, b => b.refresh_statistics().await)
    }

    /// Forgets everything projected from events for `tenant` and recomputes balances from the document rows (the first half of a rebuild).
    pub async fn reset_projection(&self, tenant: TenantId) -> Result<(), StoreError> {
        on_backend!(self, b => b.reset_projection(tenant).await)
    }
}

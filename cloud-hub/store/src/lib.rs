//! The hub's storage: one API over two backends with the same behaviour,
//! embedded SQLite (`sqlite/`, the default) and PostgreSQL (`postgres/`),
//! with their migrations (`migrations/`), the database configuration
//! ([`config`]) and token hashing ([`tokens`]).
//!
//! Every query takes a [`TenantId`], which only this crate can make (from
//! a token, a created tenant or a short name looked up for the command
//! line; see [`tenant`](crate::TenantId)); the only lookups without one are
//! the token lookups that find the tenant and the background loops' lists
//! of tenants.
//!
//! # Architecture invariant
//!
//! This crate depends on `mes-protocols` (the event vocabulary), `mes-stock`
//! (the ledger's rules, which it persists) and database drivers; never on
//! the hub crate (`cloud-hub`): no HTTP, no features, no configuration
//! other than `[database]`. What a row means (a batch's gap or conflict, a
//! record's version, a ledger write's judgement) is decided in shared code
//! here (`rules.rs`, `ledger.rs`, `records.rs`), never in one backend only.
//!
//! `Store` is an enum over the two backends rather than a `dyn` trait: the
//! set is closed, async methods dispatch without boxing, and this file is
//! the one place that lists what a backend must do. What a batch means
//! (gaps, conflicts, dropped ranges, anomaly texts) lives in `rules.rs`, so
//! the backends differ only in how they talk to their database. The shared
//! test suite `cloud-hub/tests/store_suite.rs` runs every case on both.

/// The replica heartbeats and tenant leases on PostgreSQL
/// ([`Store::leases`]; the protocol is in [`leases`]).
#[derive(Clone)]
pub struct Leases(PgStore);

impl Leases {
    /// Writes `replica`'s heartbeat (alive for `ttl`); answers how many
    /// replicas are alive, this one included.
    pub async fn heartbeat(&self, replica: &str, ttl: std::time::Duration) -> Result<usize, StoreError> {
        self.0.replica_heartbeat(replica, ttl).await
    }

    /// Extends the leases of `held` that are still their holder's by
    /// `ttl`; answers those still held (the others are lost).
    pub async fn renew(
        &self,
        held: &[leases::Fence],
        ttl: std::time::Duration,
    ) -> Result<Vec<leases::Fence>, StoreError> {
        self.0.renew_leases(held, ttl).await
    }

    /// Takes up to `want` free or expired tenant leases for `holder`.
    pub async fn take(
        &self,
        holder: &Arc<str>,
        want: usize,
        ttl: std::time::Duration,
    ) -> Result<Vec<leases::Taken>, StoreError> {
        self.0.take_leases(holder, want, ttl).await
    }

    /// Gives a lease up at once.
    pub async fn release(&self, fence: &leases::Fence) -> Result<(), StoreError> {
        self.0.release_lease(fence).await
    }

    /// `replica` stops: its leases and heartbeat end now.
    pub async fn leave(&self, replica: &str) -> Result<(), StoreError> {
        self.0.leave(replica).await
    }

    /// How many tenants the replicas share.
    pub async fn tenant_count(&self) -> Result<usize, StoreError> {
        self.0.tenant_count().await
    }
}

/// Live notices between replicas on PostgreSQL ([`Store::notices`]):
/// LISTEN/NOTIFY on the channel `mes_site_changed`.
#[derive(Clone)]
pub struct Notices(PgStore);

pub use postgres::SiteNotice;

impl Notices {
    /// Says to every listening replica that each of `sites` has new events;
    /// `origin` names this replica (so it can ignore its own notices).
    pub async fn notify(&self, origin: &str, sites: &[(TenantId, String)]) -> Result<(), StoreError> {
        self.0.notify_sites(origin, sites).await
    }

    /// Listens on a direct connection (to `url`, else the store's
    /// database; LISTEN needs a session, so not through PgBouncer in
    /// transaction mode) and sends every notice to `sink` until the
    /// connection ends (an error: connect again) or `sink` closes. `ready`
    /// is sent once listening.
    pub async fn listen(
        &self,
        url: Option<&str>,
        sink: tokio::sync::mpsc::Sender<SiteNotice>,
        ready: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> Result<(), StoreError> {
        self.0.listen_sites(url, sink, ready).await
    }
}

/// Runs the same call on whichever backend this store is (each arm is
/// type-checked against its own backend).
macro_rules! on_backend {
    ($store:ident, $b:ident => $call:expr) => {
        match &$store.0 {
            $crate::Backend::Sqlite($b) => $call,
            $crate::Backend::Postgres($b) => $call,
        }
    };
}

pub mod access;
pub mod batch;
pub mod config;
pub mod costing;
mod error;
mod keyed;
pub mod leases;
pub mod ledger;
pub mod plans;
mod postgres;
pub mod records;
pub mod rights;
mod rules;
mod sqlite;
mod tenant;
pub mod tokens;
mod types;

pub use error::StoreError;
pub use records::{Expect, RecordQuery, RecordRow, RecordWrite};
pub use tenant::{SiteId, TenantId, UserId};
pub use types::{
    AgentAuth, AgentSummary, IngestOutcome, IngestRejection, NewAgent, NewToken, PartsSince, TokenSummary,
};

use crate::batch::IngestBatch;
use crate::config::{DatabaseConfig, DatabaseLocation};
use postgres::PgStore;
use sqlite::SqliteStore;
use std::path::Path;
use std::sync::Arc;

/// Handle to the hub database; cheap to clone.
///
/// A handle may carry a tenant lease's [`leases::Fence`]
/// ([`Store::fenced`]): its projection steps then commit only while the
/// lease is still this replica's (PostgreSQL; `leases.rs`).
#[derive(Clone)]
pub struct Store(
    Backend,
    Arc<access::PrincipalCache>,
    StoreInstance,
    Option<Arc<leases::Fence>>,
);

/// Which opened database a [`Store`] handle is (clones share it): a number
/// unique in the process, for caches the hub keeps per database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreInstance(u64);

impl StoreInstance {
    fn next() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        StoreInstance(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

#[derive(Clone)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store {
    /// Opens the database named by `config` and applies its migrations.
    ///
    /// Blocks while connecting and migrating; call it before the runtime
    /// starts or from the blocking pool.
    pub fn open(config: &DatabaseConfig) -> Result<Store, StoreError> {
        let location = config.location().map_err(|reason| StoreError::BadUrl {
            url: config.redacted_url(),
            reason,
        })?;
        match location {
            DatabaseLocation::Sqlite(path) => Self::open_sqlite(path),
            DatabaseLocation::Postgres(url) => Ok(Store(
                Backend::Postgres(PgStore::open(
                    url,
                    config.max_connections,
                    config.statement_timeout_ms,
                )?),
                Arc::default(),
                StoreInstance::next(),
                None,
            )),
        }
    }

    /// Opens (creating and migrating) the SQLite database at `path`.
    pub fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        Ok(Store(
            Backend::Sqlite(SqliteStore::open(path)?),
            Arc::default(),
            StoreInstance::next(),
            None,
        ))
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://…`) with a
    /// pool of at most `max_connections`, and applies the migrations.
    /// Blocks while doing so (see [`Store::open`]).
    pub fn open_postgres(url: &str, max_connections: usize) -> Result<Store, StoreError> {
        Ok(Store(
            Backend::Postgres(PgStore::open(
                url,
                max_connections,
                config::DEFAULT_STATEMENT_TIMEOUT_MS,
            )?),
            Arc::default(),
            StoreInstance::next(),
            None,
        ))
    }

    /// Which opened database this handle is (the same for its clones).
    pub fn instance(&self) -> StoreInstance {
        self.2
    }

    /// This store whose ledger writes are made under `fence`: on
    /// PostgreSQL each commits only while the tenant's lease is still the
    /// one `fence` names (checked and held in the write's transaction),
    /// else fails with [`StoreError::LeaseLost`]. SQLite has one serving
    /// hub (its serve lock) and no leases: the fence changes nothing there.
    pub fn fenced(&self, fence: leases::Fence) -> Store {
        Store(self.0.clone(), self.1.clone(), self.2, Some(Arc::new(fence)))
    }

    /// Live notices between replicas: `Some` on PostgreSQL, `None` on
    /// SQLite (one hub per file, whose ingest feeds its boards directly).
    pub fn notices(&self) -> Option<Notices> {
        match &self.0 {
            Backend::Sqlite(_) => None,
            Backend::Postgres(b) => Some(Notices(b.clone())),
        }
    }

    /// The replica heartbeats and tenant leases of several hubs on one
    /// database: `Some` on PostgreSQL, `None` on SQLite (one hub per file,
    /// doing every tenant's background work).
    pub fn leases(&self) -> Option<Leases> {
        match &self.0 {
            Backend::Sqlite(_) => None,
            Backend::Postgres(b) => Some(Leases(b.clone())),
        }
    }

    /// Which backend this is (`sqlite` or `postgres`), for logs and tests.
    pub fn backend_name(&self) -> &'static str {
        match &self.0 {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers a trivial query (the health check).
    pub async fn health(&self) -> Result<(), StoreError> {
        on_backend!(self, b => b.health().await)
    }

    /// Creates a tenant with the short name `slug`; returns its id.
    /// Blocking (the command line's).
    pub fn create_tenant(&self, slug: &str) -> Result<TenantId, StoreError> {
        on_backend!(self, b => b.create_tenant(slug))
    }

    /// The tenant with the short name `slug` (the command line names
    /// tenants so); a name that is no tenant is [`StoreError::NotFound`].
    /// Blocking.
    pub fn tenant_by_slug(&self, slug: &str) -> Result<TenantId, StoreError> {
        on_backend!(self, b => b.tenant_by_slug(slug))
    }

    /// Creates a site `slug` in the tenant with the short name `tenant_slug`;
    /// returns its id. Blocking.
    pub fn create_site(&self, tenant_slug: &str, slug: &str) -> Result<SiteId, StoreError> {
        on_backend!(self, b => b.create_site(tenant_slug, slug))
    }

    /// Creates an agent for `site` of the tenant `tenant_slug` and returns its id and token.
    /// Blocking.
    pub fn create_agent(&self, tenant_slug: &str, site: &str, name: &str) -> Result<NewAgent, StoreError> {
        on_backend!(self, b => b.create_agent(tenant_slug, site, name))
    }

    /// Creates an API token that may act within the tenant `tenant_slug`. Blocking.
    pub fn create_api_token(&self, tenant_slug: &str, name: &str) -> Result<NewToken, StoreError> {
        on_backend!(self, b => b.create_api_token(tenant_slug, name))
    }

    /// The agent a bearer token belongs to, if any.
    pub async fn agent_by_token(&self, token: &str) -> Result<Option<AgentAuth>, StoreError> {
        on_backend!(self, b => b.agent_by_token(token).await)
    }

    /// The tenant an API token belongs to, if any.
    pub async fn tenant_by_api_token(&self, token: &str) -> Result<Option<TenantId>, StoreError> {
        on_backend!(self, b => b.tenant_by_api_token(token).await)
    }

    /// Revokes every valid API token named `name` of `tenant_id` (it no
    /// longer authenticates); returns how many.
    pub async fn revoke_api_tokens(&self, tenant_id: TenantId, name: String) -> Result<u64, StoreError> {
        on_backend!(self, b => b.revoke_api_tokens(tenant_id, name).await)
    }

    /// Every API token of `tenant_id` (names and dates, never the token).
    pub async fn list_api_tokens(&self, tenant_id: TenantId) -> Result<Vec<TokenSummary>, StoreError> {
        on_backend!(self, b => b.list_api_tokens(tenant_id).await)
    }

    /// Disables agent `agent_id` of `tenant_id` (its token no longer
    /// authenticates; its events and state are kept) or enables it again;
    /// false when the tenant has no such agent.
    pub async fn set_agent_disabled(
        &self,
        tenant_id: TenantId,
        agent_id: String,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        on_backend!(self, b => b.set_agent_disabled(tenant_id, agent_id, disabled).await)
    }

    /// Every agent of `tenant_id` with its sync state.
    pub async fn list_agents(&self, tenant_id: TenantId) -> Result<Vec<AgentSummary>, StoreError> {
        on_backend!(self, b => b.list_agents(tenant_id).await)
    }

    /// Stores `batch` from the authenticated agent `auth`: atomically (a
    /// rejected batch stores nothing), each event id at most once per
    /// tenant, and only when it continues what is stored for its
    /// incarnation (see `rules.rs`). Returns only after the commit.
    pub async fn ingest(
        &self,
        auth: AgentAuth,
        batch: IngestBatch,
    ) -> Result<Result<IngestOutcome, IngestRejection>, StoreError> {
        on_backend!(self, b => b.ingest(auth, batch).await)
    }

    /// Writes master-data records in one transaction: all or none. Each
    /// write advances the tenant's version.
    pub async fn write_records(
        &self,
        tenant: TenantId,
        writes: Vec<RecordWrite>,
    ) -> Result<Vec<RecordRow>, StoreError> {
        on_backend!(self, b => b.write_records(tenant, writes).await)
    }

    /// One master-data record of `tenant`, archived or not.
    pub async fn get_record(
        &self,
        tenant: TenantId,
        kind: &'static str,
        code: String,
    ) -> Result<Option<RecordRow>, StoreError> {
        on_backend!(self, b => b.get_record(tenant, kind, code).await)
    }

    /// Master-data records of one kind, in code order (bytewise).
    pub async fn list_records(
        &self,
        tenant: TenantId,
        kind: &'static str,
        query: RecordQuery,
    ) -> Result<Vec<RecordRow>, StoreError> {
        on_backend!(self, b => b.list_records(tenant, kind, query).await)
    }

    /// Records of `kinds` written after version `since`, in version order.
    pub async fn records_changed_since(
        &self,
        tenant: TenantId,
        kinds: &'static [&'static str],
        since: i64,
        limit: usize,
    ) -> Result<Vec<RecordRow>, StoreError> {
        on_backend!(self, b => b.records_changed_since(tenant, kinds, since, limit).await)
    }

    /// The tenant's master-data version (0 before its first write).
    pub async fn tenant_version(&self, tenant: TenantId) -> Result<i64, StoreError> {
        on_backend!(self, b => b.tenant_version(tenant).await)
    }

    /// Whether `tenant` has a site with the short name `slug`.
    pub async fn site_exists(&self, tenant: TenantId, slug: String) -> Result<bool, StoreError> {
        on_backend!(self, b => b.site_exists(tenant, slug).await)
    }

    /// Stores `plan` as the site's live plan (replacing the one at
    /// `plan.if_revision` when given); returns its revision. Through a
    /// [`Store::fenced`] handle (a background re-plan on PostgreSQL) the
    /// write commits only while the tenant's lease is still the fence's.
    pub async fn save_live_plan(
        &self,
        tenant: TenantId,
        plan: plans::NewLivePlan,
    ) -> Result<i64, StoreError> {
        match &self.0 {
            Backend::Sqlite(b) => b.save_live_plan(tenant, plan, None).await,
            Backend::Postgres(b) => b.save_live_plan(tenant, plan, None, self.3.as_deref()).await,
        }
    }

    /// [`Store::save_live_plan`] for a planner's accepted change, undo or
    /// redo: `step` goes into the author's stack in the same transaction.
    pub async fn save_live_plan_step(
        &self,
        tenant: TenantId,
        plan: plans::NewLivePlan,
        step: plans::StepWrite,
    ) -> Result<i64, StoreError> {
        match &self.0 {
            Backend::Sqlite(b) => b.save_live_plan(tenant, plan, Some(step)).await,
            Backend::Postgres(b) => {
                b.save_live_plan(tenant, plan, Some(step), self.3.as_deref())
                    .await
            }
        }
    }

    /// The live plan's revision of `site` (none: no plan), without reading
    /// its document: an open board's light check for a new plan.
    pub async fn live_plan_revision(
        &self,
        tenant: TenantId,
        site: String,
    ) -> Result<Option<i64>, StoreError> {
        on_backend!(self, b => b.live_plan_revision(tenant, site).await)
    }

    /// Revision `revision` of the plan of `site`, if it is still kept
    /// (the last [`plans::KEPT_REVISIONS`] are).
    pub async fn plan_revision(
        &self,
        tenant: TenantId,
        site: String,
        revision: i64,
    ) -> Result<Option<plans::LivePlanRow>, StoreError> {
        on_backend!(self, b => b.plan_revision(tenant, site, revision).await)
    }

    /// Stores a what-if's draft (drafts of the site older than
    /// [`plans::DRAFT_LIFETIME_MS`], and the oldest beyond
    /// [`plans::KEPT_DRAFTS`], are forgotten meanwhile).
    pub async fn save_plan_draft(
        &self,
        tenant: TenantId,
        draft: plans::PlanDraftRow,
    ) -> Result<(), StoreError> {
        on_backend!(self, b => b.save_plan_draft(tenant, draft).await)
    }

    /// The draft `draft_id` of `site`, if it is kept.
    pub async fn plan_draft(
        &self,
        tenant: TenantId,
        site: String,
        draft_id: String,
    ) -> Result<Option<plans::PlanDraftRow>, StoreError> {
        on_backend!(self, b => b.plan_draft(tenant, site, draft_id).await)
    }

    /// Forgets the draft `draft_id` of `site`; whether there was one.
    pub async fn delete_plan_draft(
        &self,
        tenant: TenantId,
        site: String,
        draft_id: String,
    ) -> Result<bool, StoreError> {
        on_backend!(self, b => b.delete_plan_draft(tenant, site, draft_id).await)
    }

    /// The steps `author` made on the plan of `site`, oldest first.
    pub async fn plan_steps(
        &self,
        tenant: TenantId,
        site: String,
        author: String,
    ) -> Result<Vec<plans::PlanStep>, StoreError> {
        on_backend!(self, b => b.plan_steps(tenant, site, author).await)
    }

    /// The live plan of `site` of `tenant`, if it has one.
    pub async fn live_plan(
        &self,
        tenant: TenantId,
        site: String,
    ) -> Result<Option<plans::LivePlanRow>, StoreError> {
        on_backend!(self, b => b.live_plan(tenant, site).await)
    }

    /// Every site of every tenant with a live plan (the re-planning
    /// watcher's one query without a tenant; see `plans.rs`).
    pub async fn watched_sites(&self) -> Result<Vec<plans::WatchedSite>, StoreError> {
        on_backend!(self, b => b.watched_sites().await)
    }

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

    // ----- people, rights, sessions, audit (see `access.rs`) -----

    /// The tenant with the short name `slug` (a login names its company
    /// so); [`StoreError::NotFound`] when there is none.
    pub async fn tenant_id_by_slug(&self, slug: String) -> Result<TenantId, StoreError> {
        on_backend!(self, b => b.tenant_id_by_slug(slug).await)
    }

    /// The active user an API token acts as, with the rights it holds.
    ///
    /// One query finds the live token by its hash and reads its access
    /// version; the principal comes from this handle's cache while that
    /// version is the one it was read at (every change to roles, groups,
    /// grants or a user's active flag advances the version of every live
    /// credential it reaches, in the change's transaction:
    /// `migrations/*/0010_credential_access_version.sql`), else from two
    /// more. So a revoked token, a disabled user or a changed role counts
    /// from the next request, on every hub sharing the database.
    pub async fn principal_by_api_token(
        &self,
        token: &str,
    ) -> Result<Option<access::PrincipalRow>, StoreError> {
        self.principal(access::CredentialHash::ApiToken(tokens::hash_token(token)))
            .await
    }

    /// The live browser session whose secret hashes to `secret_hash`, and
    /// its active user with the rights it holds (cached as for
    /// [`Store::principal_by_api_token`]; the session's last request is
    /// read on every call).
    pub async fn principal_by_session(
        &self,
        secret_hash: Vec<u8>,
    ) -> Result<Option<access::PrincipalRow>, StoreError> {
        self.principal(access::CredentialHash::Session(secret_hash)).await
    }

    async fn principal(
        &self,
        credential: access::CredentialHash,
    ) -> Result<Option<access::PrincipalRow>, StoreError> {
        let key = credential.clone();
        let Some(seen) = on_backend!(self, b => b.credential_seen(key).await)? else {
            self.1.forget(&credential);
            return Ok(None);
        };
        if let Some(row) = self.1.get(&credential, seen) {
            return Ok(Some(row));
        }
        let key = credential.clone();
        let Some(record) = on_backend!(self, b => b.principal_record(key).await)? else {
            self.1.forget(&credential);
            return Ok(None);
        };
        // Read after the record's version: never older than it.
        let (tenant, user) = (record.tenant, record.user);
        let grants = on_backend!(self, b => b.user_grants(tenant, user).await)?;
        let version = record.access_version;
        let row = record.with_grants(&grants);
        self.1.put(credential, version, row.clone());
        Ok(Some(row))
    }

    /// Creates a user ([`StoreError::Exists`] when the login is taken).
    pub async fn create_user(
        &self,
        tenant: TenantId,
        user: access::NewUser,
    ) -> Result<access::UserRow, StoreError> {
        on_backend!(self, b => b.create_user(tenant, user).await)
    }

    /// A user with what logging in needs (password hash, one-session flags).
    pub async fn login_user(
        &self,
        tenant: TenantId,
        login: String,
    ) -> Result<Option<access::LoginUser>, StoreError> {
        on_backend!(self, b => b.login_user(tenant, login).await)
    }

    /// Every user of the tenant, by login.
    pub async fn list_users(&self, tenant: TenantId) -> Result<Vec<access::UserRow>, StoreError> {
        on_backend!(self, b => b.list_users(tenant).await)
    }

    /// Changes a user's fields; `None` when there is no such user.
    pub async fn update_user(
        &self,
        tenant: TenantId,
        login: String,
        update: access::UserUpdate,
    ) -> Result<Option<access::UserRow>, StoreError> {
        on_backend!(self, b => b.update_user(tenant, login, update).await)
    }

    /// Sets a user's password (a PHC string); false when there is no such user.
    pub async fn set_password(
        &self,
        tenant: TenantId,
        login: String,
        phc: String,
    ) -> Result<bool, StoreError> {
        on_backend!(self, b => b.set_password(tenant, login, phc).await)
    }

    /// Replaces the roles granted directly to a user.
    pub async fn set_user_roles(
        &self,
        tenant: TenantId,
        login: String,
        grants: Vec<access::RoleGrant>,
    ) -> Result<access::UserRow, StoreError> {
        on_backend!(self, b => b.set_user_roles(tenant, login, grants).await)
    }

    /// Every role of the tenant, by name.
    pub async fn list_roles(&self, tenant: TenantId) -> Result<Vec<access::RoleRow>, StoreError> {
        on_backend!(self, b => b.list_roles(tenant).await)
    }

    /// Creates or replaces a role; the rights it had before, if it existed.
    pub async fn put_role(
        &self,
        tenant: TenantId,
        name: String,
        description: String,
        rights: Vec<rights::Right>,
    ) -> Result<Option<Vec<rights::Right>>, StoreError> {
        on_backend!(self, b => b.put_role(tenant, name, description, rights).await)
    }

    /// Every group of the tenant, by name.
    pub async fn list_groups(&self, tenant: TenantId) -> Result<Vec<access::GroupRow>, StoreError> {
        on_backend!(self, b => b.list_groups(tenant).await)
    }

    /// Creates or replaces a group (description, members, roles).
    pub async fn put_group(&self, tenant: TenantId, group: access::GroupRow) -> Result<(), StoreError> {
        on_backend!(self, b => b.put_group(tenant, group).await)
    }

    /// Creates an API token acting as user `login`, narrowed to `narrowing`.
    pub async fn create_user_token(
        &self,
        tenant: TenantId,
        login: String,
        name: String,
        narrowing: Option<Vec<rights::Right>>,
    ) -> Result<NewToken, StoreError> {
        on_backend!(self, b => b.create_user_token(tenant, login, name, narrowing).await)
    }

    /// Sets the tenant's one-session-per-user flag.
    pub async fn set_tenant_single_session(&self, tenant: TenantId, on: bool) -> Result<(), StoreError> {
        on_backend!(self, b => b.set_tenant_single_session(tenant, on).await)
    }

    /// The tenant's one-session-per-user flag.
    pub async fn tenant_single_session(&self, tenant: TenantId) -> Result<bool, StoreError> {
        on_backend!(self, b => b.tenant_single_session(tenant).await)
    }

    /// Starts a browser session; its public id.
    pub async fn create_session(
        &self,
        tenant: TenantId,
        session: access::NewSession,
    ) -> Result<uuid::Uuid, StoreError> {
        on_backend!(self, b => b.create_session(tenant, session).await)
    }

    /// Records a request of session `id` at `at` (unix ms).
    pub async fn touch_session(&self, tenant: TenantId, id: uuid::Uuid, at: i64) -> Result<(), StoreError> {
        on_backend!(self, b => b.touch_session(tenant, id, at).await)
    }

    /// The live sessions of the tenant, or of one user.
    pub async fn live_sessions(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
    ) -> Result<Vec<access::SessionRow>, StoreError> {
        on_backend!(self, b => b.live_sessions(tenant, user).await)
    }

    /// Ends sessions with `reason`; how many were live.
    pub async fn end_sessions(
        &self,
        tenant: TenantId,
        which: access::SessionsToEnd,
        reason: String,
        at: i64,
    ) -> Result<u64, StoreError> {
        on_backend!(self, b => b.end_sessions(tenant, which, reason, at).await)
    }

    /// Records a login attempt (and forgets those older than a day).
    pub async fn record_login_attempt(&self, attempt: access::LoginAttempt) -> Result<(), StoreError> {
        on_backend!(self, b => b.record_login_attempt(attempt).await)
    }

    /// Failed logins since `since` of an account (after its last success)
    /// and from an address.
    pub async fn login_failures(
        &self,
        tenant: String,
        login: String,
        address: String,
        since: i64,
    ) -> Result<access::LoginFailures, StoreError> {
        on_backend!(self, b => b.login_failures(tenant, login, address, since).await)
    }

    /// Appends a record to the audit log (which nothing updates or deletes).
    pub async fn append_audit(
        &self,
        tenant: TenantId,
        at: i64,
        entry: access::AuditEntry,
    ) -> Result<(), StoreError> {
        on_backend!(self, b => b.append_audit(tenant, at, entry).await)
    }

    /// Audit records matching `query`, newest first.
    pub async fn query_audit(
        &self,
        tenant: TenantId,
        query: access::AuditQuery,
    ) -> Result<Vec<access::AuditRow>, StoreError> {
        on_backend!(self, b => b.query_audit(tenant, query).await)
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    mes_protocols::Timestamp::from_datetime(time::OffsetDateTime::now_utc()).unix_millis()
}

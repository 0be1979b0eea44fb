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
//! set is closed, async methods dispatch without boxing, and its methods
//! (`facade/`, one file per area: opening, tenancy, records, plans, the
//! projection's reads and writes, access) are the one place that lists
//! what a backend must do. What a batch means
//! (gaps, conflicts, dropped ranges, anomaly texts) lives in `rules.rs`, so
//! the backends differ only in how they talk to their database. The shared
//! test suite `cloud-hub/tests/store_suite.rs` runs every case on both.

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
mod facade;
mod keyed;
pub mod leases;
pub mod ledger;
pub mod plans;
mod postgres;
pub mod records;
mod replicas;
pub mod rights;
mod rules;
mod sqlite;
mod tenant;
pub mod tokens;
mod types;

pub use error::StoreError;
pub use postgres::SiteNotice;
pub use records::{Expect, RecordQuery, RecordRow, RecordWrite};
pub use replicas::{Leases, Notices};
pub use tenant::{SiteId, TenantId, UserId};
pub use types::{
    AgentAuth, AgentSummary, IngestOutcome, IngestRejection, NewAgent, NewToken, PartsSince, TokenSummary,
};

use postgres::PgStore;
use sqlite::SqliteStore;
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

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    mes_protocols::Timestamp::from_datetime(time::OffsetDateTime::now_utc()).unix_millis()
}

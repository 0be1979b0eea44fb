//! The [`Store`] facade: every query the hub makes, each dispatched to
//! the backend this store is (`on_backend!`). One file per area; this one
//! opens a store and answers what a handle is.

mod access;
mod plans;
mod projection;
mod records;
mod tenancy;

use crate::config::{self, DatabaseConfig, DatabaseLocation};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Backend, Leases, Notices, Store, StoreError, StoreInstance, leases};
use std::path::Path;
use std::sync::Arc;

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
}

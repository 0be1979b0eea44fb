//! The PostgreSQL backend: the production store, and how the hub grows past
//! one machine.
//!
//! Why `tokio-postgres` with a `deadpool-postgres` pool (and not the sync
//! `postgres` crate on the blocking pool, like SQLite): the server is async
//! (axum), a PostgreSQL connection is a socket rather than a file lock, and
//! an async client lets many agents' requests wait on the database without
//! a blocking thread each. Both crates are pure Rust, well kept, and
//! download nothing at build time. The pool is small (`database.max_connections`)
//! and recycles connections with a cheap check.
//!
//! The command line's blocking calls (`create_tenant` …) and start-up
//! (migrations) do not use the pool: they run on a short-lived connection
//! driven by a private single-threaded runtime on a scoped thread, so they
//! work with or without a runtime around them and leave no connection tied
//! to a runtime that is gone.
//!
//! TLS: not built in yet (`NoTls`; `sslmode=require` is refused by
//! `check-config`). Run the hub and PostgreSQL on a private network, or put
//! a TLS tunnel in between, until a rustls connector is added.

pub use notify::SiteNotice;

mod access;
mod audit;
mod costing;
mod ingest;
mod leases;
mod ledger;
mod machines;
mod migrate;
mod notify;
mod people;
mod plans;
mod projection;
mod records;
mod retry;
mod sessions;
mod steering;
mod stock;
mod tenancy;

use super::StoreError;
use crate::config::redact_url;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{Client, NoTls};

/// How long connecting (and waiting for a pooled connection) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Handle to the PostgreSQL database; cheap to clone.
#[derive(Clone)]
pub(crate) struct PgStore {
    pool: Pool,
    /// Shared: the command line's and start-up's own connections use it.
    config: Arc<tokio_postgres::Config>,
}

impl PgStore {
    /// Parses `url`, applies the migrations on a connection of its own, and
    /// makes the pool (which connects lazily, on the runtime that uses it).
    /// Every connection it makes cancels a statement after
    /// `statement_timeout_ms` (0: the server's setting).
    pub(crate) fn open(
        url: &str,
        max_connections: usize,
        statement_timeout_ms: u64,
    ) -> Result<PgStore, StoreError> {
        let open_error = |source| StoreError::OpenPostgres {
            url: redact_url(url),
            source,
        };
        let mut config: tokio_postgres::Config = url.parse().map_err(open_error)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("cloud-hub");
        }
        if statement_timeout_ms > 0 {
            // A startup parameter, not a `SET` on the session: it holds on
            // every connection of the pool without session state the hub
            // would have to restore (and works through PgBouncer when it
            // passes `options` on).
            let timeout = format!("-c statement_timeout={statement_timeout_ms}");
            let options = match config.get_options() {
                Some(given) if !given.is_empty() => format!("{given} {timeout}"),
                _ => timeout,
            };
            config.options(&options);
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()?;
        let store = PgStore {
            pool,
            config: Arc::new(config),
        };
        store
            .blocking(async |client| migrate::migrate(client).await)
            .map_err(|e| match e {
                StoreError::Postgres(source) => open_error(source),
                other => other,
            })?;
        Ok(store)
    }

    /// Whether the database answers a query.
    pub(crate) async fn health(&self) -> Result<(), StoreError> {
        self.pool.get().await?.simple_query("SELECT 1").await?;
        Ok(())
    }

    /// Runs `f` on a connection of its own, on a private runtime, and waits
    /// for it: for the command line and start-up, never for requests.
    fn blocking<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send,
        F: AsyncFnOnce(&mut Client) -> Result<R, StoreError> + Send,
    {
        let config = &*self.config;
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| StoreError::Task(format!("starting a database runtime: {e}")))?;
                    runtime.block_on(async move {
                        let (mut client, connection) = config.connect(NoTls).await?;
                        let driver = tokio::spawn(connection);
                        let result = f(&mut client).await;
                        drop(client);
                        // The connection ends once the client is gone; its
                        // error, if any, is already in `result`.
                        let _ = driver.await;
                        result
                    })
                })
                .join()
                .map_err(|_| StoreError::Task("the database thread panicked".into()))?
        })
    }
}

/// Whether `e` is a unique-constraint violation.
fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

/// A count or number as PostgreSQL's bigint.
fn to_i64(what: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { what, value })
}

/// A bigint column that holds a count or number, as u64 (negative values
/// cannot be written by this hub; they read as 0).
fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

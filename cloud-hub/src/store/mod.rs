//! The hub's storage. Today one embedded SQLite file; every query takes the
//! tenant id (the API layer never reaches a row without it).
//!
//! SQLite work runs on the blocking pool, never on the async runtime. One
//! write connection (SQLite has one writer anyway) and one read connection,
//! each behind a mutex; WAL lets them work at the same time.
//! `synchronous=FULL`: the hub acknowledges a batch only after it is durable.

mod ingest;
mod schema;
mod tenancy;

pub use ingest::{IngestOutcome, IngestRejection};
pub use tenancy::{AgentAuth, AgentSummary, NewAgent, NewToken};

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or migrated.
    #[error("database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A named thing does not exist (in this tenant).
    #[error("{what} `{name}` not found")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its name or id.
        name: String,
    },
    /// A thing with this name exists already.
    #[error("{what} `{name}` exists already")]
    Exists {
        /// What kind of thing.
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// The blocking task running the query failed.
    #[error("database task failed: {0}")]
    Task(String),
}

/// Handle to the hub database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating and migrating) the SQLite database at `path`.
    pub fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        let open = |p: &Path| -> Result<Connection, StoreError> {
            let err = |source| StoreError::Open {
                path: p.to_path_buf(),
                source,
            };
            let conn = Connection::open(p).map_err(err)?;
            conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
            conn.pragma_update(None, "synchronous", "FULL").map_err(err)?;
            conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .map_err(err)?;
            Ok(conn)
        };
        let writer = open(path)?;
        schema::migrate(&writer).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let reader = open(path)?;
        Ok(Store {
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    /// Runs `f` on the write connection, on the blocking pool.
    pub async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let conn = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on the read connection, on the blocking pool.
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let conn = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&guard)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on the write connection on the calling thread (for the
    /// command line, which has no runtime).
    pub fn write_blocking<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    mes_protocols::Timestamp::from_datetime(time::OffsetDateTime::now_utc()).unix_millis()
}

//! The embedded SQLite backend: one file, the default and the demo's store.
//!
//! SQLite work runs on the blocking pool, never on the async runtime. One
//! write connection (SQLite has one writer anyway) and one read connection,
//! each behind a mutex; WAL lets them work at the same time.
//! `synchronous=FULL`: the hub acknowledges a batch only after it is durable
//! (projection steps, which only derive from durable events, commit with
//! `NORMAL`: see `ledger.rs`). WAL checkpoints run on a thread of their own
//! (`checkpoint.rs`), not inside the writer's commits.

mod access;
mod audit;
mod checkpoint;
mod costing;
mod ingest;
mod ledger;
mod machines;
mod people;
mod plans;
mod projection;
mod records;
mod schema;
mod sessions;
mod steering;
mod stock;
mod tenancy;

use super::StoreError;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Handle to the SQLite database; cheap to clone.
#[derive(Clone)]
pub(crate) struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    checkpoints: checkpoint::CheckpointSignal,
}

impl SqliteStore {
    /// Opens (creating and migrating) the SQLite database at `path`.
    pub(crate) fn open(path: &Path) -> Result<SqliteStore, StoreError> {
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
        // The writer's page cache: 64 MiB instead of SQLite's 2 MiB, so a
        // projection step's transaction does not spill pages mid-way.
        let opened = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        writer
            .pragma_update(None, "cache_size", -65_536)
            .map_err(opened)?;
        writer
            .pragma_update(None, "wal_autocheckpoint", checkpoint::WRITER_BACKSTOP_PAGES)
            .map_err(opened)?;
        writer
            .pragma_update(None, "journal_size_limit", checkpoint::WAL_SIZE_LIMIT)
            .map_err(opened)?;
        schema::migrate(&writer).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut writer = writer;
        people::seed_all_tenants(&mut writer)?;
        let writer = Arc::new(Mutex::new(writer));
        let reader = Arc::new(Mutex::new(open(path)?));
        let checkpoints = checkpoint::start(open(path)?, vec![writer.clone(), reader.clone()])
            .map_err(|e| StoreError::Task(format!("cannot start the WAL checkpoint thread: {e}")))?;
        Ok(SqliteStore {
            writer,
            reader,
            checkpoints,
        })
    }

    /// Whether the database answers a query.
    pub(crate) async fn health(&self) -> Result<(), StoreError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await
            .map(drop)
    }

    /// Runs `f` on the write connection, on the blocking pool.
    async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let conn = self.writer.clone();
        let checkpoints = self.checkpoints.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            let result = f(&mut guard);
            checkpoints.committed();
            result
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on the read connection, on the blocking pool.
    async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
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
    fn write_blocking<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let result = f(&mut guard);
        self.checkpoints.committed();
        result
    }
}

//! The one error type of the store boundary, whichever backend answered.

use std::path::PathBuf;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `database.url` names no database this hub can open.
    #[error("database.url `{url}`: {reason}")]
    BadUrl {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The SQLite database could not be opened or migrated.
    #[error("database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The PostgreSQL database could not be reached or migrated.
    #[error("database {url}: {source}")]
    OpenPostgres {
        /// The database URL with any password replaced by `***`.
        url: String,
        /// The PostgreSQL error.
        source: tokio_postgres::Error,
    },
    /// The PostgreSQL database holds migrations this hub does not know (a
    /// newer hub ran on it); starting would risk misreading its tables.
    #[error("database schema version {found} is newer than this hub's {known}; run a newer hub")]
    SchemaTooNew {
        /// Highest migration applied to the database.
        found: i32,
        /// Highest migration this hub knows.
        known: i32,
    },
    /// A SQLite query failed.
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A PostgreSQL query failed.
    #[error("database error: {}", describe(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be taken from the pool.
    #[error("database connection pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// The PostgreSQL connection pool could not be set up.
    #[error("database connection pool: {0}")]
    PoolSetup(#[from] deadpool_postgres::BuildError),
    /// A number does not fit the database's signed 64-bit integers.
    #[error("{what} {value} is out of the database's range")]
    OutOfRange {
        /// What the number is.
        what: &'static str,
        /// The number.
        value: u64,
    },
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
    /// The record changed since the version the caller read.
    #[error("{what} `{name}` is at version {found}, not {expected}: it changed since it was read")]
    VersionConflict {
        /// What kind of thing.
        what: String,
        /// Its code.
        name: String,
        /// The version the caller expected.
        expected: i64,
        /// The version stored.
        found: i64,
    },
    /// A projection step read its events after cursor `expected`, but the
    /// stored cursor is at `found`: another step was written meanwhile
    /// (by this replica or another). Nothing was written.
    #[error(
        "projection step read after event row {expected} but the cursor is at {found}: another step \
         was written meanwhile; nothing written"
    )]
    StaleStep {
        /// The cursor the step read after.
        expected: i64,
        /// The cursor stored.
        found: i64,
    },
    /// The tenant lease a fenced write was made under is no longer this
    /// replica's (expired, or taken by another replica). Nothing was
    /// written.
    #[error(
        "the lease on tenant {tenant} (fence {fence}) is no longer held by replica {holder}; \
         nothing written"
    )]
    LeaseLost {
        /// The tenant.
        tenant: crate::TenantId,
        /// The fencing token the write carried.
        fence: i64,
        /// The replica that made the write.
        holder: String,
    },
    /// The task or thread running the query failed.
    #[error("database task failed: {0}")]
    Task(String),
}

/// A PostgreSQL error with what the server or the connection said
/// (tokio-postgres shows only "db error" of a server's refusal).
fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    match std::error::Error::source(e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    }
}

//! A fresh hub store per benchmark run, on either backend, and a raw
//! connection to the same database for the reference figures.
//!
//! SQLite: a file in a temporary directory (removed with it). PostgreSQL:
//! a schema of its own in the database at `MES_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), selected with the
//! connection option `search_path` as the store suite does, dropped by
//! [`BenchDb::remove`].

use anyhow::Context;
use cloud_hub::store::Store;
use std::path::PathBuf;
use std::time::Duration;

/// Where the PostgreSQL run looks for its server.
pub const ENV_DATABASE_URL: &str = "MES_TEST_DATABASE_URL";
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// One run's database and the store open on it.
pub struct BenchDb {
    /// The store under test.
    pub store: Store,
    place: Place,
}

enum Place {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        schema: String,
        url: String,
    },
}

/// A raw connection to a run's database (no hub code in between).
pub enum Raw {
    /// SQLite, with the store's pragmas.
    Sqlite(rusqlite::Connection),
    /// PostgreSQL, in the run's schema.
    Postgres(tokio_postgres::Client),
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, String> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
    config.connect_timeout(Duration::from_secs(3));
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(client)
}

impl BenchDb {
    /// A fresh SQLite store in a temporary directory (under `TMPDIR`).
    pub fn sqlite() -> anyhow::Result<BenchDb> {
        let dir = tempfile::tempdir().context("making a temporary directory")?;
        let path = dir.path().join("hub.db");
        let store = Store::open_sqlite(&path).context("opening the SQLite store")?;
        Ok(BenchDb {
            store,
            place: Place::Sqlite { _dir: dir, path },
        })
    }

    /// A fresh schema in the PostgreSQL database, or why there is none.
    pub async fn postgres() -> Result<BenchDb, String> {
        let admin_url = std::env::var(ENV_DATABASE_URL).unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string());
        let shown = cloud_hub::config::redact_url(&admin_url);
        let schema = format!("bench_ledger_{}", uuid::Uuid::now_v7().simple());
        let admin = connect(&admin_url).await.map_err(|e| {
            format!("cannot connect to {shown} ({e}); start PostgreSQL or set {ENV_DATABASE_URL}")
        })?;
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .map_err(|e| format!("cannot create a schema in {shown}: {e}"))?;
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
        let store =
            Store::open_postgres(&url, 4).map_err(|e| format!("opening the PostgreSQL store: {e}"))?;
        Ok(BenchDb {
            store,
            place: Place::Postgres {
                admin_url,
                schema,
                url,
            },
        })
    }

    /// A store as one more hub on the same database would have it: on
    /// PostgreSQL a store with a pool of its own (4 connections, as the
    /// store suite's second hubs); on SQLite the run's store itself, since
    /// one file has one hub (its single writer).
    pub async fn hub_store(&self) -> anyhow::Result<Store> {
        match &self.place {
            Place::Sqlite { .. } => Ok(self.store.clone()),
            Place::Postgres { url, .. } => {
                let url = url.clone();
                // Opening connects and checks the migrations, blocking.
                tokio::task::spawn_blocking(move || Store::open_postgres(&url, 4))
                    .await
                    .context("opening a second PostgreSQL store")?
                    .context("opening a second PostgreSQL store")
            }
        }
    }

    /// The database's URL as a hub's `[database] url` names it (SQLite:
    /// the file; PostgreSQL: the run's schema as the search path).
    // bench-console includes this module too and reads it; bench-ledger does not.
    #[allow(dead_code)]
    pub fn url(&self) -> String {
        match &self.place {
            Place::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Place::Postgres { url, .. } => url.clone(),
        }
    }

    /// A raw connection to the same database.
    pub async fn raw(&self) -> anyhow::Result<Raw> {
        match &self.place {
            Place::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path)?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "FULL")?;
                conn.busy_timeout(Duration::from_secs(10))?;
                Ok(Raw::Sqlite(conn))
            }
            Place::Postgres { url, .. } => Ok(Raw::Postgres(connect(url).await.map_err(anyhow::Error::msg)?)),
        }
    }

    /// The server's version and the settings that bear on the figures.
    pub async fn describe(&self) -> anyhow::Result<String> {
        match &self.place {
            Place::Sqlite { .. } => Ok(format!(
                "SQLite {}, WAL, synchronous=FULL (projection steps NORMAL), temporary file",
                rusqlite::version()
            )),
            Place::Postgres { url, .. } => {
                let client = connect(url).await.map_err(anyhow::Error::msg)?;
                let mut out = Vec::new();
                for setting in [
                    "server_version",
                    "shared_buffers",
                    "synchronous_commit",
                    "autovacuum",
                ] {
                    let row = client.query_one(&format!("SHOW {setting}"), &[]).await?;
                    out.push(format!("{setting} {}", row.get::<_, String>(0)));
                }
                Ok(format!("PostgreSQL: {}", out.join(", ")))
            }
        }
    }

    /// The database's size on disk, bytes (SQLite: the file and its WAL;
    /// PostgreSQL: the run's schema's tables and indexes).
    pub async fn size(&self) -> anyhow::Result<u64> {
        match &self.place {
            Place::Sqlite { path, .. } => {
                let mut wal = path.clone().into_os_string();
                wal.push("-wal");
                let len = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
                Ok(len(path) + len(std::path::Path::new(&wal)))
            }
            Place::Postgres {
                admin_url, schema, ..
            } => {
                let admin = connect(admin_url).await.map_err(anyhow::Error::msg)?;
                let row = admin
                    .query_one(
                        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
                         JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = $1 AND c.relkind = 'r'",
                        &[schema],
                    )
                    .await?;
                Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
            }
        }
    }

    /// Closes the store and removes the database.
    pub async fn remove(self) -> anyhow::Result<()> {
        let BenchDb { store, place } = self;
        drop(store);
        if let Place::Postgres {
            admin_url, schema, ..
        } = place
        {
            let admin = connect(&admin_url).await.map_err(anyhow::Error::msg)?;
            admin
                .batch_execute(&format!(
                    "SET lock_timeout = '20s'; DROP SCHEMA IF EXISTS {schema} CASCADE"
                ))
                .await
                .with_context(|| format!("dropping schema {schema}"))?;
        }
        Ok(())
    }
}

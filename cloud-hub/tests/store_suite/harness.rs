//! A fresh, empty database per test, on either backend, removed afterwards.
//!
//! SQLite: a file in a temporary directory. PostgreSQL: a schema of its own
//! (random name) in the database at `MES_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), selected with the connection
//! option `search_path`, dropped at the end; so tests run in parallel and
//! leave nothing. When PostgreSQL is not reachable the test prints why and
//! passes without running, so `cargo test` works on a machine with Rust only.

use cloud_hub::store::Store;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// Where PostgreSQL tests look for their server.
pub const ENV_TEST_DATABASE_URL: &str = "MES_TEST_DATABASE_URL";
const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// One test's database and an open store on it.
pub struct TestDb {
    /// The store under test.
    pub store: Store,
    /// Declared after `store`, so dropped after it: the schema goes once the
    /// store's connections are closed.
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

impl TestDb {
    /// A fresh SQLite database in a temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory can be made");
        let path = dir.path().join("hub.db");
        let store = Store::open_sqlite(&path).expect("a new SQLite store opens");
        TestDb {
            store,
            place: Place::Sqlite { _dir: dir, path },
        }
    }

    /// A fresh schema in the test PostgreSQL database, or `None` (after
    /// printing why) when there is no server to test against.
    pub fn postgres(test: &str) -> Option<TestDb> {
        let admin_url =
            std::env::var(ENV_TEST_DATABASE_URL).unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_string());
        let schema = format!("store_test_{}", uuid::Uuid::now_v7().simple());
        if let Err(e) = admin(&admin_url, &format!("CREATE SCHEMA {schema}")) {
            eprintln!(
                "skipping PostgreSQL case {test}: cannot use {} ({e}); start PostgreSQL or set {ENV_TEST_DATABASE_URL}",
                cloud_hub::config::redact_url(&admin_url)
            );
            return None;
        }
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
        let store = Store::open_postgres(&url, 4).expect("a new PostgreSQL store opens");
        Some(TestDb {
            store,
            place: Place::Postgres {
                admin_url,
                schema,
                url,
            },
        })
    }

    /// Runs `sql` on a connection of its own to this database, as someone
    /// with the file or the database password would (not through the store).
    pub fn raw_sql(&self, sql: &str) -> Result<(), String> {
        match &self.place {
            Place::Sqlite { path, .. } => rusqlite::Connection::open(path)
                .and_then(|c| c.execute_batch(sql))
                .map_err(|e| e.to_string()),
            Place::Postgres { url, .. } => admin(url, sql),
        }
    }

    /// Runs `sql` in a transaction of its own on this database (as another
    /// hub would) and leaves it open, holding its locks, until
    /// [`Held::commit`].
    pub async fn hold(&self, sql: &str) -> Held {
        match &self.place {
            Place::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).expect("the SQLite file opens");
                conn.execute_batch(&format!("BEGIN IMMEDIATE; {sql}"))
                    .expect("the held statements run");
                Held::Sqlite(conn)
            }
            Place::Postgres { url, .. } => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .expect("PostgreSQL answers");
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("BEGIN; {sql}"))
                    .await
                    .expect("the held statements run");
                Held::Postgres(client)
            }
        }
    }

    /// The PostgreSQL URL of this test's schema, or `None` on SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        match &self.place {
            Place::Sqlite { .. } => None,
            Place::Postgres { url, .. } => Some(url),
        }
    }

    /// Another store on the same database (a restarted or second hub).
    pub fn reopen(&self) -> Store {
        match &self.place {
            Place::Sqlite { path, .. } => Store::open_sqlite(path).expect("the SQLite store reopens"),
            Place::Postgres { url, .. } => {
                Store::open_postgres(url, 4).expect("the PostgreSQL store reopens")
            }
        }
    }
}

/// A transaction left open by [`TestDb::hold`].
pub enum Held {
    /// On SQLite: the connection, inside `BEGIN IMMEDIATE`.
    Sqlite(rusqlite::Connection),
    /// On PostgreSQL: the client, inside `BEGIN`.
    Postgres(tokio_postgres::Client),
}

impl Held {
    /// Commits the held transaction.
    pub async fn commit(self) {
        match self {
            Held::Sqlite(conn) => conn
                .execute_batch("COMMIT")
                .expect("the held transaction commits"),
            Held::Postgres(client) => client
                .batch_execute("COMMIT")
                .await
                .expect("the held transaction commits"),
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Place::Postgres {
            admin_url, schema, ..
        } = self
            && let Err(e) = admin(
                admin_url,
                &format!("SET lock_timeout = '20s'; DROP SCHEMA IF EXISTS {schema} CASCADE"),
            )
        {
            eprintln!("could not drop test schema {schema}: {e}");
        }
    }
}

/// Runs `sql` on a connection of its own (from a thread of its own, so it
/// works inside or outside a runtime).
fn admin(url: &str, sql: &str) -> Result<(), String> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
    config.connect_timeout(Duration::from_secs(3));
    on_own_runtime(async move {
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let driver = tokio::spawn(connection);
        let result = client
            .batch_execute(sql)
            .await
            .map_err(|e| match e.as_db_error() {
                Some(db) => format!("{}: {}", db.code().code(), db.message()),
                None => e.to_string(),
            });
        drop(client);
        let _ = driver.await;
        result
    })
}

/// Runs `f` to completion on a private runtime on a thread of its own.
pub fn on_own_runtime<T: Send>(f: impl Future<Output = Result<T, String>> + Send) -> Result<T, String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?
                    .block_on(f)
            })
            .join()
            .map_err(|_| "the admin thread panicked".to_string())?
    })
}

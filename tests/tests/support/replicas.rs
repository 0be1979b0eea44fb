//! Hubs on PostgreSQL in end-to-end tests: a database of the test's own
//! on the test server, a private PostgreSQL server a test may stop and
//! start, tenants with an agent each, and agents posting batches as the
//! edge agent's uplink does (retried until acknowledged). The including
//! test declares `mod bench_ledger` (the seed's master data and events).

use crate::bench_ledger::seed::{self, Batches, Events, Shape};
use cloud_hub::store::{AgentAuth, Store, TenantId};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events per batch an agent posts.
pub const BATCH: usize = 250;

// --- the database ---------------------------------------------------------

/// A database of this test's own (LISTEN/NOTIFY channels are per
/// database, so parallel tests never hear each other), dropped at the end.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    /// Its URL.
    pub url: String,
}

/// Runs `sql` on a connection of its own to `url`.
pub fn admin(url: &str, sql: &str) -> Result<(), String> {
    let (url, sql) = (url.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let connect = tokio_postgres::connect(&url, tokio_postgres::NoTls);
            let (client, connection) = tokio::time::timeout(Duration::from_secs(5), connect)
                .await
                .map_err(|_| "connecting timed out".to_string())?
                .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            client.batch_execute(&sql).await.map_err(|e| format!("{e:?}"))
        })
    })
    .join()
    .map_err(|_| "the admin thread panicked".to_string())?
}

impl TestDatabase {
    /// A new database on the server at `MES_TEST_DATABASE_URL`, or `None`
    /// (after printing why) when there is none.
    pub fn create() -> Option<TestDatabase> {
        let admin_url = std::env::var("MES_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        Self::create_on(admin_url)
    }

    /// A new database on the server at `admin_url`, or `None` (after
    /// printing why).
    pub fn create_on(admin_url: String) -> Option<TestDatabase> {
        let name = format!("many_hubs_{}", uuid::Uuid::now_v7().simple());
        if let Err(e) = admin(&admin_url, &format!("CREATE DATABASE {name}")) {
            eprintln!(
                "skipping: cannot create a database at {} ({e}); start PostgreSQL or set MES_TEST_DATABASE_URL",
                cloud_hub::config::redact_url(&admin_url)
            );
            return None;
        }
        let (base, query) = match admin_url.split_once('?') {
            Some((b, q)) => (b.to_string(), format!("?{q}")),
            None => (admin_url.clone(), String::new()),
        };
        let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
        let url = format!("{server}/{name}{query}");
        Some(TestDatabase { admin_url, name, url })
    }

    /// A connection of the test's own.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .expect("the test database answers");
        tokio::spawn(connection);
        client
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = admin(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

// --- agents ---------------------------------------------------------------

/// One tenant with its agent.
pub struct TenantAgent {
    /// Its short name.
    pub slug: String,
    /// Its id.
    pub id: TenantId,
    /// The agent as the store authenticates it.
    pub auth: AgentAuth,
    /// The agent's token.
    pub token: String,
    /// Events the agent sends.
    pub events: usize,
}

/// Tenant `t{i}` with site `plant-1`, the seed's master data for
/// `events` events, and an agent.
pub async fn provision(store: &Store, i: usize, events: usize) -> TenantAgent {
    let slug = format!("t{i}");
    let id = store.create_tenant(&slug).expect("a tenant");
    store.create_site(&slug, seed::SITE).expect("a site");
    let agent = store
        .create_agent(&slug, seed::SITE, "gateway")
        .expect("an agent");
    let auth = store
        .agent_by_token(&agent.token)
        .await
        .expect("the store answers")
        .expect("the agent's token");
    seed::master_data(store, id, &shape(events))
        .await
        .expect("master data");
    TenantAgent {
        slug,
        id,
        auth,
        token: agent.token,
        events,
    }
}

fn shape(events: usize) -> Shape {
    Shape {
        materials: 12,
        locations: 4,
        stations: 6,
        lots: 3,
        events,
        batch: BATCH,
    }
}

/// Posts every batch of `agent`'s events (seeded by `seed_no`) to
/// `targets` in turn (replicas, or one proxy), each batch until a hub
/// acknowledges it (a replica killed mid-request, a 502 or 503 of the
/// proxy, a database restarting: sent again, to the next target, as an
/// agent's uplink does), for at most `patience` per batch; answers the
/// events acknowledged and how many posts were sent again.
pub async fn run_agent(
    agent: Arc<TenantAgent>,
    targets: Vec<String>,
    seed_no: u64,
    patience: Duration,
) -> (usize, usize) {
    let drafts = Events::new(shape(agent.events), seed_no);
    let batches = Batches::of(agent.auth.clone(), drafts, BATCH);
    post_batches(
        &agent.slug,
        &agent.token,
        batches,
        agent.events,
        targets,
        seed_no as usize,
        patience,
    )
    .await
}

/// Posts `batches` (`events` events in all, [`BATCH`] each) with the
/// agent token `token` of tenant `slug` as [`run_agent`] does, starting
/// at target `turn`; answers the events acknowledged and the posts sent
/// again.
pub async fn post_batches(
    slug: &str,
    token: &str,
    mut batches: Batches,
    events: usize,
    targets: Vec<String>,
    mut turn: usize,
    patience: Duration,
) -> (usize, usize) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let mut acked = 0;
    let mut retried = 0;
    while let Some(body) = batches.next_body().expect("a batch encodes") {
        let deadline = Instant::now() + patience;
        loop {
            turn += 1;
            let target = &targets[turn % targets.len()];
            let sent = client
                .post(format!("{target}/api/v1/ingest"))
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => break,
                Ok(r) if r.status().is_client_error() && r.status().as_u16() != 429 => {
                    panic!("tenant {slug}: ingest refused a batch: {}", r.status())
                }
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "tenant {slug}: a batch was not acknowledged within {patience:?}"
            );
            retried += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        acked += BATCH.min(events - acked);
    }
    (acked, retried)
}

/// The kinds of the seed's events (each books one stock movement).
pub const STOCK_KINDS: &str = "('material_consumed', 'output_reported')";

/// Checks that each of `tenant`'s `events` stock events is stored once and
/// booked once (one ledger row each) and none was set aside.
pub async fn assert_booked_once(db: &tokio_postgres::Client, t: &TenantAgent) {
    let counts = db
        .query_one(
            &format!(
                "SELECT (SELECT count(*) FROM events WHERE tenant_id = $1 AND kind IN {STOCK_KINDS}),
                    (SELECT count(DISTINCT event_id) FROM events WHERE tenant_id = $1 AND kind IN {STOCK_KINDS}),
                    (SELECT count(*) FROM stock_movements WHERE tenant_id = $1 AND from_event),
                    (SELECT count(DISTINCT movement_key) FROM stock_movements WHERE tenant_id = $1),
                    (SELECT count(*) FROM projection_issues WHERE tenant_id = $1)"
            ),
            &[&t.id.as_uuid()],
        )
        .await
        .expect("counts read");
    let n = |i: usize| counts.get::<_, i64>(i) as usize;
    assert_eq!(
        (n(0), n(1)),
        (t.events, t.events),
        "{}: each event stored once",
        t.slug
    );
    assert_eq!(
        (n(2), n(3)),
        (t.events, t.events),
        "{}: each event booked once",
        t.slug
    );
    assert_eq!(n(4), 0, "{}: no event set aside", t.slug);
}

// --- a private server -----------------------------------------------------

/// A PostgreSQL server of the test's own (initdb in a temporary
/// directory, a free port, fsync off), which the test may stop and start.
/// As root, its commands run as the `postgres` user (initdb refuses root).
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_root: bool,
}

impl PrivatePostgres {
    /// Makes and starts one, or `None` (after printing why) without
    /// PostgreSQL's programs.
    pub fn start() -> Option<PrivatePostgres> {
        let bin = [
            "/usr/lib/postgresql/17/bin",
            "/usr/lib/postgresql/16/bin",
            "/usr/lib/postgresql/15/bin",
        ]
        .iter()
        .map(PathBuf::from)
        .find(|d| d.join("initdb").is_file());
        let Some(bin) = bin else {
            eprintln!(
                "skipping: PostgreSQL's initdb and pg_ctl are not installed (/usr/lib/postgresql/*/bin)"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        // Root: /proc/self belongs to the process's user.
        let as_root = std::os::unix::fs::MetadataExt::uid(
            &std::fs::metadata("/proc/self").expect("/proc/self is readable"),
        ) == 0;
        if as_root {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status();
            if !owned.is_ok_and(|s| s.success()) {
                eprintln!("skipping: running as root and no `postgres` user to run initdb as");
                return None;
            }
        }
        let server = PrivatePostgres {
            bin,
            port: mes_tests::free_port(),
            dir,
            as_root,
        };
        let data = server.data();
        server
            .run(
                "initdb",
                &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
            )
            .expect("initdb makes a cluster");
        server.start_again();
        Some(server)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(program);
        let mut command = if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        let out = command.args(args).output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"],
        )
        .expect("the server starts");
    }

    /// Stops the server (`-m fast`: sessions are ended, as in a restart
    /// or a failover).
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"])
            .expect("the server stops");
    }

    /// The URL of database `postgres` as the `postgres` user.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }
}

/// (cursor, last event row) of `tenant`.
pub async fn progress(db: &tokio_postgres::Client, tenant: TenantId) -> (i64, i64) {
    let row = db
        .query_one(
            "SELECT COALESCE((SELECT event_row FROM projection_cursors WHERE tenant_id = $1), 0),
                    COALESCE((SELECT max(id) FROM events WHERE tenant_id = $1), 0)",
            &[&tenant.as_uuid()],
        )
        .await
        .expect("progress reads");
    (row.get(0), row.get(1))
}

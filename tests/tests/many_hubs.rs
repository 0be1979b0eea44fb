//! Several hubs on one PostgreSQL behind a real HAProxy (issue 18): three
//! hub replicas (real processes) on a database of their own, a HAProxy
//! (Debian's, installed by `.ci/run`) round-robin in front, and one agent
//! per tenant posting its batches through the proxy as agents do (the
//! ingest API with the agent's token, retried until acknowledged). In the
//! middle of a tenant's projection the replica holding its lease is
//! killed with SIGKILL. At the end:
//! - every acknowledged event is stored once and booked once (one ledger
//!   row each, no projection issue, every cursor at its log's end);
//! - the lease moved to another replica within the bound the
//!   configuration states (`lease_ms + 2 × renew_ms`);
//! - every replica projected some tenants (their `/healthz` says which);
//! - the ledger (every movement with its body, every balance) equals what
//!   `cloud-hub rebuild` on one hub makes of the log, and so do the
//!   figures a planner reads through the API: every order's actual cost,
//!   the stock's value, and the site's OEE over a press's feed (states and
//!   counts a second agent per tenant posts through the proxy meanwhile).
//!
//!
//! And live updates cross replicas: a board open on one replica shows an
//! event ingested on another (LISTEN/NOTIFY).
//!
//! Skipped with a printed reason without PostgreSQL
//! (`MES_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`)
//! or without `haproxy` on the PATH.

#[path = "../src/bench_ledger/mod.rs"]
#[allow(dead_code)]
mod bench_ledger;
#[path = "support/figures.rs"]
mod figures;
#[path = "support/replicas.rs"]
#[allow(dead_code)] // shared by several test files, each using a part
mod replicas;
#[path = "../src/bench_console/web.rs"]
#[allow(dead_code)]
mod web;

use bench_ledger::seed;
use cloud_hub::store::{Store, TenantId};
use figures::{MACHINE_EVENTS, machine_feed};
use mes_tests::{HubProcess, eventually, free_port};
use replicas::{TestDatabase, assert_booked_once, progress, provision, run_agent};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const REPLICAS: usize = 3;
const TENANTS: usize = 6;
const LEASE_MS: u64 = 3_000;
const RENEW_MS: u64 = 500;
/// Events of the tenant whose replica is killed, and of each other one.
const BIG_TENANT_EVENTS: usize = 12_000;
const EVENTS: usize = 2_500;

// --- the proxy ------------------------------------------------------------

fn haproxy() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join("haproxy"))
        .find(|p| p.is_file())
}

/// HAProxy in the foreground, round-robin over the replicas, health
/// checked on `/healthz` every 500 ms (down after 2 failures).
struct Proxy {
    child: Child,
    port: u16,
}

impl Proxy {
    async fn start(bin: &Path, dir: &Path, backends: &[String]) -> Proxy {
        let port = free_port();
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let address = b.trim_start_matches("http://");
                format!(
                    "    server hub-{} {address} check inter 500 fall 2 rise 1\n",
                    i + 1
                )
            })
            .collect();
        let config = format!(
            "global\n    maxconn 512\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\n\
             \x20   retries 2\n    option redispatch\n\
             frontend hubs\n    bind 127.0.0.1:{port}\n    default_backend replicas\n\
             backend replicas\n    balance roundrobin\n    option httpchk GET /healthz\n\
             \x20   http-check expect status 200\n{servers}"
        );
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config).expect("the proxy's configuration is written");
        let log = std::fs::File::create(dir.join("haproxy.log")).expect("the proxy's log");
        let child = Command::new(bin)
            .arg("-f")
            .arg(&path)
            .arg("-db")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("haproxy starts");
        let proxy = Proxy { child, port };
        let client = reqwest::Client::new();
        let url = format!("{}/healthz", proxy.url());
        eventually("the proxy to answer", Duration::from_secs(20), || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let r = client.get(url).send().await.ok()?;
                r.status().is_success().then_some(())
            }
        })
        .await;
        proxy
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- watching the replicas ------------------------------------------------

/// Per replica name: the tenants its `/healthz` said it projected events of.
type Projected = Arc<Mutex<BTreeMap<String, BTreeSet<String>>>>;

async fn watch_health(urls: Vec<String>, seen: Projected) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("an HTTP client");
    loop {
        for url in &urls {
            let Ok(r) = client.get(format!("{url}/healthz")).send().await else {
                continue;
            };
            let Ok(body) = r.json::<serde_json::Value>().await else {
                continue;
            };
            let cluster = &body["cluster"];
            let replica = cluster["replica"].as_str().unwrap_or_default().to_string();
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            let entry = seen.entry(replica).or_default();
            for lease in cluster["leases"].as_array().into_iter().flatten() {
                if lease["projected_events"].as_u64().unwrap_or(0) > 0 {
                    entry.insert(lease["tenant"].as_str().unwrap_or_default().to_string());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// (holder, fence) of `tenant`'s live lease, if any.
async fn lease_of(db: &tokio_postgres::Client, tenant: TenantId) -> Option<(String, i64)> {
    db.query_opt(
        "SELECT holder, fence FROM tenant_leases WHERE tenant_id = $1 AND expires_at > clock_timestamp()",
        &[&tenant.as_uuid()],
    )
    .await
    .expect("the lease table reads")
    .map(|r| (r.get(0), r.get(1)))
}

/// The tenant's ledger as text: every movement (key, quantity, body) and
/// every balance, in key order.
async fn ledger(db: &tokio_postgres::Client, tenant: TenantId) -> (Vec<String>, Vec<String>) {
    let t = tenant.as_uuid();
    let movements = db
        .query(
            "SELECT movement_key || ' ' || quantity || ' ' || body FROM stock_movements
             WHERE tenant_id = $1 ORDER BY movement_key COLLATE \"C\"",
            &[&t],
        )
        .await
        .expect("movements read")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let balances = db
        .query(
            "SELECT material || '/' || lot || '/' || location || ' ' || quantity FROM stock_balances
             WHERE tenant_id = $1 ORDER BY material COLLATE \"C\", lot COLLATE \"C\", location COLLATE \"C\"",
            &[&t],
        )
        .await
        .expect("balances read")
        .iter()
        .map(|r| r.get(0))
        .collect();
    (movements, balances)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_behind_haproxy_book_every_event_once_through_a_kill() {
    let Some(proxy_bin) = haproxy() else {
        eprintln!("skipping: haproxy is not installed (apt-get install haproxy; .ci/run installs it)");
        return;
    };
    let Some(pg) = TestDatabase::create() else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_hub");
    let dir = tempfile::tempdir().expect("tempdir");

    // Three replicas on the one database.
    let mut hubs = Vec::new();
    for i in 1..=REPLICAS {
        let home = dir.path().join(format!("hub-{i}"));
        std::fs::create_dir_all(&home).expect("a directory per replica");
        let hub = HubProcess::with_database(bin.as_ref(), &home, &pg.url).expect("hub");
        hub.append_config(&format!(
            "[cluster]\nreplica_id = \"hub-{i}\"\nlease_ms = {LEASE_MS}\nrenew_ms = {RENEW_MS}\n\
             [projection]\ninterval_ms = 100\nbatch = 500\n"
        ))
        .expect("config");
        hubs.push(hub);
    }
    for hub in &mut hubs {
        hub.start().await.expect("a replica starts");
    }
    let urls: Vec<String> = hubs.iter().map(HubProcess::url).collect();
    let db = pg.client().await;

    // Tenants, each with master data and an agent.
    let store = Store::open_postgres(&pg.url, 4).expect("the test's own store");
    let mut tenants = Vec::new();
    for i in 0..TENANTS {
        let events = if i == 0 { BIG_TENANT_EVENTS } else { EVENTS };
        tenants.push(Arc::new(provision(&store, i, events).await));
    }
    // The leases spread: every replica holds some.
    eventually("every replica to hold leases", Duration::from_secs(30), || {
        let db = &db;
        async move {
            let rows = db
                .query(
                    "SELECT holder, count(*) FROM tenant_leases WHERE expires_at > clock_timestamp() GROUP BY holder",
                    &[],
                )
                .await
                .ok()?;
            let held: HashMap<String, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            (held.len() == REPLICAS && held.values().all(|n| *n <= TENANTS.div_ceil(REPLICAS) as i64)).then_some(())
        }
    })
    .await;

    let mut feeds = Vec::new();
    for t in &tenants {
        feeds.push(machine_feed(&store, t).await);
    }

    let proxy = Proxy::start(&proxy_bin, dir.path(), &urls).await;
    let seen: Projected = Arc::default();
    let watcher = tokio::spawn(watch_health(urls.clone(), seen.clone()));
    let agents: Vec<_> = tenants
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let patience = Duration::from_secs(60);
            tokio::spawn(run_agent(
                t.clone(),
                vec![proxy.url()],
                0x4ab5_0000 + i as u64,
                patience,
            ))
        })
        .collect();
    let feeding: Vec<_> = feeds
        .into_iter()
        .zip(&tenants)
        .map(|(mut feed, t)| {
            let (slug, targets) = (t.slug.clone(), vec![proxy.url()]);
            tokio::spawn(async move {
                let acked = feed.post(&slug, targets).await;
                assert_eq!(acked, MACHINE_EVENTS, "{slug}: the machine feed is acknowledged");
                feed
            })
        })
        .collect();

    // Mid-projection of the big tenant (its holder's `/healthz` has said
    // it projected some, the log is ahead of the cursor): kill the holder.
    let big = tenants[0].id;
    let (victim, killed_fence) = eventually(
        "the big tenant's projection to be under way",
        Duration::from_secs(120),
        || {
            let (db, seen) = (&db, &seen);
            async move {
                let (cursor, last) = progress(db, big).await;
                let (holder, fence) = lease_of(db, big).await?;
                let reported = seen
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&holder)
                    .is_some_and(|t| t.contains("t0"));
                (reported && cursor > 0 && cursor < last).then_some((holder, fence))
            }
        },
    )
    .await;
    let index: usize = victim
        .trim_start_matches("hub-")
        .parse::<usize>()
        .expect("replicas are named hub-N")
        - 1;
    let seen_before_kill = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let killed_at = SystemTime::now();
    hubs[index].kill();
    eprintln!("killed {victim} (fence {killed_fence}) in the middle of tenant t0's projection");

    // Another replica takes the lease, within the stated bound.
    let (new_holder, taken_at) = eventually("t0's lease to move", Duration::from_secs(60), || {
        let db = &db;
        async move {
            let row = db
                .query_opt(
                    "SELECT holder, taken_at FROM tenant_lease_log WHERE tenant_id = $1 AND fence > $2
                     ORDER BY fence LIMIT 1",
                    &[&big.as_uuid(), &killed_fence],
                )
                .await
                .ok()??;
            Some((row.get::<_, String>(0), row.get::<_, SystemTime>(1)))
        }
    })
    .await;
    let moved = taken_at.duration_since(killed_at).unwrap_or_default();
    let bound = Duration::from_millis(LEASE_MS + 2 * RENEW_MS);
    eprintln!("t0's lease moved from {victim} to {new_holder} {moved:?} after the kill (bound {bound:?})");
    assert_ne!(new_holder, victim);
    assert!(
        moved <= bound,
        "the lease moved after {moved:?}, past the bound {bound:?}"
    );

    // Every batch acknowledged; every tenant projected to its log's end.
    let mut acked = Vec::new();
    for a in agents {
        acked.push(a.await.expect("an agent task"));
    }
    let mut feeds = Vec::new();
    for f in feeding {
        feeds.push(f.await.expect("a machine feed task"));
    }
    for t in &tenants {
        eventually(
            &format!("{}'s projection to catch up", t.slug),
            Duration::from_secs(180),
            || {
                let db = &db;
                async move {
                    let (cursor, last) = progress(db, t.id).await;
                    (last > 0 && cursor == last).then_some(())
                }
            },
        )
        .await;
    }
    watcher.abort();

    // Each acknowledged event stored once and booked once.
    for (t, (acked, retried)) in tenants.iter().zip(&acked) {
        eprintln!(
            "{}: {acked} events acknowledged, {retried} posts sent again",
            t.slug
        );
        assert_eq!(*acked, t.events, "{}: every event acknowledged", t.slug);
        assert_booked_once(&db, t).await;
    }

    // Every replica projected some tenants (the killed one before it died).
    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    seen.entry(victim.clone())
        .or_default()
        .extend(seen_before_kill.get(&victim).cloned().unwrap_or_default());
    eprintln!("tenants each replica projected: {seen:?}");
    for i in 1..=REPLICAS {
        let name = format!("hub-{i}");
        assert!(
            seen.get(&name).is_some_and(|t| !t.is_empty()),
            "{name} projected no tenant: {seen:?}"
        );
    }

    // The ledger and the figures equal a rebuild on one hub.
    let survivor_index = (0..REPLICAS).find(|i| *i != index).expect("a survivor");
    let survivor_url = hubs[survivor_index].url();
    let mut before = Vec::new();
    let mut figures_before = Vec::new();
    for (t, feed) in tenants.iter().zip(&feeds) {
        before.push(ledger(&db, t.id).await);
        let figures = feed.figures(&survivor_url).await;
        figures.assert_substantial(&t.slug);
        figures_before.push(figures);
    }
    for hub in &mut hubs {
        hub.stop();
    }
    let survivor = &mut hubs[survivor_index];
    let out = survivor.cli(&["rebuild"]).expect("rebuild runs");
    eprintln!("{out}");
    for (t, before) in tenants.iter().zip(before) {
        let after = ledger(&db, t.id).await;
        assert_eq!(
            after.0.len(),
            t.events,
            "{}: the rebuild books every event",
            t.slug
        );
        assert!(
            before.0 == after.0,
            "{}: the movements differ from a rebuild",
            t.slug
        );
        assert!(
            before.1 == after.1,
            "{}: the balances differ from a rebuild",
            t.slug
        );
    }
    survivor.start().await.expect("the survivor starts again");
    let survivor_url = survivor.url();
    for ((t, feed), before) in tenants.iter().zip(&feeds).zip(figures_before) {
        let after = feed.figures(&survivor_url).await;
        assert!(
            before.order_costs == after.order_costs,
            "{}: order costs differ from a rebuild",
            t.slug
        );
        assert!(
            before.stock_value == after.stock_value,
            "{}: the stock's value differs from a rebuild",
            t.slug
        );
        assert!(
            before.oee == after.oee,
            "{}: the OEE differs from a rebuild",
            t.slug
        );
    }
    drop(proxy);
}

/// Reads `reply`'s server-sent events and sends each `card` message's
/// (id, html) on.
async fn read_cards(
    mut reply: reqwest::Response,
    cards: tokio::sync::mpsc::UnboundedSender<(String, String)>,
) {
    let mut buffer: Vec<u8> = Vec::new();
    while let Ok(Some(chunk)) = reply.chunk().await {
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = buffer.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let mut event = "";
            let mut data = String::new();
            for line in text.lines() {
                if let Some(name) = line.strip_prefix("event:") {
                    event = name.trim();
                } else if let Some(part) = line.strip_prefix("data:") {
                    data.push_str(part.strip_prefix(' ').unwrap_or(part));
                }
            }
            if event != "card" {
                continue;
            }
            let Ok(card) = serde_json::from_str::<serde_json::Value>(&data) else {
                continue;
            };
            let id = card["id"].as_str().unwrap_or_default().to_string();
            let html = card["html"].as_str().unwrap_or_default().to_string();
            if cards.send((id, html)).is_err() {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_on_one_replica_shows_an_event_ingested_on_another() {
    let Some(pg) = TestDatabase::create() else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_hub");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hubs = Vec::new();
    for i in 1..=2 {
        let home = dir.path().join(format!("hub-{i}"));
        std::fs::create_dir_all(&home).expect("a directory per replica");
        let mut hub = HubProcess::with_database(bin.as_ref(), &home, &pg.url).expect("hub");
        hub.start().await.expect("a replica starts");
        hubs.push(hub);
    }
    let (a, b) = (&hubs[0], &hubs[1]);
    let creds = a.provision("acme", "plant-1").expect("provision");
    mes_tests::stations::seed_master_data(&a.url(), &creds.api_token)
        .await
        .expect("master data");
    let password = "a long enough password for the test";
    a.cli_with_input(
        &[
            "user", "add", "--tenant", "acme", "--login", "ana", "--role", "admin",
        ],
        &format!("{password}\n"),
    )
    .expect("user add");

    // A board open on replica B.
    let session = web::Session::login(&b.url(), "acme", "ana", password)
        .await
        .expect("logged in on B");
    let reply = session
        .get("/console/sites/plant-1/board/events")
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .send()
        .await
        .expect("the board's stream opens");
    assert_eq!(reply.status(), reqwest::StatusCode::OK);
    let (send, mut cards) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(read_cards(reply, send));
    let first = tokio::time::timeout(Duration::from_secs(20), cards.recv())
        .await
        .expect("the whole board arrives first")
        .expect("the stream runs");
    assert_eq!(first.0, "m-press-1", "{first:?}");

    // The machine goes down, reported to replica A by the agent.
    let store = Store::open_postgres(&pg.url, 2).expect("the test's own store");
    let auth = store
        .agent_by_token(&creds.agent_token)
        .await
        .expect("the store answers")
        .expect("the agent");
    let reason = "R-LIVE-7";
    let draft = mes_protocols::EventDraft::new(
        mes_protocols::Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        mes_protocols::Source::Device(mes_protocols::Code::parse("press-1").expect("a code")),
        mes_protocols::EventBody::EquipmentStateChanged(mes_protocols::event::EquipmentStateChanged {
            equipment: mes_protocols::Code::parse("press-1").expect("a code"),
            state: mes_protocols::event::EquipmentState::Down,
            reason: Some(mes_protocols::Code::parse(reason).expect("a code")),
        }),
    );
    let body = seed::encode(
        &auth,
        mes_protocols::Incarnation::new_v7(),
        1,
        &[draft.to_record_json()],
    );
    let sent = Instant::now();
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/ingest", a.url()))
        .bearer_auth(&creds.agent_token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .expect("replica A answers");
    assert!(answer.status().is_success(), "{}", answer.status());

    // Replica B's board shows it.
    let deadline = sent + Duration::from_secs(10);
    loop {
        let card = tokio::time::timeout_at(deadline.into(), cards.recv())
            .await
            .expect("B's board shows the event ingested on A within 10 s")
            .expect("the stream runs");
        if card.0 == "m-press-1" && card.1.contains(reason) {
            eprintln!("the card changed on B {:?} after the ingest on A", sent.elapsed());
            break;
        }
    }
    reader.abort();
}

//! A PostgreSQL restart under load (issue 18): two hub replicas on a
//! private PostgreSQL server, four tenants' agents posting batches to both
//! replicas in turn, and in the middle the server stops (`pg_ctl -m fast`:
//! every session ended, as in a restart or a failover) until both
//! replicas' `/healthz` say the database is unavailable and their leases
//! have run out, then starts again. The replicas reconnect (a pooled connection that died is
//! replaced, the leases are taken again, the live listener connects
//! again), the agents retry until acknowledged, and at the end every
//! acknowledged event is stored once and booked once and both replicas
//! are healthy.
//!
//! Skipped with a printed reason without PostgreSQL's programs
//! (`/usr/lib/postgresql/*/bin`).

#[path = "../src/bench_ledger/mod.rs"]
#[allow(dead_code)]
mod bench_ledger;
#[path = "support/replicas.rs"]
#[allow(dead_code)] // shared by several test files, each using a part
mod replicas;

use cloud_hub::store::Store;
use mes_tests::{HubProcess, eventually};
use replicas::{PrivatePostgres, TestDatabase, assert_booked_once, progress, provision, run_agent};
use std::sync::Arc;
use std::time::Duration;

const TENANTS: usize = 4;
const EVENTS: usize = 4_000;

/// The status code and body of `url`'s `/healthz`, if it answers.
async fn health(client: &reqwest::Client, url: &str) -> Option<(u16, serde_json::Value)> {
    let r = client.get(format!("{url}/healthz")).send().await.ok()?;
    let status = r.status().as_u16();
    Some((status, r.json().await.ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_and_agents_ride_through_a_postgres_restart_and_lose_nothing() {
    let Some(server) = PrivatePostgres::start() else {
        return;
    };
    let Some(pg) = TestDatabase::create_on(server.admin_url()) else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_hub");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hubs = Vec::new();
    for i in 1..=2 {
        let home = dir.path().join(format!("hub-{i}"));
        std::fs::create_dir_all(&home).expect("a directory per replica");
        let mut hub = HubProcess::with_database(bin.as_ref(), &home, &pg.url).expect("hub");
        hub.append_config(&format!(
            "[cluster]\nreplica_id = \"hub-{i}\"\nlease_ms = 3000\nrenew_ms = 500\n\
             [projection]\ninterval_ms = 100\nbatch = 500\n"
        ))
        .expect("config");
        hub.start().await.expect("a replica starts");
        hubs.push(hub);
    }
    let urls: Vec<String> = hubs.iter().map(HubProcess::url).collect();
    let store = Store::open_postgres(&pg.url, 2).expect("the test's own store");
    let mut tenants = Vec::new();
    for i in 0..TENANTS {
        tenants.push(Arc::new(provision(&store, i, EVENTS).await));
    }
    drop(store);
    let agents: Vec<_> = tenants
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let patience = Duration::from_secs(90);
            tokio::spawn(run_agent(
                t.clone(),
                urls.clone(),
                0x9e57_0000 + i as u64,
                patience,
            ))
        })
        .collect();

    // Under load: a quarter of the events stored, the projection going.
    {
        let db = pg.client().await;
        let total = (TENANTS * EVENTS) as i64;
        eventually(
            "a quarter of the events to be stored",
            Duration::from_secs(120),
            || {
                let db = &db;
                async move {
                    let n: i64 = db
                        .query_one("SELECT count(*) FROM events", &[])
                        .await
                        .ok()?
                        .get(0);
                    (n > total / 4 && n < total).then_some(())
                }
            },
        )
        .await;
    }
    server.stop();
    let stopped = std::time::Instant::now();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client");
    for url in &urls {
        let (status, body) = eventually(
            "the replicas to see the database gone",
            Duration::from_secs(60),
            || {
                let client = &client;
                async move { health(client, url).await.filter(|(s, _)| *s == 503) }
            },
        )
        .await;
        assert_eq!(body["database"], "unavailable", "{status}: {body}");
        // Down long enough that the leases run out: they are taken anew.
        eventually("the replica's leases to run out", Duration::from_secs(30), || {
            let client = &client;
            async move {
                let (_, body) = health(client, url).await?;
                body["cluster"]["leases"]
                    .as_array()
                    .is_some_and(Vec::is_empty)
                    .then_some(())
            }
        })
        .await;
    }
    server.start_again();
    eprintln!("the database was down {:?}", stopped.elapsed());

    let mut retried = 0;
    for (a, t) in agents.into_iter().zip(&tenants) {
        let (acked, again) = a.await.expect("every batch acknowledged after the restart");
        assert_eq!(acked, t.events, "{}: every event acknowledged", t.slug);
        retried += again;
    }
    eprintln!("{retried} posts were sent again");
    assert!(retried > 0, "the restart hit the agents' load");
    let db = pg.client().await;
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
        assert_booked_once(&db, t).await;
    }
    for url in &urls {
        eventually(
            "the replicas to be healthy again",
            Duration::from_secs(30),
            || {
                let client = &client;
                async move {
                    let (status, body) = health(client, url).await?;
                    (status == 200 && body["cluster"]["error"].is_null()).then_some(())
                }
            },
        )
        .await;
    }
    let leased: i64 = db
        .query_one(
            "SELECT count(*) FROM tenant_leases WHERE expires_at > clock_timestamp()",
            &[],
        )
        .await
        .expect("leases read")
        .get(0);
    assert_eq!(leased, TENANTS as i64, "every tenant is leased again");
    for hub in &mut hubs {
        hub.stop();
    }
}

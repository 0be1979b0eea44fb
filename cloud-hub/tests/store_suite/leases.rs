//! Several hubs on one database: a projection step commits only after the
//! cursor it read after (both stores), and, on PostgreSQL, only under the
//! tenant lease it was taken under: a replica that lost its lease cannot
//! commit a step or a re-plan, and the next holder's fencing token is
//! higher.

use crate::floor::factory;
use cloud_hub::projection::project_step;
use cloud_hub::store::StoreError;
use cloud_hub::store::ledger::{LedgerWrite, ProjectionIssue, ProjectionStep};
use cloud_hub::store::plans::NewLivePlan;
use mes_protocols::Timestamp;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn at(minute: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_780_000_000_000 + minute * 60_000)
}

/// A step written as read after `after`, covering through `through`,
/// setting an issue aside (so a write that went through would show).
fn step(after: i64, through: i64) -> LedgerWrite {
    LedgerWrite {
        projection: Some(ProjectionStep {
            through_event_row: through,
            after_event_row: Some(after),
            issues: vec![ProjectionIssue {
                event_row: through,
                event_id: String::new(),
                kind: "material_consumed".into(),
                reason: "written by a stale step".into(),
            }],
            ..ProjectionStep::default()
        }),
        ..LedgerWrite::default()
    }
}

pub async fn a_step_read_after_a_moved_cursor_is_refused_whole(db: &crate::harness::TestDb) {
    let store = &db.store;
    let mut floor = factory(store, "stale").await;
    let drafts: Vec<_> = (0..3)
        .map(|m| floor.consumed(at(m), "BOLT", None, "1", "pcs"))
        .collect();
    floor.send(store, &drafts).await;
    let tenant = floor.tenant;
    let cursor = store.projection_cursor(tenant).await.expect("the cursor reads");

    // Read after a cursor that is not the stored one: refused, nothing written.
    let err = store
        .write_ledger(tenant, step(cursor + 1, cursor + 3))
        .await
        .expect_err("a step read after another cursor is refused");
    assert!(
        matches!(err, StoreError::StaleStep { expected, found } if expected == cursor + 1 && found == cursor),
        "{err}"
    );
    assert_eq!(store.projection_cursor(tenant).await.ok(), Some(cursor));
    assert!(
        store
            .projection_issues(tenant, 10)
            .await
            .expect("issues read")
            .is_empty()
    );

    // The real step moves it; the same step again (a second replica that
    // read the same cursor) is refused.
    let mut context = None;
    let done = project_step(store, tenant, &mut context, 100)
        .await
        .expect("a step");
    assert_eq!(done.events, 3);
    let moved = store.projection_cursor(tenant).await.expect("the cursor reads");
    let err = store
        .write_ledger(tenant, step(cursor, moved))
        .await
        .expect_err("the same step twice is refused");
    assert!(
        matches!(err, StoreError::StaleStep { found, .. } if found == moved),
        "{err}"
    );
    assert!(
        store
            .projection_issues(tenant, 10)
            .await
            .expect("issues read")
            .is_empty()
    );
}

pub async fn a_replica_that_lost_its_lease_cannot_commit_a_step(db: &crate::harness::TestDb) {
    let store = &db.store;
    let Some(leases) = store.leases() else {
        // SQLite: one serving hub per file, no leases.
        assert_eq!(store.backend_name(), "sqlite");
        return;
    };
    let mut floor = factory(store, "leased").await;
    let tenant = floor.tenant;
    let ttl = Duration::from_millis(1_000);
    let (a, b): (Arc<str>, Arc<str>) = (Arc::from("replica-a"), Arc::from("replica-b"));
    assert_eq!(leases.heartbeat(&a, ttl).await.expect("a heartbeat"), 1);
    assert_eq!(leases.heartbeat(&b, ttl).await.expect("a heartbeat"), 2);

    let taken = leases.take(&a, 5, ttl).await.expect("A takes");
    assert_eq!(taken.len(), 1, "one tenant, one lease");
    let fence_a = taken[0].fence.clone();
    assert_eq!(fence_a.tenant, tenant);
    assert!(
        leases.take(&b, 5, ttl).await.expect("B asks").is_empty(),
        "held by A"
    );

    let drafts: Vec<_> = (0..3)
        .map(|m| floor.consumed(at(m), "BOLT", None, "1", "pcs"))
        .collect();
    floor.send(store, &drafts).await;
    let mut context = None;
    let done = project_step(&store.fenced(fence_a.clone()), tenant, &mut context, 100)
        .await
        .expect("A projects under its lease");
    assert_eq!(done.events, 3);

    // A stops renewing; once the lease ran out B takes it, one fence higher.
    let deadline = Instant::now() + Duration::from_secs(15);
    let fence_b = loop {
        leases.heartbeat(&b, ttl).await.expect("a heartbeat");
        if let Some(t) = leases.take(&b, 5, ttl).await.expect("B asks").pop() {
            break t.fence;
        }
        assert!(Instant::now() < deadline, "A's lease never ran out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(fence_b.token, fence_a.token + 1);
    assert!(
        leases
            .renew(std::slice::from_ref(&fence_a), ttl)
            .await
            .expect("A renews")
            .is_empty()
    );

    let more: Vec<_> = (3..6)
        .map(|m| floor.consumed(at(m), "BOLT", None, "1", "pcs"))
        .collect();
    floor.send(store, &more).await;
    let cursor = store.projection_cursor(tenant).await.expect("the cursor reads");
    let err = project_step(&store.fenced(fence_a.clone()), tenant, &mut None, 100)
        .await
        .expect_err("A's step is refused");
    assert!(err.to_string().contains("no longer held"), "{err}");
    assert_eq!(
        store.projection_cursor(tenant).await.ok(),
        Some(cursor),
        "nothing written"
    );
    let done = project_step(&store.fenced(fence_b.clone()), tenant, &mut None, 100)
        .await
        .expect("B projects under its lease");
    assert_eq!(done.events, 3);

    // A re-plan written after the lease was lost is refused the same way.
    let plan = |by: &str| NewLivePlan {
        site: "plant-1".into(),
        records_version: 0,
        event_cursor: 0,
        trigger: format!("re-planned by {by}"),
        body: serde_json::json!({"by": by}),
        if_revision: None,
    };
    let err = store
        .fenced(fence_a.clone())
        .save_live_plan(tenant, plan("A"))
        .await
        .expect_err("A's plan is refused");
    assert!(err.to_string().contains("no longer held"), "{err}");
    assert_eq!(
        store
            .live_plan_revision(tenant, "plant-1".into())
            .await
            .expect("the revision reads"),
        None,
        "nothing stored"
    );
    let revision = store
        .fenced(fence_b.clone())
        .save_live_plan(tenant, plan("B"))
        .await
        .expect("B stores its plan under its lease");
    assert_eq!(revision, 1);

    // Giving a lease up lets another take it at once, one fence higher.
    leases.release(&fence_b).await.expect("B gives it up");
    let again = leases.take(&a, 5, ttl).await.expect("A asks");
    assert_eq!(again.first().map(|t| t.fence.token), Some(fence_b.token + 1));
    leases.leave(&a).await.expect("A leaves");
    assert_eq!(
        leases.heartbeat(&b, ttl).await.expect("a heartbeat"),
        1,
        "A's heartbeat is gone"
    );
}

pub async fn a_notice_sent_by_one_hub_is_heard_by_another(db: &crate::harness::TestDb) {
    let store = &db.store;
    let Some(sender) = store.notices() else {
        // SQLite: one hub per file; its ingest feeds its own boards.
        assert_eq!(store.backend_name(), "sqlite");
        return;
    };
    let other = db.reopen();
    let listener = other.notices().expect("the same database is PostgreSQL");
    let tenant = store.create_tenant("noticed").expect("a tenant");
    let (sink, mut heard) = tokio::sync::mpsc::channel(16);
    let (ready, listening) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move { listener.listen(None, sink, Some(ready)).await });
    tokio::time::timeout(Duration::from_secs(10), listening)
        .await
        .expect("listening within 10 s")
        .expect("the listener says so");
    // The channel is the database's, shared with parallel tests: this
    // test's notices carry an origin of its own.
    let origin = format!("replica-{}", uuid::Uuid::now_v7());
    sender
        .notify(
            &origin,
            &[(tenant, "plant-1".to_string()), (tenant, "plant-2".to_string())],
        )
        .await
        .expect("the notice is sent");
    let mut sites = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sites.len() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, heard.recv())
            .await
            .expect("both notices heard within 10 s")
            .expect("the listener runs");
        if n.origin == origin {
            assert_eq!(n.tenant, tenant);
            sites.push(n.site);
        }
    }
    assert_eq!(sites, ["plant-1", "plant-2"]);
    drop(heard);
    // With its sink closed the listener ends by itself, without error.
    sender
        .notify(&origin, &[(tenant, "plant-1".to_string())])
        .await
        .expect("sent");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the listener ends")
        .expect("no panic")
        .expect("no error");
}

pub async fn a_statement_past_the_timeout_is_cancelled(db: &crate::harness::TestDb) {
    let Some(url) = db.postgres_url() else {
        return;
    };
    let config = cloud_hub::store::config::DatabaseConfig {
        url: url.to_string(),
        max_connections: 2,
        statement_timeout_ms: 200,
    };
    let store = cloud_hub::store::Store::open(&config).expect("the store opens");
    store
        .tenants()
        .await
        .expect("a statement within the timeout runs");
    // Another session holds the table: the statement waits, and is
    // cancelled after the timeout rather than holding the connection.
    let held = db.hold("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE").await;
    let started = Instant::now();
    let err = store
        .tenants()
        .await
        .expect_err("the waiting statement is cancelled");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let cancelled = match &err {
        StoreError::Postgres(e) => e.code() == Some(&tokio_postgres::error::SqlState::QUERY_CANCELED),
        _ => false,
    };
    assert!(cancelled, "{err:?}");
    held.commit().await;
    store.tenants().await.expect("the pool's connections still work");
}

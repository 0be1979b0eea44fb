//! The access-control benchmark (issue 15): what the authorisation check
//! (finding the user's roles and resolving the route's right) adds to a
//! typical GET, on SQLite and on PostgreSQL (skipped with a reason when
//! absent), and how long a login's argon2id takes. Ignored by default; run
//! it in release mode:
//!
//! ```text
//! cargo test --release -p cloud-hub --test access_bench -- --ignored --nocapture
//! ```
//!
//! Measured in one run, each as the median of many calls:
//! - `request`: `GET /api/v1/units?limit=50` through the real router with a
//!   user's API token (authentication, authorisation, handler, JSON);
//! - `principal`: the guard's lookup alone (token → user → roles → rights
//!   and the route's right resolved);
//! - `token only`: the lookup a tenant token had before users existed
//!   (token → tenant), the same request's authentication with the
//!   authorisation off.
//!
//! The authorisation adds `principal − token only` to the request; the
//! request with it off costs `request − (principal − token only)`.
//! Target: under 5% added.

#[path = "store_suite/harness.rs"]
#[allow(dead_code)]
mod harness;

use axum::body::Body;
use axum::http::Request;
use cloud_hub::api::{HubState, IngestLimits, router};
use cloud_hub::metrics::HubMetrics;
use cloud_hub::store::Store;
use cloud_hub::store::rights::{Action, Module, Right, RightSet};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const CALLS: usize = 2_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn bench(store: Store, backend: &str) {
    let slug = format!("bench-{}", uuid::Uuid::now_v7().simple());
    let (token, tenant) = {
        let store = store.clone();
        let slug = slug.clone();
        tokio::task::spawn_blocking(move || {
            let tenant = store.create_tenant(&slug).expect("tenant");
            (
                store.create_api_token(&slug, "bench").expect("token").token,
                tenant,
            )
        })
        .await
        .expect("thread")
    };
    let state = HubState::new(
        store.clone(),
        Arc::new(HubMetrics::default()),
        IngestLimits::default(),
        cloud_hub::clock::system_clock(),
    );
    let app = router(state);
    // 50 units to list, and a user holding master_data:view through a role
    // and a group, as a planner would.
    for i in 0..50 {
        let body = serde_json::json!({"code": format!("u{i:02}"), "name": format!("Unit {i}")});
        let request = Request::post("/api/v1/units")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), 201);
    }
    let user_token = store
        .create_user_token(
            tenant,
            "service".into(),
            "reader".into(),
            Some(vec![Right::new(Module::MasterData, Action::View)]),
        )
        .await
        .expect("token")
        .token;
    let get = || {
        Request::get("/api/v1/units?limit=50")
            .header("authorization", format!("Bearer {user_token}"))
            .body(Body::empty())
            .expect("request")
    };
    let wanted = Right::new(Module::MasterData, Action::View);
    // Warm up, then interleave the three so drift hits them alike.
    for _ in 0..200 {
        let response = app.clone().oneshot(get()).await.expect("infallible");
        assert_eq!(response.status(), 200);
        response.into_body().collect().await.expect("body");
    }
    let (mut request, mut principal, mut token_only) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..CALLS {
        let started = Instant::now();
        let response = app.clone().oneshot(get()).await.expect("infallible");
        response.into_body().collect().await.expect("body");
        request.push(started.elapsed());

        let started = Instant::now();
        let row = store
            .principal_by_api_token(&user_token)
            .await
            .expect("lookup")
            .expect("found");
        let rights = RightSet::from_grants(&row.grants, row.narrowing.as_deref());
        assert!(rights.scope_of(wanted).is_some());
        principal.push(started.elapsed());

        let started = Instant::now();
        store
            .tenant_by_api_token(&user_token)
            .await
            .expect("lookup")
            .expect("found");
        token_only.push(started.elapsed());
    }
    let (request, principal, token_only) = (median(request), median(principal), median(token_only));
    let added = principal.saturating_sub(token_only);
    let without = request.saturating_sub(added);
    println!(
        "{backend:>8}: GET /api/v1/units (50) {:>7.1} µs | principal+rights {:>6.1} µs | token only {:>6.1} µs | \
         authorisation adds {:>5.1} µs = {:.1}% of the request without it ({:.1} µs)",
        request.as_secs_f64() * 1e6,
        principal.as_secs_f64() * 1e6,
        token_only.as_secs_f64() * 1e6,
        added.as_secs_f64() * 1e6,
        100.0 * added.as_secs_f64() / without.as_secs_f64().max(1e-9),
        without.as_secs_f64() * 1e6,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn authorisation_cost_and_login_time() {
    let db = harness::TestDb::sqlite();
    bench(db.store.clone(), "sqlite").await;
    if let Some(db) = harness::TestDb::postgres("access_bench") {
        bench(db.store.clone(), "postgres").await;
    }
    let mut hashes = Vec::new();
    let mut verifies = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let phc = cloud_hub::access::password::hash("violet tractor 19 lemons");
        hashes.push(started.elapsed());
        let started = Instant::now();
        assert!(cloud_hub::access::password::verify(
            "violet tractor 19 lemons",
            &phc
        ));
        verifies.push(started.elapsed());
    }
    println!(
        "argon2id m=19456 KiB t=2 p=1: hash {:.1} ms, verify (a login) {:.1} ms (medians of 20)",
        median(hashes).as_secs_f64() * 1e3,
        median(verifies).as_secs_f64() * 1e3
    );
}

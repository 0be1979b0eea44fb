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
//! Measured in one run, each as the median of many calls, for a user's
//! API token and for a browser session:
//! - `request`: `GET /api/v1/units?limit=50` through the real router
//!   (authentication, authorisation, handler, JSON);
//! - `guard lookup`: what the guard does to find the principal and resolve
//!   the route's right (`access::principal::authenticate`, then
//!   `scope_of`): the credential's lookup, its rights, a session's
//!   timeouts;
//! - `token only`: the lookup a tenant token had before users existed
//!   (token → tenant), the same request's authentication with the
//!   authorisation off.
//!
//! The authorisation adds `guard lookup − token only` to the request; the
//! request with it off costs `request − (guard lookup − token only)`.
//! Target: under 5% added. The two lookups take turns at following the
//! request (on PostgreSQL a query right after another one answers faster,
//! the server process being awake), so neither gains from its place.

#[path = "store_suite/harness.rs"]
#[allow(dead_code)]
mod harness;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, header};
use cloud_hub::access::config::AccessConfig;
use cloud_hub::access::{principal, session};
use cloud_hub::api::{HubState, IngestLimits, router};
use cloud_hub::metrics::HubMetrics;
use cloud_hub::store::Store;
use cloud_hub::store::access::NewSession;
use cloud_hub::store::rights::{Action, Module, Right};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const CALLS: usize = 2_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A credential's headers: a bearer token or a session cookie.
fn headers(name: header::HeaderName, value: String) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(name, HeaderValue::from_str(&value).expect("a header value"));
    headers
}

/// The samples of one credential's legs.
#[derive(Default)]
struct Legs {
    request: Vec<Duration>,
    guard: Vec<Duration>,
    token_only: Vec<Duration>,
}

fn report(backend: &str, credential: &str, legs: Legs) {
    let (request, guard, token_only) = (median(legs.request), median(legs.guard), median(legs.token_only));
    let added = guard.saturating_sub(token_only);
    let without = request.saturating_sub(added);
    println!(
        "{backend:>8} {credential:>7}: GET /api/v1/units (50) {:>7.1} µs | guard lookup {:>6.1} µs | \
         token only {:>6.1} µs | authorisation adds {:>5.1} µs = {:.1}% of the request without it ({:.1} µs)",
        request.as_secs_f64() * 1e6,
        guard.as_secs_f64() * 1e6,
        token_only.as_secs_f64() * 1e6,
        added.as_secs_f64() * 1e6,
        100.0 * added.as_secs_f64() / without.as_secs_f64().max(1e-9),
        without.as_secs_f64() * 1e6,
    );
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
    // A browser session of the same user, as a login makes it.
    let user = store
        .login_user(tenant, "service".into())
        .await
        .expect("lookup")
        .expect("the service user")
        .user
        .id;
    let (secret, secret_hash) = session::new_secret();
    store
        .create_session(
            tenant,
            NewSession {
                user,
                secret_hash,
                csrf_token: session::new_csrf_token(),
                address: "127.0.0.1".into(),
                user_agent: "bench".into(),
                at: now_ms(),
            },
        )
        .await
        .expect("session");
    let by_token = headers(header::AUTHORIZATION, format!("Bearer {user_token}"));
    let by_session = headers(header::COOKIE, format!("{}={secret}", session::SECURE_COOKIE));
    let get = |credential: &HeaderMap| {
        let mut request = Request::get("/api/v1/units?limit=50")
            .body(Body::empty())
            .expect("request");
        request.headers_mut().extend(credential.clone());
        request
    };
    let config = AccessConfig::default();
    let wanted = Right::new(Module::MasterData, Action::View);
    // Warm up, then interleave the legs so drift hits them alike.
    for _ in 0..200 {
        for credential in [&by_token, &by_session] {
            let response = app.clone().oneshot(get(credential)).await.expect("infallible");
            assert_eq!(response.status(), 200);
            response.into_body().collect().await.expect("body");
        }
    }
    let (mut token_legs, mut session_legs) = (Legs::default(), Legs::default());
    for call in 0..CALLS {
        for (credential, legs) in [(&by_token, &mut token_legs), (&by_session, &mut session_legs)] {
            let started = Instant::now();
            let response = app.clone().oneshot(get(credential)).await.expect("infallible");
            response.into_body().collect().await.expect("body");
            legs.request.push(started.elapsed());

            for guard_first in [call % 2 == 0, call % 2 == 1] {
                let started = Instant::now();
                if guard_first {
                    let found = principal::authenticate(&store, &config, credential, &Method::GET, now_ms())
                        .await
                        .map_err(|e| format!("{e:?}"))
                        .expect("authenticates");
                    assert!(found.scope_of(wanted).is_some());
                    legs.guard.push(started.elapsed());
                } else {
                    store
                        .tenant_by_api_token(&user_token)
                        .await
                        .expect("lookup")
                        .expect("found");
                    legs.token_only.push(started.elapsed());
                }
            }
        }
    }
    report(backend, "token", token_legs);
    report(backend, "session", session_legs);
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

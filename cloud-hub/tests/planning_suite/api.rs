//! The scheduling API through the real router, on the factory site.

use crate::factory::factory;
use crate::harness::TestDb;
use axum::body::Body;
use axum::http::{Method, Request};
use cloud_hub::api::{HubState, IngestLimits, router};
use cloud_hub::metrics::HubMetrics;
use cloud_hub::store::Store;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// Sends one request through a fresh router on `store`: (status, JSON body).
pub async fn call(
    store: &Store,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let state = HubState::new(
        store.clone(),
        Arc::new(HubMetrics::default()),
        IngestLimits {
            max_body_bytes: 1 << 20,
            max_inflated_bytes: 1 << 22,
            ..IngestLimits::default()
        },
        cloud_hub::clock::fixed_clock(NOW),
    );
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("a valid request");
    let reply = router(state).oneshot(request).await.expect("the router answers");
    let status = reply.status().as_u16();
    let bytes = reply
        .into_body()
        .collect()
        .await
        .expect("the body reads")
        .to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

const BASE: &str = "/api/v1/schedules/plant";

/// The hub's "now" in these cases: Tuesday 2026-05-12 08:00 at the site
/// (07:00 UTC), a working hour a week after the factory's due dates, so the
/// outcome never depends on the weekday or hour the tests run at.
pub const NOW: i64 = crate::factory::MONDAY_0600 + (8 * 24 + 2) * 3_600_000;

/// A run answers 201 with the plan; the live plan reads per machine and per
/// order, the critical orders are the late ones (every due date of the
/// factory lies in the past of the hub's clock), and it validates.
pub async fn run_and_read_the_live_plan_per_machine_and_order(db: &TestDb) {
    let f = factory(&db.store, "acme").await;
    let (status, bad) = call(
        &db.store,
        Method::POST,
        &format!("{BASE}/run"),
        &f.token,
        Some(json!({"time_limit_seconds": 0})),
    )
    .await;
    assert_eq!(
        (status, &bad["error"]["field"]),
        (400, &json!("time_limit_seconds")),
        "{bad}"
    );
    let (status, plan) = call(
        &db.store,
        Method::POST,
        &format!("{BASE}/run"),
        &f.token,
        Some(json!({"time_limit_seconds": 1})),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(plan["revision"], 1);
    let (_, machines) = call(
        &db.store,
        Method::GET,
        &format!("{BASE}/machines"),
        &f.token,
        None,
    )
    .await;
    let names: Vec<&str> = machines
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|m| m["equipment"].as_str())
        .collect();
    assert_eq!(names, ["M1", "M2", "M3"]);
    let (_, orders) = call(&db.store, Method::GET, &format!("{BASE}/orders"), &f.token, None).await;
    assert_eq!(orders.as_array().map(Vec::len), Some(4), "{orders}");
    let (_, critical) = call(
        &db.store,
        Method::GET,
        &format!("{BASE}/critical"),
        &f.token,
        None,
    )
    .await;
    let critical = critical.as_array().expect("a list");
    assert_eq!(critical.len(), 4, "all due dates are past");
    assert!(critical.iter().all(|o| o["state"] == "late"));
    let (status, report) = call(
        &db.store,
        Method::GET,
        &format!("{BASE}/validation"),
        &f.token,
        None,
    )
    .await;
    assert_eq!(
        (status, &report["valid"], &report["violations"]),
        (200, &json!(true), &json!([])),
        "{report}"
    );
}

/// A what-if (a rush order, the mill down for a day) answers its own plan
/// and the differences, and leaves the live plan as it was.
pub async fn what_if_does_not_replace_the_live_plan(db: &TestDb) {
    let f = factory(&db.store, "acme").await;
    let (status, _) = call(
        &db.store,
        Method::POST,
        &format!("{BASE}/run"),
        &f.token,
        Some(json!({"time_limit_seconds": 1})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, live_before) = call(&db.store, Method::GET, BASE, &f.token, None).await;
    let at = |hours: i64| mes_protocols::Timestamp::from_unix_millis(NOW + hours * 3_600_000).to_string();
    let body = json!({"add_orders": [{"code": "MO-RUSH", "material": "P", "quantity": "10", "priority": 5}],
                      "machines_down": [{"equipment": "M2", "from": at(0), "to": at(24)}]});
    let (status, what_if) = call(
        &db.store,
        Method::POST,
        &format!("{BASE}/what-if"),
        &f.token,
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{what_if}");
    assert_eq!(what_if["plan"]["revision"], Value::Null);
    let orders: Vec<&str> = what_if["plan"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter_map(|o| o["order"].as_str())
        .collect();
    assert!(orders.contains(&"MO-RUSH"), "{orders:?}");
    assert!(
        !what_if["moved_operations"].as_array().expect("a list").is_empty(),
        "the mill's work moves"
    );
    let (_, live_after) = call(&db.store, Method::GET, BASE, &f.token, None).await;
    assert_eq!(live_after, live_before, "the live plan is untouched");
    let bad = json!({"machines_down": [{"equipment": "M9", "from": at(0), "to": at(1)}]});
    let (status, err) = call(
        &db.store,
        Method::POST,
        &format!("{BASE}/what-if"),
        &f.token,
        Some(bad),
    )
    .await;
    assert_eq!(
        (status, &err["error"]["field"]),
        (422, &json!("machines_down[0].equipment")),
        "{err}"
    );
    // Instants that make no window: well-formed, so 422, not 400 (the
    // OpenAPI fuzzer's schema-valid request).
    let empty = json!({"machines_down": [{"equipment": "M1", "from": at(1), "to": at(1)}]});
    let (status, err) = call(
        &db.store,
        Method::POST,
        &format!("{BASE}/what-if"),
        &f.token,
        Some(empty),
    )
    .await;
    assert_eq!(
        (status, &err["error"]["field"]),
        (422, &json!("machines_down[0].to")),
        "{err}"
    );
}

/// Another tenant naming this tenant's site gets 404 on every scheduling
/// route, and its POSTs change nothing.
pub async fn another_tenants_site_is_not_found(db: &TestDb) {
    let f = factory(&db.store, "acme").await;
    call(
        &db.store,
        Method::POST,
        &format!("{BASE}/run"),
        &f.token,
        Some(json!({"time_limit_seconds": 1})),
    )
    .await;
    let (_, before) = call(&db.store, Method::GET, BASE, &f.token, None).await;
    db.store.create_tenant("bravo").expect("tenant created");
    db.store.create_site("bravo", "elsewhere").expect("site created");
    let other = db
        .store
        .create_api_token("bravo", "t")
        .expect("token created")
        .token;
    for path in ["", "/machines", "/orders", "/critical", "/validation"] {
        let (status, body) = call(&db.store, Method::GET, &format!("{BASE}{path}"), &other, None).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (404, &json!("not_found")),
            "GET {path}: {body}"
        );
    }
    for (path, body) in [("/run", json!({})), ("/what-if", json!({}))] {
        let (status, _) = call(
            &db.store,
            Method::POST,
            &format!("{BASE}{path}"),
            &other,
            Some(body),
        )
        .await;
        assert_eq!(status, 404, "POST {path}");
    }
    let (_, after) = call(&db.store, Method::GET, BASE, &f.token, None).await;
    assert_eq!(after, before);
}

//! Helpers of the planning cases: run a plan through the API, read the
//! live plan checked by the scheduler's validator, find an operation's
//! place in it.

use crate::api::call;
use axum::http::Method;
use cloud_hub::planning::StoredPlan;
use cloud_hub::store::{Store, TenantId};
use serde_json::json;

/// Runs a plan of site `plant` (1 s) through the API; it must be stored.
pub async fn run_plan(store: &Store, token: &str) {
    let (status, body) = call(
        store,
        Method::POST,
        "/api/v1/schedules/plant/run",
        token,
        Some(json!({"time_limit_seconds": 1})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// The live plan's revision and document, checked against its own model
/// by the scheduler's validator.
pub async fn live_and_valid(store: &Store, tenant: TenantId) -> (i64, StoredPlan) {
    let row = store
        .live_plan(tenant, "plant".into())
        .await
        .expect("the store reads")
        .expect("a live plan");
    let stored: StoredPlan = serde_json::from_value(row.body).expect("the document reads");
    let model = stored.model().expect("its model builds");
    let violations = mes_scheduler::validate(&model, &stored.plan);
    assert!(violations.is_empty(), "revision {}: {violations:?}", row.revision);
    (row.revision, stored)
}

/// Machine code and start (epoch minutes) of operation `op` in `stored`.
pub fn place(stored: &StoredPlan, op: &str) -> (String, i64) {
    let id = stored
        .operations
        .iter()
        .position(|o| o.name == op)
        .expect("the operation is planned");
    let s = stored
        .plan
        .ops
        .iter()
        .find(|s| s.op.index() == id)
        .expect("it has a place");
    (stored.machines[s.machine.index()].name.clone(), s.start)
}

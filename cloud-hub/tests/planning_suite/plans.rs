//! Helpers of the planning cases: the factory with a second saw, run a
//! plan through the API, read the live plan checked by the scheduler's
//! validator, find an operation's place in it, draft and accept a change.

use crate::api::call;
use crate::factory::{Factory, factory, put};
use axum::http::Method;
use cloud_hub::masterdata::records as r;
use cloud_hub::planning::StoredPlan;
use cloud_hub::store::{Store, TenantId};
use serde_json::{Value, json};

/// The steering routes of site `plant`.
pub const PLAN: &str = "/api/v1/sites/plant/plan";

/// The factory of tenant `slug` with a second saw, M4, so a saw step may
/// move between machines.
pub async fn factory_with_two_saws(store: &Store, slug: &str) -> Factory {
    let f = factory(store, slug).await;
    put::<r::Equipment>(
        store,
        f.tenant,
        json!({"code": "M4", "name": "Saw 2", "equipment_type": "saw", "site": "plant"}),
    )
    .await;
    f
}

/// Drafts `changes` (a JSON list) on site `plant`: status and answer.
pub async fn draft(store: &Store, token: &str, changes: Value) -> (u16, Value) {
    call(
        store,
        Method::POST,
        &format!("{PLAN}/drafts"),
        token,
        Some(json!({ "changes": changes })),
    )
    .await
}

/// Accepts the draft `answer` names: the status.
pub async fn accept(store: &Store, token: &str, answer: &Value) -> u16 {
    let id = answer["draft"]
        .as_str()
        .unwrap_or_else(|| panic!("a draft: {answer}"));
    call(
        store,
        Method::POST,
        &format!("{PLAN}/drafts/{id}/accept"),
        token,
        None,
    )
    .await
    .0
}

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

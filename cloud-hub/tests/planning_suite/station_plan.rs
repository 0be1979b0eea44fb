//! The live plan in the downlink (issue 17: "the stations' order list
//! follows"): an agent that names the revision it holds gets the site's
//! live plan when it differs, a snapshot always carries it, an agent that
//! does not ask never gets it, and an accepted move reaches it as a new
//! revision with the operation on its new machine.

use crate::api::call;
use crate::harness::TestDb;
use crate::plans::{accept, draft, factory_with_two_saws, run_plan};
use axum::http::Method;
use serde_json::{Value, json};

async fn downlink(db: &TestDb, token: &str, query: &str) -> (u16, Value) {
    call(
        &db.store,
        Method::GET,
        &format!("/api/v1/downlink?{query}"),
        token,
        None,
    )
    .await
}

/// The plan record of a page, if it carries one.
fn plan_of(page: &Value) -> Option<&Value> {
    page["upserts"]
        .as_array()
        .and_then(|u| u.iter().find(|r| r["kind"] == "plan"))
}

/// The machine the plan record runs `order`/`operation` on.
fn machine(plan: &Value, order: &str, operation: &str) -> String {
    plan["operations"]
        .as_array()
        .and_then(|ops| {
            ops.iter()
                .find(|o| o["order"] == order && o["operation"] == operation)
        })
        .and_then(|o| o["equipment"].as_str())
        .unwrap_or_else(|| panic!("{order}/{operation} in {plan}"))
        .to_string()
}

pub async fn the_downlink_carries_the_live_plan_to_agents_that_ask(db: &TestDb) {
    let f = factory_with_two_saws(&db.store, "acme").await;
    let agent = db
        .store
        .create_agent("acme", "plant", "gateway-2")
        .expect("agent created");
    let token = agent.token.clone();

    // No plan yet: nothing to send, and nothing to forget.
    let (status, page) = downlink(db, &token, "since=0&plan=0").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        plan_of(&page).is_none() && page["removals"] == json!([]),
        "{page}"
    );

    run_plan(&db.store, &f.token).await;
    let (_, live) = call(&db.store, Method::GET, "/api/v1/schedules/plant", &f.token, None).await;

    // A snapshot carries the plan, whatever the agent says it holds.
    let (_, page) = downlink(db, &token, "since=0&plan=1").await;
    let plan = plan_of(&page).unwrap_or_else(|| panic!("a plan in {page}"));
    assert_eq!(plan["site"], "plant");
    assert_eq!(plan["revision"], 1);
    let saw = machine(plan, "MO-A", "10");
    let planned_saw = live["orders"]
        .as_array()
        .and_then(|orders| orders.iter().find(|o| o["order"] == "MO-A"))
        .and_then(|o| o["operations"].as_array())
        .and_then(|ops| ops.iter().find(|op| op["operation"] == "10"))
        .and_then(|op| op["equipment"].as_str())
        .unwrap_or_else(|| panic!("MO-A/10 in {live}"))
        .to_string();
    assert_eq!(saw, planned_saw, "the record is the live plan");
    let cursor = page["cursor"].as_u64().expect("a cursor");

    // Held: nothing more. Not asked: never.
    let (_, page) = downlink(db, &token, &format!("since={cursor}&plan=1")).await;
    assert!(plan_of(&page).is_none(), "{page}");
    let (_, page) = downlink(db, &token, "since=0").await;
    assert!(plan_of(&page).is_none(), "an agent that does not ask: {page}");

    // A planner moves MO-A/10 to the other saw: the next pull brings
    // revision 2 with the move.
    let other = if saw == "M1" { "M4" } else { "M1" };
    let (status, answer) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "move", "operation": "MO-A/10", "machine": other}]),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(accept(&db.store, &f.token, &answer).await, 200);
    let (_, page) = downlink(db, &token, &format!("since={cursor}&plan=1")).await;
    let plan = plan_of(&page).unwrap_or_else(|| panic!("the new plan in {page}"));
    assert_eq!(plan["revision"], 2);
    assert_eq!(machine(plan, "MO-A", "10"), other);

    let (status, err) = downlink(db, &token, "since=0&plan=latest").await;
    assert_eq!((status, &err["error"]["field"]), (400, &json!("plan")), "{err}");
}

//! Material approval at the station, offline (issue 21): with the hub
//! stopped, a lot from a maker not approved for the order's customer is
//! refused with the one-line reason and a `scan_rejected`, a lot from an
//! approved maker is consumed; when the hub is back the events arrive.

use mes_tests::eventually;
use mes_tests::stations::*;
use mes_tests::{binaries, start_rig};
use serde_json::{Value, json};
use std::time::Duration;

/// Makers ACME and RUSTY, a lot of STEEL from each; STEEL approved from
/// both in general, from RUSTY only for customer BOSCH; order PO-3 makes
/// brackets for BOSCH's sales order SO-1.
fn approval_data() -> Vec<(&'static str, Value)> {
    vec![
        ("manufacturers", json!({"code": "ACME", "name": "Acme Steel"})),
        ("manufacturers", json!({"code": "RUSTY", "name": "Rusty Rolling"})),
        (
            "lots",
            json!({"code": "L-ACME", "material": "STEEL", "manufacturer": "ACME"}),
        ),
        (
            "lots",
            json!({"code": "L-RUSTY", "material": "STEEL", "manufacturer": "RUSTY"}),
        ),
        ("customers", json!({"code": "BOSCH", "name": "Bosch"})),
        (
            "material-approvals",
            json!({"material": "STEEL",
                   "approvals": [{"manufacturer": "ACME", "status": "approved"},
                                 {"manufacturer": "RUSTY", "status": "approved"}],
                   "customers": [{"customer": "BOSCH",
                                  "approvals": [{"manufacturer": "RUSTY", "status": "approved"}]}]}),
        ),
        (
            "sales-orders",
            json!({"code": "SO-1", "customer": "BOSCH", "ordered_on": "2026-11-01",
                   "lines": [{"line": 1, "material": "BRACKET", "quantity": "50", "unit": "pcs",
                              "due": "2026-12-15"}]}),
        ),
        (
            "production-orders",
            json!({"code": "PO-3", "material": "BRACKET", "quantity": "50", "site": "plant-1",
                   "sales_order": {"order": "SO-1", "line": 1}}),
        ),
        ("production-orders/PO-3/release", json!({})),
    ]
}

/// Waits until the station has order PO-3 (sent after everything above).
async fn wait_for_order(agent: &str, order: &str) {
    let client = reqwest::Client::new();
    let url = format!("{agent}/stations/{STATION}/api/state");
    eventually(
        &format!("order {order} at the station"),
        Duration::from_secs(30),
        || {
            let request = client.get(&url).send();
            async move {
                let state: Value = request.await.ok()?.json().await.ok()?;
                state["orders"]
                    .as_array()?
                    .iter()
                    .any(|o| o["code"] == order)
                    .then_some(())
            }
        },
    )
    .await
}

async fn ok(agent: &str, step: Value) -> Value {
    let answer = station_step(agent, step.clone()).await.expect("station answers");
    assert_eq!(answer["ok"], true, "{step} was rejected: {}", answer["message"]);
    answer
}

#[tokio::test]
async fn unapproved_lot_is_refused_offline_and_the_events_arrive_later() {
    let mut rig = start_rig(&binaries!(), &station_toml(None))
        .await
        .expect("rig starts");
    let (hub, token) = (rig.hub.url(), rig.creds.api_token.clone());
    seed_master_data(&hub, &token).await.expect("master data");
    post_records(&hub, &token, approval_data())
        .await
        .expect("approval data");
    let agent = rig.agent.url();
    wait_for_order(&agent, "PO-3").await;

    rig.hub.stop();
    ok(&agent, json!({"step": "scan", "code": "B-0001"})).await;
    ok(&agent, json!({"step": "scan", "code": "PO:PO-3"})).await;
    let refused = station_step(&agent, json!({"step": "scan", "code": "L:L-ACME"}))
        .await
        .expect("answer");
    assert_eq!(refused["ok"], false);
    assert_eq!(
        refused["message"],
        "L-ACME: maker ACME not approved for STEEL for customer BOSCH"
    );
    let consumed = ok(
        &agent,
        json!({"step": "scan", "code": "L:L-RUSTY", "quantity": "3", "unit": "kg"}),
    )
    .await;
    assert_eq!(consumed["message"], "Consumed 3 kg of STEEL lot L-RUSTY");

    rig.hub.start().await.expect("hub restarts");
    let expected = [
        "worker_clocked_in",
        "operation_started",
        "scan_rejected",
        "material_consumed",
    ];
    let events = wait_for_station_events(&rig.hub.db_path(), expected.len()).await;
    assert_eq!(kinds(&events), expected);
    assert_eq!(
        events[2]["data"],
        json!({"station": STATION, "code": "L:L-ACME",
               "reason": "L-ACME: maker ACME not approved for STEEL for customer BOSCH"})
    );
    assert_eq!(events[3]["data"]["lot"], "L-RUSTY");
    assert_eq!(events[3]["data"]["run"]["order"], "PO-3");
}

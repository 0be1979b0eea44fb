//! The floor never waits for the cloud: with the hub stopped (and the agent
//! restarted in between), a full station flow is accepted from the cached
//! master data; when the hub is back every event arrives exactly once, in
//! order, with the times the steps happened.

use mes_tests::stations::*;
use mes_tests::{binaries, start_rig};
use serde_json::{Value, json};
use std::collections::HashSet;

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn millis(event: &Value) -> i64 {
    let text = event["occurred_at"].as_str().expect("occurred_at");
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).expect("RFC 3339");
    (parsed.unix_timestamp_nanos() / 1_000_000) as i64
}

async fn ok(agent: &str, step: Value) -> Value {
    let answer = station_step(agent, step.clone()).await.expect("station answers");
    assert_eq!(answer["ok"], true, "{step} was rejected: {}", answer["message"]);
    answer
}

#[tokio::test]
async fn station_flow_works_offline_and_arrives_exactly_once() {
    let mut rig = start_rig(&binaries!(), &station_toml(None))
        .await
        .expect("rig starts");
    seed_master_data(&rig.hub.url(), &rig.creds.api_token)
        .await
        .expect("master data");
    wait_for_master_data(&rig.agent.url()).await;

    rig.hub.stop();
    let started = now_ms();
    let agent = rig.agent.url();
    ok(&agent, json!({"step": "scan", "code": "B-0001"})).await;
    ok(&agent, json!({"step": "scan", "code": "PO:PO-1"})).await;

    // A restart while offline: the cache and the running operation survive.
    rig.agent.stop();
    rig.agent.start().await.expect("agent restarts");
    let agent = rig.agent.url();
    let state = wait_for_master_data(&agent).await;
    assert_eq!(
        state["run"]["order"], "PO-1",
        "the running operation survived the restart"
    );
    assert_eq!(
        state["workers"][0]["code"], "W1",
        "the clocked-in worker survived the restart"
    );

    ok(&agent, json!({"step": "scan", "code": "L:L-1"})).await;
    ok(
        &agent,
        json!({"step": "scan", "code": "L:L-2", "quantity": "2", "unit": "sheet"}),
    )
    .await;
    let rejected = station_step(&agent, json!({"step": "scan", "code": "L:L-OLD"}))
        .await
        .expect("answer");
    assert_eq!(rejected["message"], "Lot L-OLD of STEEL expired on 2020-01-01");
    ok(&agent, json!({"step": "pause", "reason": "BREAK"})).await;
    ok(&agent, json!({"step": "resume"})).await;
    let output = ok(
        &agent,
        json!({"step": "output", "good": "95", "scrap": "5", "scrap_reason": "BURR"}),
    )
    .await;
    assert_eq!(output["output_lot"], "PO-1-10-1");
    ok(&agent, json!({"step": "downtime", "reason": "JAM"})).await;
    ok(&agent, json!({"step": "finish"})).await;
    ok(&agent, json!({"step": "scan", "code": "B-0001"})).await;
    let finished = now_ms();

    rig.hub.start().await.expect("hub restarts");
    let expected = [
        "worker_clocked_in",
        "operation_started",
        "material_consumed",
        "material_consumed",
        "scan_rejected",
        "operation_paused",
        "operation_resumed",
        "output_reported",
        "downtime_reason_assigned",
        "operation_finished",
        "worker_clocked_out",
    ];
    let events = wait_for_station_events(&rig.hub.db_path(), expected.len()).await;
    assert_eq!(kinds(&events), expected);

    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), events.len(), "every event once");
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().expect("seq")).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in buffer order: {seqs:?}");
    let times: Vec<i64> = events.iter().map(millis).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "times in step order: {times:?}"
    );
    assert!(
        times[0] >= started && times[times.len() - 1] <= finished,
        "occurred_at is when the step happened (offline), not when it arrived"
    );
    let execution = &events[1]["data"]["run"]["execution"];
    assert!(
        events[1..10]
            .iter()
            .filter(|e| e["data"].get("run").is_some())
            .all(|e| e["data"]["run"]["execution"] == *execution)
    );
    assert_eq!(
        events[3]["data"]["quantity"],
        json!({"value": "2", "unit": "sheet"})
    );
    assert_eq!(events[7]["data"]["scrap_reason"], "BURR");

    // Nothing more arrives later (no duplicates after the retries).
    let again = wait_for_station_events(&rig.hub.db_path(), expected.len()).await;
    assert_eq!(again.len(), expected.len());
}

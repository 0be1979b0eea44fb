//! An agent outage is visible in the hub's machine timeline (issue 13): a
//! real agent polling a simulated PLC over Modbus TCP is killed with
//! SIGKILL and started again after a gap; the hub's
//! `GET /api/v1/equipment/{code}/timeline` then shows that gap as
//! `agent_down` instead of stretching the machine's last state over it,
//! and the stop's downtime leaves it out.

use mes_tests::modbus::{quiet_simulator, status_word_device};
use mes_tests::{binaries, eventually, hub_events, start_rig};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long the agent stays down.
const GAP: Duration = Duration::from_secs(4);
/// The agent's heartbeat interval; an outage starts at most this long
/// after its `from`.
const HEARTBEAT_MS: i64 = 1000;

fn config(sim: &str) -> String {
    let liveness = "[liveness]\nheartbeat_secs = 1\noutage_after_secs = 2\n";
    format!(
        "{liveness}{}",
        status_word_device(sim, 1, "sim-01", ["state", "fault_code"], 0)
    )
}

fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since.as_millis()).expect("milliseconds fit i64")
}

/// Creates equipment `sim-01` at site plant-1 in the hub's master data.
async fn add_equipment(hub: &str, token: &str) {
    let client = reqwest::Client::new();
    for (path, body) in [
        ("equipment-types", json!({"code": "PRESS", "name": "Press"})),
        (
            "equipment",
            json!({"code": "sim-01", "name": "Press 1", "equipment_type": "PRESS", "site": "plant-1"}),
        ),
    ] {
        let response = client
            .post(format!("{hub}/api/v1/{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("the hub answers");
        assert!(
            response.status().is_success(),
            "POST {path}: {}",
            response.status()
        );
    }
}

/// `GET /api/v1/equipment/sim-01/{what}` over the last ten minutes.
async fn intervals(hub: &str, token: &str, what: &str) -> Option<Vec<Value>> {
    let from = mes_protocols::Timestamp::from_unix_millis(now_ms() - 600_000).to_string();
    let body: Value = reqwest::Client::new()
        .get(format!("{hub}/api/v1/equipment/sim-01/{what}"))
        .query(&[("from", from)])
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body["items"].as_array().cloned()
}

/// The agent's last heartbeat (unix ms) in its buffer file.
fn heartbeat(buffer: &std::path::Path) -> Option<i64> {
    let conn =
        rusqlite::Connection::open_with_flags(buffer, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    let value: String = conn
        .query_row(
            "SELECT value FROM agent_state WHERE key = 'agent/heartbeat'",
            [],
            |r| r.get(0),
        )
        .ok()?;
    value.parse().ok()
}

fn ms(v: &Value) -> i64 {
    v.as_i64().expect("an instant in unix ms")
}

#[tokio::test]
async fn an_agent_killed_and_restarted_after_a_gap_shows_agent_down_in_the_timeline() {
    let sim = quiet_simulator(1).await;
    // A long stop: the machine is down before, during and after the gap.
    sim.force_fault("sim-01", 205).expect("fault");
    let mut rig = start_rig(&binaries!(), &config(&sim.local_addr().to_string()))
        .await
        .expect("hub and agent start");
    let (hub, token, db) = (rig.hub.url(), rig.creds.api_token.clone(), rig.hub.db_path());
    add_equipment(&hub, &token).await;
    eventually("sim-01 down at the hub", Duration::from_secs(30), || {
        let down = hub_events(&db)
            .iter()
            .any(|(k, d)| k == "equipment_state_changed" && d["state"] == "down");
        async move { down.then_some(()) }
    })
    .await;

    // The kill comes after a heartbeat recorded once the stop was seen,
    // so the timeline has a stretch of the stop before the outage.
    let seen = now_ms();
    let buffer = rig.agent.buffer_path();
    eventually(
        "a heartbeat after the stop was seen",
        Duration::from_secs(10),
        || {
            let beat = heartbeat(&buffer);
            async move { beat.filter(|b| *b > seen).map(|_| ()) }
        },
    )
    .await;
    let killed = now_ms();
    rig.agent.kill9();
    // The outage itself: the agent stays down this long.
    tokio::time::sleep(GAP).await;
    let starting = now_ms();
    rig.agent.start().await.expect("the agent starts again");
    let started = now_ms();

    let items = eventually("agent_down in the timeline", Duration::from_secs(30), || async {
        let items = intervals(&hub, &token, "timeline").await?;
        items.iter().any(|i| i["state"] == "agent_down").then_some(items)
    })
    .await;
    let at = items
        .iter()
        .position(|i| i["state"] == "agent_down")
        .expect("found above");
    let outage = &items[at];
    let (from, to) = (ms(&outage["from"]), ms(&outage["to"]));
    assert!(
        (killed - HEARTBEAT_MS - 1000..=killed).contains(&from),
        "the outage starts at the last heartbeat before the kill ({killed}): {outage}"
    );
    assert!(
        (starting..=started).contains(&to),
        "the outage ends when the agent started again ({starting}..{started}): {outage}"
    );
    let before = &items[at.checked_sub(1).expect("a state before the outage")];
    assert_eq!(
        (&before["state"], &before["reason"]),
        (&json!("down"), &json!("205"))
    );
    assert_eq!(
        ms(&before["to"]),
        from,
        "the stop is not stretched over the outage"
    );
    assert!(ms(&before["from"]) < from, "{before}");
    let after = items.get(at + 1).expect("a state after the outage");
    assert_eq!(
        (&after["state"], &after["reason"]),
        (&json!("down"), &json!("205"))
    );
    assert_eq!(ms(&after["from"]), to, "the state goes on after the outage");

    let down = intervals(&hub, &token, "downtime").await.expect("downtime");
    assert!(
        down.iter()
            .all(|i| i["state"] == "down" && (ms(&i["to"]) <= from || ms(&i["from"]) >= to)),
        "agent_down is not downtime: {down:?}"
    );
    sim.shutdown().await;
}

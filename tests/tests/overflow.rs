//! A full buffer under `drop_oldest_telemetry`: old process samples are
//! dropped, state events never; the hub is told which numbers were dropped
//! and how many, and stores everything else exactly once.

use mes_tests::{AgentProcess, Binaries, HubProcess, eventually, hub_event_ids, post_events};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

fn sample(n: u64) -> serde_json::Value {
    json!({
        "id": Uuid::now_v7(),
        "source": { "type": "device", "id": "oven-1" },
        "kind": "process_value_sampled",
        "data": { "equipment": "oven-1", "tag": format!("zone_{}_temperature_with_a_long_tag_name", n % 10), "value": 180.5, "unit": "degC" }
    })
}

fn state(id: Uuid) -> serde_json::Value {
    json!({
        "id": id,
        "source": { "type": "device", "id": "oven-1" },
        "kind": "equipment_state_changed",
        "data": { "equipment": "oven-1", "state": "running" }
    })
}

#[tokio::test]
async fn full_buffer_drops_samples_reports_them_and_keeps_state_events() {
    let bins = Binaries {
        hub: env!("CARGO_BIN_EXE_hub").into(),
        agent: env!("CARGO_BIN_EXE_agent").into(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hub = HubProcess::new(&bins.hub, dir.path()).expect("hub");
    let creds = hub.provision("acme", "plant-1").expect("provision");
    let agent_dir = dir.path().join("agent");
    std::fs::create_dir_all(&agent_dir).expect("dir");
    let extra = "max_size_mb = 1\noverflow_policy = \"drop_oldest_telemetry\"\n";
    // The [buffer] table is already open in the generated file: append keys to it.
    let mut agent = AgentProcess::new(&bins.agent, &agent_dir, &hub.url(), &creds, "").expect("agent");
    let config = agent_dir.join("agent.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, text.replace("[http]", &format!("{extra}[http]"))).expect("config");
    agent.start().await.expect("agent starts with the hub down");

    let client = reqwest::Client::new();
    let state_ids: Vec<Uuid> = (0..100).map(|_| Uuid::now_v7()).collect();
    let mut committed = Vec::new();
    for chunk in 0..20u64 {
        let mut events: Vec<_> = (0..500).map(|i| sample(chunk * 500 + i)).collect();
        events.extend(
            state_ids[chunk as usize * 5..chunk as usize * 5 + 5]
                .iter()
                .map(|id| state(*id)),
        );
        committed.extend(
            post_events(&client, &agent.url(), events)
                .await
                .expect("agent accepts"),
        );
    }
    let health = agent.health().await.expect("health");
    let dropped = health["buffer"]["dropped_total"].as_u64().expect("dropped_total");
    assert!(dropped > 0, "a 1 MiB buffer cannot hold 10,000 samples: {health}");

    hub.start().await.expect("hub starts");
    let agent_url = agent.url();
    eventually("agent buffer drained", Duration::from_secs(60), || {
        let url = agent_url.clone();
        async move {
            let h: serde_json::Value = reqwest::get(format!("{url}/healthz"))
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (h["buffer"]["depth"] == 0 && h["buffer"]["acked_seq"] == h["buffer"]["last_seq"]).then_some(())
        }
    })
    .await;

    let stored = hub_event_ids(&hub.db_path()).expect("hub db");
    assert!(
        state_ids.iter().all(|id| stored.get(id) == Some(&1)),
        "every state event arrives exactly once"
    );
    assert!(stored.values().all(|n| *n == 1));
    let health = agent.health().await.expect("health");
    let dropped = health["buffer"]["dropped_total"].as_u64().expect("dropped_total");
    let refused = health["buffer"]["refused_total"].as_u64().expect("refused_total");
    assert_eq!(
        stored.len() as u64,
        committed.len() as u64 - dropped,
        "stored = committed - dropped"
    );
    assert_eq!(
        committed.len() as u64 + refused,
        10_100,
        "every posted event was committed or refused"
    );

    let list: serde_json::Value = client
        .get(format!("{}/api/v1/agents", hub.url()))
        .bearer_auth(&creds.api_token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(
        list["items"][0]["reported_dropped"].as_u64(),
        Some(dropped),
        "{list}"
    );
}

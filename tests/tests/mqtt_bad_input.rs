//! Strict types for MQTT payloads (issue 13): a real agent subscribed to a
//! real broker gets counts and states of the wrong type, and a message for
//! a device no equipment uses; none becomes an event, each is counted by
//! device and reason. Skipped, with the reason printed, when no broker
//! answers.

use mes_tests::mqtt::{MqttRig, agent_mqtt_section, publisher, start_mqtt_rig};
use mes_tests::{binaries, eventually, hub_events};
use rumqttc::QoS;
use std::path::Path;
use std::time::Duration;

fn agent_config(broker: &str, prefix: &str) -> String {
    let mqtt = agent_mqtt_section(broker, prefix);
    format!(
        r#"{mqtt}
[[mqtt.subscriptions]]
topic = "{prefix}/+machine/state"
device = "{{machine}}"
payload = "json"
fields = {{ state = "state", fault_code = "fault_code?" }}
[[mqtt.subscriptions]]
topic = "{prefix}/+machine/count"
device = "{{machine}}"
payload = "json"
fields = {{ parts = "parts" }}

[[equipment]]
name = "m1"
device = "m1"
offline_after_secs = 0
states = [
  {{ state = "down", tag = "state", op = "eq", text = "down", reason_tag = "fault_code" }},
  {{ state = "running", tag = "state", op = "eq", text = "running" }},
]
counters = {{ good = {{ tag = "parts", mode = "per_message" }} }}
"#
    )
}

/// `state:reason` of every state event of m1, and the good parts of every
/// parts event, at the hub.
fn m1_events(db: &Path) -> (Vec<String>, Vec<u64>) {
    let events = hub_events(db);
    let states = events
        .iter()
        .filter(|(k, d)| k == "equipment_state_changed" && d["equipment"] == "m1")
        .map(|(_, d)| {
            format!(
                "{}:{}",
                d["state"].as_str().unwrap_or(""),
                d["reason"].as_str().unwrap_or("")
            )
        })
        .collect();
    let parts = events
        .iter()
        .filter(|(k, d)| k == "parts_counted" && d["equipment"] == "m1")
        .map(|(_, d)| d["good"].as_u64().unwrap_or(0))
        .collect();
    (states, parts)
}

/// The bad-input counter of `device` for `reason` (0 when absent).
fn bad_inputs(metrics: &str, device: &str, reason: &str) -> f64 {
    let series = format!("mes_agent_source_bad_inputs_total{{device=\"{device}\",reason=\"{reason}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&series)?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn counts_and_states_of_the_wrong_type_and_unconfigured_devices_are_counted_not_events() {
    let Some(MqttRig { rig, broker, prefix }) = start_mqtt_rig(&binaries!(), agent_config).await else {
        return;
    };
    let db = rig.hub.db_path();
    let client = publisher(&broker, &prefix);
    let state = format!("{prefix}/m1/state");
    let count = format!("{prefix}/m1/count");

    // Until the agent has subscribed, messages are lost: repeat "running"
    // until m1 runs (repeats are no change, so no further event).
    eventually("m1 running", Duration::from_secs(30), || {
        let (client, state, agent) = (client.clone(), state.clone(), &rig.agent);
        async move {
            client
                .publish(state, QoS::AtLeastOnce, false, r#"{"state":"running"}"#)
                .await
                .ok()?;
            let health = agent.health().await.ok()?;
            (health["equipment"]["m1"]["state"] == "running").then_some(())
        }
    })
    .await;

    let bad_counts = [
        r#"{"parts":"three"}"#,
        r#"{"parts":"-4"}"#,
        r#"{"parts":""}"#,
        r#"{"parts":true}"#,
        r#"{"parts":-2}"#,
        r#"{"parts":2.5}"#,
        r#"{"parts":1e12}"#,
        r#"{"parts":10001}"#,
    ];
    let mut messages: Vec<(String, &str)> = bad_counts.iter().map(|p| (count.clone(), *p)).collect();
    messages.push((count.clone(), r#"{"parts":3}"#));
    messages.push((state.clone(), r#"{"state":5}"#));
    messages.push((state.clone(), r#"{"state":"runing"}"#));
    messages.push((format!("{prefix}/ghost/count"), r#"{"parts":1}"#));
    // The last one marks the end: everything before it was handled first.
    messages.push((state.clone(), r#"{"state":"down","fault_code":7}"#));
    for (topic, payload) in messages {
        client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .expect("queued");
    }

    eventually("m1 down:7 at the hub", Duration::from_secs(30), || {
        let last = m1_events(&db).0.last().cloned();
        async move { (last.as_deref() == Some("down:7")).then_some(()) }
    })
    .await;
    let (states, parts) = m1_events(&db);
    assert_eq!(states, ["running:", "down:7"], "no state from 5 or \"runing\"");
    assert_eq!(parts, [3], "only the well-typed count is parts");

    let metrics = reqwest::get(format!("{}/metrics", rig.agent.url()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert_eq!(bad_inputs(&metrics, "m1", "count"), 8.0, "{metrics}");
    assert_eq!(bad_inputs(&metrics, "m1", "state"), 2.0, "{metrics}");
    assert_eq!(bad_inputs(&metrics, "ghost", "no_equipment"), 1.0, "{metrics}");
    let log = std::fs::read_to_string(rig.dir.path().join("agent").join("agent.log")).expect("agent log");
    assert!(
        log.lines()
            .any(|l| l.contains(&count) && l.contains("1e12") && l.contains("bad input")),
        "the log names the topic and shows the payload"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("ghost") && l.contains("no equipment")),
        "the unconfigured device is logged"
    );
}

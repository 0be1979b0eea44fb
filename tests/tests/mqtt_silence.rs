//! Liveness of MQTT machines over a real broker (issue 13): an equipment
//! goes `offline` when its device's messages stop for
//! `offline_after_secs`, and back to its state when they resume; a device
//! that keeps sending the same values stays in its state, even when its
//! own clock (the `ts` it sends) runs minutes behind the agent's. Skipped,
//! with the reason printed, when no broker answers.

use mes_tests::mqtt::{MqttRig, agent_mqtt_section, publisher, start_mqtt_rig};
use mes_tests::stations::hub_raw_events;
use mes_tests::{binaries, eventually};
use rumqttc::{AsyncClient, QoS};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How far behind the agent the devices' clocks are, ms.
const DEVICE_CLOCK_BEHIND_MS: i64 = 120_000;
/// The equipment's `offline_after_secs`.
const OFFLINE_AFTER: Duration = Duration::from_secs(2);

fn agent_config(broker: &str, prefix: &str) -> String {
    let mqtt = agent_mqtt_section(broker, prefix);
    let equipment = |name: &str| {
        format!(
            r#"
[[equipment]]
name = "{name}"
device = "{name}"
offline_after_secs = {}
states = [
  {{ state = "running", tag = "state", op = "eq", text = "running" }},
  {{ state = "down", tag = "state", op = "eq", text = "down" }},
]
"#,
            OFFLINE_AFTER.as_secs()
        )
    };
    format!(
        r#"{mqtt}
[[mqtt.subscriptions]]
topic = "{prefix}/+machine/state"
device = "{{machine}}"
payload = "json"
fields = {{ state = "state" }}
timestamp = "ts"
{}{}"#,
        equipment("quiet"),
        equipment("steady")
    )
}

/// Publishes "running" for `device`, stamped by a device clock that runs
/// [`DEVICE_CLOCK_BEHIND_MS`] behind.
async fn publish_running(client: &AsyncClient, prefix: &str, device: &str) -> Option<()> {
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_millis(),
    )
    .ok()?;
    let payload = format!(r#"{{"state":"running","ts":{}}}"#, now - DEVICE_CLOCK_BEHIND_MS);
    client
        .publish(
            format!("{prefix}/{device}/state"),
            QoS::AtLeastOnce,
            false,
            payload,
        )
        .await
        .ok()
}

/// An equipment's state on the agent's `/healthz`.
async fn agent_state(agent: &mes_tests::AgentProcess, equipment: &str) -> Option<String> {
    let health = agent.health().await.ok()?;
    health["equipment"][equipment]["state"]
        .as_str()
        .map(str::to_string)
}

/// `(state, occurred_at)` of every state event of `equipment` at the hub,
/// in arrival order.
fn hub_states(db: &Path, equipment: &str) -> Vec<(String, String)> {
    hub_raw_events(db)
        .iter()
        .filter(|e| e["kind"] == "equipment_state_changed" && e["data"]["equipment"] == equipment)
        .map(|e| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (text(&e["data"]["state"]), text(&e["occurred_at"]))
        })
        .collect()
}

fn names(states: &[(String, String)]) -> Vec<&str> {
    states.iter().map(|(s, _)| s.as_str()).collect()
}

#[tokio::test]
async fn silence_makes_an_mqtt_machine_offline_and_messages_bring_it_back_while_a_chatty_one_stays() {
    let Some(MqttRig { rig, broker, prefix }) = start_mqtt_rig(&binaries!(), agent_config).await else {
        return;
    };
    let agent = &rig.agent;
    let client = publisher(&broker, &prefix);

    // `steady` sends the same values four times a second, all test long.
    let sending = Arc::new(AtomicBool::new(true));
    let steady = {
        let (client, prefix, sending) = (client.clone(), prefix.clone(), sending.clone());
        tokio::spawn(async move {
            while sending.load(Ordering::Relaxed) {
                let _ = publish_running(&client, &prefix, "steady").await;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };

    // Until the agent has subscribed, messages are lost: repeat until both
    // run. The last message of `quiet` is the last one before its silence.
    let mut last_quiet = Instant::now();
    eventually("quiet and steady running", Duration::from_secs(30), || {
        last_quiet = Instant::now();
        let client = client.clone();
        let prefix = prefix.clone();
        async move {
            publish_running(&client, &prefix, "quiet").await?;
            let both = (
                agent_state(agent, "quiet").await?,
                agent_state(agent, "steady").await?,
            );
            (both == ("running".into(), "running".into())).then_some(())
        }
    })
    .await;

    eventually(
        "quiet offline after its silence",
        Duration::from_secs(15),
        || async { (agent_state(agent, "quiet").await? == "offline").then_some(()) },
    )
    .await;
    let silent_for = last_quiet.elapsed();
    assert!(
        silent_for >= OFFLINE_AFTER,
        "offline only after {OFFLINE_AFTER:?} of silence, not after {silent_for:?}"
    );
    assert_eq!(
        agent_state(agent, "steady").await.as_deref(),
        Some("running"),
        "steady kept talking through quiet's silence"
    );

    eventually(
        "quiet running again when it speaks",
        Duration::from_secs(15),
        || {
            let client = client.clone();
            let prefix = prefix.clone();
            async move {
                publish_running(&client, &prefix, "quiet").await?;
                (agent_state(agent, "quiet").await? == "running").then_some(())
            }
        },
    )
    .await;
    sending.store(false, Ordering::Relaxed);
    steady.await.expect("the steady publisher ends");

    let db = rig.hub.db_path();
    let quiet = eventually("quiet's three states at the hub", Duration::from_secs(30), || {
        let states = hub_states(&db, "quiet");
        async move { (states.len() >= 3).then_some(states) }
    })
    .await;
    assert_eq!(names(&quiet), ["running", "offline", "running"]);
    let times: Vec<&str> = quiet.iter().map(|(_, at)| at.as_str()).collect();
    assert!(
        times.is_sorted(),
        "each state dated no earlier than the one it ends, whatever the device's clock: {times:?}"
    );
    // The agent syncs in order, so steady's events before quiet's last are here.
    assert_eq!(
        names(&hub_states(&db, "steady")),
        ["running"],
        "a device that keeps sending is never offline"
    );
}

//! Machine data over a real MQTT broker: the simulator publishes machine
//! messages (with some deliberately malformed ones), a real agent subscribes
//! and maps them, and the hub receives equipment states and part counts.
//! Skipped, with the reason printed, when no broker answers.

use machine_sim::config::MqttConfig;
use machine_sim::{SimConfig, Simulator};
use mes_tests::mqtt::{MqttRig, agent_mqtt_section, start_mqtt_rig};
use mes_tests::{binaries, eventually, hub_events};
use std::time::Duration;

fn agent_config(broker: &str, prefix: &str) -> String {
    let mqtt = agent_mqtt_section(broker, prefix);
    format!(
        r#"{mqtt}
[[mqtt.subscriptions]]
topic = "{prefix}/+line/+machine/state"
device = "{{machine}}"
payload = "json"
fields = {{ state = "state", fault_code = "fault_code?" }}
timestamp = "ts"
[[mqtt.subscriptions]]
topic = "{prefix}/+line/+machine/count"
device = "{{machine}}"
payload = "json"
fields = {{ good = "good?", scrap = "scrap?" }}
timestamp = "ts"
[[mqtt.subscriptions]]
topic = "{prefix}/+line/+machine/temperature"
device = "{{machine}}"
payload = "value"
tag = "temperature"

[[equipment]]
name = "sim-01"
device = "sim-01"
offline_after_secs = 0
values = ["temperature"]
states = [
  {{ state = "down", tag = "state", op = "eq", text = "down", reason_tag = "fault_code" }},
  {{ state = "setup", tag = "state", op = "eq", text = "setup" }},
  {{ state = "running", tag = "state", op = "eq", text = "running" }},
  {{ state = "idle", tag = "state", op = "eq", text = "idle" }},
]
counters = {{ good = {{ tag = "good", mode = "per_message" }}, scrap = {{ tag = "scrap", mode = "per_message" }} }}
"#
    )
}

/// Publishes a malformed probe message on a subscribed topic until the agent
/// counts it: from then on its subscriptions are active.
async fn wait_until_subscribed(broker: &str, prefix: &str, agent_url: &str) {
    let (host, port) = broker.rsplit_once(':').expect("host:port");
    let mut options = rumqttc::MqttOptions::new(format!("probe-{prefix}"), host, port.parse().expect("port"));
    options.set_keep_alive(Duration::from_secs(10));
    let (client, mut events) = rumqttc::AsyncClient::new(options, 100);
    let poller = tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let topic = format!("{prefix}/line-0/probe/state");
    eventually(
        "the agent's subscriptions to be active",
        Duration::from_secs(20),
        || {
            let client = client.clone();
            let topic = topic.clone();
            let url = agent_url.to_string();
            async move {
                client
                    .publish(topic, rumqttc::QoS::AtMostOnce, false, "not json")
                    .await
                    .ok()?;
                let metrics = reqwest::get(format!("{url}/metrics"))
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                metrics
                    .contains("mes_agent_source_bad_inputs_total{device=\"probe\",reason=\"payload\"}")
                    .then_some(())
            }
        },
    )
    .await;
    let _ = client.disconnect().await;
    poller.abort();
}

#[tokio::test]
async fn published_machine_messages_become_events_and_malformed_ones_are_counted() {
    let Some(MqttRig { rig, broker, prefix }) = start_mqtt_rig(&binaries!(), agent_config).await else {
        return;
    };
    let (hub, agent) = (&rig.hub, &rig.agent);
    wait_until_subscribed(&broker, &prefix, &agent.url()).await;

    let mut config = SimConfig::with_machines(1, "127.0.0.1:0");
    config.start_paused = true;
    config.behaviour.stops_per_hour = Some(0.0);
    config.behaviour.faults_per_hour = Some(0.0);
    config.behaviour.setups_per_hour = Some(0.0);
    config.behaviour.scrap_rate = Some(0.0);
    config.behaviour.cycle_time_ms = Some(1000);
    config.mqtt = Some(MqttConfig {
        broker: broker.clone(),
        client_id: None,
        topic_prefix: prefix.clone(),
        qos: 1,
        retain_state: false,
        process_interval_ms: 1000,
        malformed_rate: 0.3,
        keep_alive_secs: 30,
        queue: 10_000,
    });
    let sim = Simulator::start(config).await.expect("simulator");
    sim.force_fault("sim-01", 205).expect("fault");
    sim.release("sim-01").expect("run");
    sim.step(100); // 10 s: ten parts
    let made = sim.status("sim-01").expect("status").good_total;
    assert_eq!(made, 10);

    let db = hub.db_path();
    let summary = eventually("states and ten parts at the hub", Duration::from_secs(30), || {
        let events = hub_events(&db);
        async move {
            let states: Vec<String> = events
                .iter()
                .filter(|(k, _)| k == "equipment_state_changed")
                .map(|(_, d)| {
                    format!(
                        "{}:{}",
                        d["state"].as_str().unwrap_or(""),
                        d["reason"].as_str().unwrap_or("")
                    )
                })
                .collect();
            let good: u64 = events
                .iter()
                .filter(|(k, _)| k == "parts_counted")
                .map(|(_, d)| d["good"].as_u64().unwrap_or(0))
                .sum();
            (good == made && states.ends_with(&["down:205".to_string(), "running:".to_string()]))
                .then_some((states, good))
        }
    })
    .await;
    assert_eq!(summary.1, 10, "every part counted once");

    let metrics = reqwest::get(format!("{}/metrics", agent.url()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let bad: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("mes_agent_source_bad_inputs_total{device=\"sim-01\","))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(
        bad > 0.0,
        "the simulator's malformed messages are counted: {metrics}"
    );
    assert!(sim.mqtt_stats().malformed > 0);
    assert!(
        sim.mqtt_stats().dropped == 0,
        "the simulator published everything"
    );
    sim.shutdown().await;
}

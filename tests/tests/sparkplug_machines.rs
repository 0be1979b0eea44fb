//! Sparkplug B against an independent edge node: pysparkplug (Python,
//! Google's protobuf classes of the Tahu proto) publishes births with
//! aliases, data by alias only, a `seq` gap and finally dies without a
//! DISCONNECT, so the broker delivers its will (NDEATH). A real agent
//! consumes the group as a host application; the hub receives the
//! equipment's states and parts. Skipped, with the reason printed, when no
//! broker answers or Python lacks pysparkplug.

use mes_tests::mqtt::{MqttRig, publisher, start_mqtt_rig};
use mes_tests::python::{Script, python_with, script};
use mes_tests::{binaries, eventually, hub_events};
use std::time::Duration;

fn agent_config(broker: &str, prefix: &str) -> String {
    format!(
        r#"
[sparkplug]
broker = "mqtt://{broker}"
client_id = "agent-{prefix}"
group_id = "{prefix}"
host_id = "mes-{prefix}"
rebirth_interval_ms = 500
reconnect_initial_ms = 100
reconnect_max_secs = 1

[[equipment]]
name = "press-1"
device = "n1/press"
offline_after_secs = 0
values = ["temp"]
states = [
  {{ state = "running", tag = "state", op = "eq", text = "running" }},
  {{ state = "idle", tag = "state", op = "other" }},
]
counters = {{ good = {{ tag = "good", width = 32 }} }}
"#
    )
}

async fn metric(agent_url: &str, line_start: &str) -> Option<u64> {
    let text = reqwest::get(format!("{agent_url}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

async fn agent_state(agent: &mes_tests::AgentProcess) -> Option<String> {
    let health = agent.health().await.ok()?;
    health["equipment"]["press-1"]["state"]
        .as_str()
        .map(str::to_string)
}

fn hub_good(db: &std::path::Path) -> u64 {
    hub_events(db)
        .iter()
        .filter(|(k, _)| k == "parts_counted")
        .map(|(_, d)| d["good"].as_u64().unwrap_or(0))
        .sum()
}

#[tokio::test]
async fn an_independent_edge_node_births_data_gap_rebirth_and_death_drive_the_equipment() {
    let Some(python) = python_with("pysparkplug") else {
        return;
    };
    let Some(MqttRig { rig, broker, prefix }) = start_mqtt_rig(&binaries!(), agent_config).await else {
        return;
    };
    let (hub, agent) = (&rig.hub, &rig.agent);
    let url = agent.url();

    // Subscribed once a junk message on the group's topics is counted.
    let probe = publisher(&broker, &prefix);
    eventually(
        "the agent's Sparkplug subscription",
        Duration::from_secs(20),
        || {
            let probe = probe.clone();
            let (topic, url) = (format!("spBv1.0/{prefix}/NDATA/probe"), url.clone());
            async move {
                probe
                    .publish(topic, rumqttc::QoS::AtMostOnce, false, vec![0xff, 0xff])
                    .await
                    .ok()?;
                (metric(&url, "mes_agent_sparkplug_messages_total").await? > 0).then_some(())
            }
        },
    )
    .await;

    let (host, port) = broker.rsplit_once(':').expect("host:port");
    let mut node = Script::start(
        &python,
        script("sparkplug_edge_node.py"),
        &[host, port, &prefix, "n1"],
    )
    .await
    .expect("the Python edge node starts");
    node.command("birth", "born").await.expect("births");
    eventually("idle from the DBIRTH", Duration::from_secs(20), || async {
        (agent_state(agent).await? == "idle").then_some(())
    })
    .await;

    node.command("data running 5 21.5", "sent").await.expect("data");
    eventually("running from DDATA by alias", Duration::from_secs(20), || async {
        (agent_state(agent).await? == "running").then_some(())
    })
    .await;

    // Three messages lost: the next one is read, and a rebirth requested.
    node.command("gap 3", "sent").await.expect("gap");
    node.command("data running 8 22.0", "sent").await.expect("data");
    node.expect("rebirth", Duration::from_secs(20))
        .await
        .expect("the agent asked the node for a rebirth");
    let requests = eventually("the rebirth request counted", Duration::from_secs(10), || {
        let url = url.clone();
        async move { metric(&url, "mes_agent_sparkplug_rebirth_requests_total{node=\"n1\"}").await }
    })
    .await;
    assert!(requests >= 1);
    assert!(
        metric(&url, "mes_agent_sparkplug_seq_gaps_total")
            .await
            .unwrap_or(0)
            >= 1
    );

    // The mapping is whole again: data by alias after the rebirth counts.
    let gaps_before = metric(&url, "mes_agent_sparkplug_seq_gaps_total").await;
    node.command("data running 10 22.5", "sent").await.expect("data");
    let db = hub.db_path();
    eventually("ten good parts at the hub", Duration::from_secs(30), || {
        let good = hub_good(&db);
        async move { (good == 10).then_some(()) }
    })
    .await;
    assert_eq!(
        metric(&url, "mes_agent_sparkplug_seq_gaps_total").await,
        gaps_before,
        "no gap after the rebirth: seq restarts with the birth"
    );

    // Gone without a DISCONNECT: the broker's will (NDEATH) makes it offline.
    node.send("exit").await.expect("exit");
    eventually(
        "offline from the will NDEATH",
        Duration::from_secs(20),
        || async { (agent_state(agent).await? == "offline").then_some(()) },
    )
    .await;
    let events = eventually(
        "the offline state and the link down at the hub",
        Duration::from_secs(30),
        || {
            let events = hub_events(&db);
            async move {
                let offline = events
                    .iter()
                    .any(|(k, d)| k == "equipment_state_changed" && d["state"] == "offline");
                let down = events.iter().any(|(k, d)| {
                    k == "device_communication_changed" && d["device"] == "n1/press" && d["state"] == "down"
                });
                (offline && down).then_some(events)
            }
        },
    )
    .await;
    let states: Vec<&str> = events
        .iter()
        .filter(|(k, _)| k == "equipment_state_changed")
        .filter_map(|(_, d)| d["state"].as_str())
        .collect();
    assert_eq!(states, ["idle", "running", "offline"]);
    let links: Vec<&str> = events
        .iter()
        .filter(|(k, d)| k == "device_communication_changed" && d["device"] == "n1/press")
        .filter_map(|(_, d)| d["state"].as_str())
        .collect();
    assert_eq!(
        links,
        ["up", "down"],
        "the rebirth of a live device is no link change"
    );
    assert_eq!(
        hub_good(&db),
        10,
        "every part counted once, through the gap and the rebirth"
    );
}

/// The agent's own edge node, read back by an independent client
/// (pysparkplug): births with every metric, data by alias resolved through
/// them, births again on an NCMD rebirth, seq in order from each NBIRTH.
#[tokio::test]
async fn the_agents_edge_node_is_read_back_by_an_independent_client() {
    let Some(python) = python_with("pysparkplug") else {
        return;
    };
    let config = |broker: &str, prefix: &str| {
        format!(
            "{}\n[sparkplug_node]\nbroker = \"mqtt://{broker}\"\nclient_id = \"node-{prefix}\"\n\
             group_id = \"{prefix}-mes\"\nedge_node_id = \"gw\"\npublish_interval_ms = 200\n",
            agent_config(broker, prefix)
        )
    };
    let Some(MqttRig { rig, broker, prefix }) = start_mqtt_rig(&binaries!(), config).await else {
        return;
    };
    let agent = &rig.agent;
    let (host, port) = broker.rsplit_once(':').expect("host:port");
    let group = format!("{prefix}-mes");
    let mut reader = Script::start(
        &python,
        script("sparkplug_reader.py"),
        &[host, port, &group, "gw"],
    )
    .await
    .expect("the Python Sparkplug client starts");
    let mut node = Script::start(
        &python,
        script("sparkplug_edge_node.py"),
        &[host, port, &prefix, "n1"],
    )
    .await
    .expect("the Python edge node starts");
    // The consumer may miss a birth published before it subscribed: it
    // then asks for a rebirth, so retrying the data is enough.
    node.command("birth", "born").await.expect("births");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while agent_state(agent).await.as_deref() != Some("running") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the machine never ran at the agent"
        );
        node.command("data running 5 21.5", "sent").await.expect("data");
        tokio::time::sleep(Duration::from_millis(100)).await; // poll interval within the deadline
    }

    // Births on request, with every metric; then data by alias.
    reader.command("rebirth", "sent").await.expect("rebirth request");
    let mut device = serde_json::Map::new();
    let mut last_seq: Option<u64> = None;
    let mut births = 0;
    let mut fed_nine = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no good = 9 from the agent's edge node; saw {device:?}"
        );
        if births > 0 && !fed_nine && device.get("good") == Some(&5.into()) {
            node.send("data running 9 22.5").await.expect("data");
            fed_nine = true;
        }
        let line = match reader.next_line(Duration::from_secs(3)).await {
            Ok(line) => line,
            // The request may have gone out before the node subscribed to
            // its commands: ask again.
            Err(_) if births == 0 => {
                reader.command("rebirth", "sent").await.expect("rebirth request");
                continue;
            }
            Err(e) => panic!("no message from the agent's edge node: {e}"),
        };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["node"] != "gw" || message["type"] == "NCMD" {
            continue;
        }
        let seq = message["seq"].as_u64();
        match message["type"].as_str() {
            Some("NBIRTH") => {
                assert_eq!(seq, Some(0), "NBIRTH has seq 0");
                assert!(message["metrics"]["bdSeq"].is_u64(), "{message}");
                assert_eq!(message["metrics"]["Node Control/Rebirth"], false);
                births += 1;
            }
            Some(kind) => {
                if let Some(last) = last_seq {
                    assert_eq!(seq, Some((last + 1) % 256), "seq in order: {message}");
                }
                if kind == "DBIRTH" && message["device"] == "press-1" {
                    let metrics = message["metrics"].as_object().expect("metrics");
                    for name in ["state", "reason", "good", "scrap", "values/temp"] {
                        assert!(metrics.contains_key(name), "DBIRTH without {name}: {message}");
                    }
                }
            }
            None => continue,
        }
        last_seq = seq;
        if message["device"] == "press-1" {
            for (name, value) in message["metrics"].as_object().expect("metrics") {
                device.insert(name.clone(), value.clone());
            }
        }
        if births > 0 && device.get("good") == Some(&9.into()) {
            break;
        }
    }
    assert_eq!(device["state"], "running");
    assert_eq!(device["values/temp"], 22.5);
    assert_eq!(device["scrap"], 0);
}

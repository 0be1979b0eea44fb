//! The simulator's Sparkplug B edge node, read back by an independent
//! client (pysparkplug, Python): births with every metric on a rebirth
//! request, then data by alias that pysparkplug resolves through them,
//! `seq` in order from the NBIRTH, and part totals equal to the
//! simulator's own. Then the real agent consumes the same node as a host
//! application and counts the same parts. Skipped, with the reason printed,
//! without a broker (`MES_TEST_MQTT`) or pysparkplug.

use machine_sim::config::SparkplugConfig;
use machine_sim::{SimConfig, SimHandle, Simulator};
use mes_tests::mqtt::broker;
use mes_tests::python::{Script, python_with, script};
use mes_tests::{binaries, eventually, service_reachable, start_rig};
use std::collections::BTreeMap;
use std::time::Duration;

/// Two machines, clock paused, publishing to `broker` as node `sim` of
/// `group`.
async fn simulator(broker: &str, group: &str) -> SimHandle {
    let mut config = SimConfig::with_machines(2, "127.0.0.1:0");
    config.start_paused = true;
    config.sparkplug = Some(SparkplugConfig {
        broker: broker.to_string(),
        group_id: group.to_string(),
        edge_node_id: "sim".into(),
        process_interval_ms: 10_000,
        ..SparkplugConfig::default()
    });
    Simulator::start(config).await.expect("the simulator starts")
}

#[tokio::test]
async fn the_simulators_edge_node_is_read_back_by_an_independent_client() {
    let broker = broker();
    if !service_reachable(&broker) {
        eprintln!("skipped: no MQTT broker at {broker} (set MES_TEST_MQTT)");
        return;
    }
    let Some(python) = python_with("pysparkplug") else {
        return;
    };
    let group = format!("sim{}", uuid::Uuid::now_v7().simple());
    let (host, port) = broker.rsplit_once(':').expect("host:port");
    let mut reader = Script::start(
        &python,
        script("sparkplug_reader.py"),
        &[host, port, &group, "sim"],
    )
    .await
    .expect("the Python Sparkplug client starts");
    let sim = simulator(&broker, &group).await;
    let machine = sim.machines()[0].name.clone();

    // Births on request (asked again until they come: the request may
    // precede the node's NCMD subscription), every metric named.
    let mut births = BTreeMap::new();
    let mut last_seq: Option<u64> = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while births.len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no births; saw {births:?}"
        );
        let line = match reader.next_line(Duration::from_secs(2)).await {
            Ok(line) => line,
            Err(_) => {
                reader.command("rebirth", "sent").await.expect("rebirth request");
                continue;
            }
        };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let seq = message["seq"].as_u64();
        match message["type"].as_str() {
            Some("NBIRTH") => {
                assert_eq!(seq, Some(0), "{message}");
                assert!(message["metrics"]["bdSeq"].is_u64(), "{message}");
                births.clear();
                births.insert("node".to_string(), message);
            }
            Some("DBIRTH") if !births.is_empty() => {
                assert_eq!(seq, last_seq.map(|s| (s + 1) % 256), "seq in order: {message}");
                let metrics = message["metrics"].as_object().expect("metrics");
                for name in [
                    "state",
                    "fault_code",
                    "good",
                    "scrap",
                    "temperature",
                    "spindle_speed",
                ] {
                    assert!(metrics.contains_key(name), "DBIRTH without {name}: {message}");
                }
                let device = message["device"].as_str().unwrap_or_default().to_string();
                births.insert(device, message);
            }
            _ => continue,
        }
        last_seq = seq;
    }
    assert_eq!(births[&machine]["metrics"]["state"], "running");

    // Twenty simulated minutes: parts and process values by alias, resolved
    // by pysparkplug through the births, seq in order.
    sim.step(12_000);
    let want = sim.status(&machine).expect("status");
    let mut good = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while good < want.good_total {
        assert!(
            tokio::time::Instant::now() < deadline,
            "good {good} of {} by DDATA",
            want.good_total
        );
        let line = reader.next_line(Duration::from_secs(10)).await.expect("DDATA");
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["type"] != "DDATA" {
            continue;
        }
        let seq = message["seq"].as_u64();
        assert_eq!(seq, last_seq.map(|s| (s + 1) % 256), "seq in order: {message}");
        last_seq = seq;
        if message["device"] == machine.as_str()
            && let Some(n) = message["metrics"]["good"].as_u64()
        {
            assert!(n > good, "good grows: {message}");
            good = n;
        }
    }
    assert_eq!(good, want.good_total);
    assert_eq!(sim.sparkplug_stats().dropped, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_agent_counts_the_simulators_parts_over_sparkplug() {
    let broker = broker();
    if !service_reachable(&broker) {
        eprintln!("skipped: no MQTT broker at {broker} (set MES_TEST_MQTT)");
        return;
    }
    let group = format!("sim{}", uuid::Uuid::now_v7().simple());
    let config = format!(
        "[sparkplug]\nbroker = \"mqtt://{broker}\"\nclient_id = \"agent-{group}\"\ngroup_id = \"{group}\"\n\
         [[equipment]]\nname = \"m1\"\ndevice = \"sim/sim-01\"\noffline_after_secs = 0\n\
         values = [\"temperature\"]\n\
         states = [\n  {{ state = \"running\", tag = \"state\", op = \"eq\", text = \"running\" }},\n\
           {{ state = \"down\", tag = \"state\", op = \"eq\", text = \"down\", reason_tag = \"fault_code\" }},\n\
           {{ state = \"idle\", tag = \"state\", op = \"other\" }},\n]\n\
         counters = {{ good = {{ tag = \"good\", width = 64 }}, scrap = {{ tag = \"scrap\", width = 64 }} }}\n"
    );
    let rig = start_rig(&binaries!(), &config)
        .await
        .expect("hub and agent start");
    let sim = simulator(&broker, &group).await;
    assert_eq!(sim.machines()[0].name, "sim-01");
    // The agent asks for a rebirth when data comes before births it saw.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let health = rig.agent.health().await.expect("healthz");
        if health["equipment"]["m1"]["state"] == "running" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "m1 never running: {health}"
        );
        sim.step(10);
        tokio::time::sleep(Duration::from_millis(100)).await; // the broker's round trip, within the deadline
    }
    let before = rig.agent.health().await.expect("healthz")["equipment"]["m1"]["good_total"]
        .as_u64()
        .unwrap_or(0);
    let start = sim.status("sim-01").expect("status").good_total;
    sim.step(6_000);
    let want = sim.status("sim-01").expect("status").good_total - start;
    assert!(want > 0, "ten simulated minutes make parts");
    eventually(
        "the agent counted every part",
        Duration::from_secs(30),
        || async {
            let health = rig.agent.health().await.ok()?;
            let total = health["equipment"]["m1"]["good_total"].as_u64()?;
            (total - before == want).then_some(())
        },
    )
    .await;
    sim.shutdown().await;
}

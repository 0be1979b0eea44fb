//! The simulator's MQTT messages through a real broker (Mosquitto at
//! 127.0.0.1:1883, or `MES_TEST_MQTT`), received with a rumqttc subscriber.
//! Skips with a printed reason when no broker answers.

mod common;

use common::{DEADLINE, paused_machines};
use machine_sim::config::MqttConfig;
use machine_sim::{SimHandle, Simulator};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// The broker address, or `None` (after saying why) when none answers.
async fn broker() -> Option<String> {
    let addr = std::env::var("MES_TEST_MQTT").unwrap_or_else(|_| "127.0.0.1:1883".into());
    match tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(&addr)).await {
        Ok(Ok(_)) => Some(addr),
        Ok(Err(err)) => {
            eprintln!("skipping: no MQTT broker at {addr} ({err}); set MES_TEST_MQTT to use another");
            None
        }
        Err(_) => {
            eprintln!("skipping: MQTT broker at {addr} did not answer in 2 s");
            None
        }
    }
}

/// A topic prefix no other test run uses.
fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("sim-test-{test}-{}-{nanos}", std::process::id())
}

/// A subscriber to `<prefix>/#`, returned once the broker acknowledged the
/// subscription (so no message published afterwards is missed).
async fn subscribe(broker: &str, prefix: &str) -> (AsyncClient, EventLoop) {
    let (host, port) = machine_sim::config::split_host_port(broker).expect("valid broker address");
    let options = MqttOptions::new(format!("{prefix}-sub"), host, port);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    client
        .subscribe(format!("{prefix}/#"), QoS::AtLeastOnce)
        .await
        .expect("queued");
    let give_up = Instant::now() + DEADLINE;
    loop {
        let event = tokio::time::timeout_at(give_up, eventloop.poll())
            .await
            .expect("subscription acknowledged in time")
            .expect("subscriber connects");
        if let Event::Incoming(Packet::SubAck(_)) = event {
            return (client, eventloop);
        }
    }
}

/// Receives messages until `done` says the collection is complete.
async fn collect(
    eventloop: &mut EventLoop,
    mut done: impl FnMut(&[(String, Vec<u8>)]) -> bool,
) -> Vec<(String, Vec<u8>)> {
    let give_up = Instant::now() + DEADLINE;
    let mut got = Vec::new();
    while !done(&got) {
        let Ok(polled) = tokio::time::timeout_at(give_up, eventloop.poll()).await else {
            panic!("timed out; received so far: {:?}", summary(&got));
        };
        let event = polled.expect("subscriber stays connected");
        if let Event::Incoming(Packet::Publish(p)) = event {
            got.push((p.topic.clone(), p.payload.to_vec()));
        }
    }
    got
}

fn summary(got: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
    got.iter()
        .map(|(t, p)| (t.clone(), String::from_utf8_lossy(p).into_owned()))
        .collect()
}

fn json(payload: &[u8]) -> Option<Value> {
    serde_json::from_slice(payload).ok()
}

async fn start(broker: &str, prefix: &str, malformed_rate: f64) -> SimHandle {
    let mut config = paused_machines(1, 1000);
    config.generate.line = "line-7".into();
    config.mqtt = Some(MqttConfig {
        broker: broker.to_string(),
        client_id: Some(format!("{prefix}-pub")),
        topic_prefix: prefix.to_string(),
        process_interval_ms: 100,
        malformed_rate,
        ..MqttConfig::default()
    });
    Simulator::start(config).await.expect("starts")
}

#[tokio::test]
async fn publishes_state_counts_and_temperature() {
    let Some(broker) = broker().await else {
        return;
    };
    let prefix = unique_prefix("messages");
    let (_client, mut eventloop) = subscribe(&broker, &prefix).await;
    let sim = start(&broker, &prefix, 0.0).await;
    let base = format!("{prefix}/line-7/sim-01");
    sim.step(10); // one part of 1000 ms
    sim.force_fault("sim-01", 205).expect("known");
    let state_topic = format!("{base}/state");
    let got = collect(&mut eventloop, |got| {
        got.iter()
            .any(|(t, p)| *t == state_topic && json(p).is_some_and(|v| v["state"] == "down"))
    })
    .await;
    let states: Vec<Value> = got
        .iter()
        .filter(|(t, _)| *t == state_topic)
        .filter_map(|(_, p)| json(p))
        .collect();
    assert_eq!(states[0]["state"], "running", "{:?}", summary(&got));
    assert_eq!(
        states.last().map(|s| s["fault_code"].clone()),
        Some(Value::from(205))
    );
    let ts = states[0]["ts"].as_str().expect("ts is a string");
    assert!(mes_protocols::Timestamp::parse(ts).is_ok(), "ts {ts} is RFC 3339");
    let counts: Vec<Value> = got
        .iter()
        .filter(|(t, _)| *t == format!("{base}/count"))
        .filter_map(|(_, p)| json(p))
        .collect();
    assert_eq!(counts.len(), 1, "{:?}", summary(&got));
    assert_eq!(counts[0]["good"], 1);
    let temperature = got
        .iter()
        .find(|(t, _)| *t == format!("{base}/temperature"))
        .map(|(_, p)| String::from_utf8_lossy(p).parse::<f64>());
    assert!(
        matches!(temperature, Some(Ok(t)) if t > 0.0),
        "{:?}",
        summary(&got)
    );
    assert!(got.iter().any(|(t, _)| *t == format!("{base}/spindle_speed")));
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_rate_adds_bad_payloads_without_losing_real_ones() {
    let Some(broker) = broker().await else {
        return;
    };
    let prefix = unique_prefix("malformed");
    let (_client, mut eventloop) = subscribe(&broker, &prefix).await;
    let sim = start(&broker, &prefix, 1.0).await;
    sim.step(30); // three parts
    let count_topic = format!("{prefix}/line-7/sim-01/count");
    let got = collect(&mut eventloop, |got| {
        got.iter()
            .filter(|(t, p)| *t == count_topic && json(p).is_some_and(|v| v["good"] == 1))
            .count()
            == 3
    })
    .await;
    let on_count: Vec<&Vec<u8>> = got
        .iter()
        .filter(|(t, _)| *t == count_topic)
        .map(|(_, p)| p)
        .collect();
    // Rate 1: every real message is preceded by a malformed one.
    assert_eq!(on_count.len(), 6, "{:?}", summary(&got));
    let real = |p: &Vec<u8>| json(p).is_some_and(|v| v["good"] == 1 && v["ts"].is_string());
    assert_eq!(on_count.iter().filter(|p| real(p)).count(), 3);
    assert!(sim.mqtt_stats().malformed >= 3);
    sim.shutdown().await;
}

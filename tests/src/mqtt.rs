//! What the MQTT tests share: where the broker is, the agent's `[mqtt]`
//! connection section for a test's own topic prefix, a hub and agent
//! started with it (or the test skipped), and a publisher.

use crate::{Binaries, Rig, service_reachable, start_rig};
use std::time::Duration;

/// The broker the tests use: `MES_TEST_MQTT`, else the local Mosquitto.
pub fn broker() -> String {
    std::env::var("MES_TEST_MQTT").unwrap_or_else(|_| "127.0.0.1:1883".into())
}

/// The agent's `[mqtt]` table (before its subscriptions) for `broker`,
/// with a client id of its own per `prefix` and quick reconnects.
pub fn agent_mqtt_section(broker: &str, prefix: &str) -> String {
    format!(
        "[mqtt]\nbroker = \"mqtt://{broker}\"\nclient_id = \"agent-{prefix}\"\nclean_session = true\n\
         reconnect_initial_ms = 100\nreconnect_max_secs = 1\n"
    )
}

/// A publisher to `broker` (`host:port`) whose messages keep their order
/// (one client; publish with QoS 1), with a client id of its own per
/// `prefix`. Its connection is polled by a task of the calling runtime.
pub fn publisher(broker: &str, prefix: &str) -> rumqttc::AsyncClient {
    let (host, port) = broker.rsplit_once(':').expect("the broker address is host:port");
    let port = port.parse().expect("the broker port is a number");
    let mut options = rumqttc::MqttOptions::new(format!("pub-{prefix}"), host, port);
    options.set_keep_alive(Duration::from_secs(10));
    let (client, mut events) = rumqttc::AsyncClient::new(options, 100);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    client
}

/// A hub and agent for an MQTT test, with the broker and the topic prefix
/// of the test's own.
pub struct MqttRig {
    /// The hub and the agent.
    pub rig: Rig,
    /// The broker (`host:port`).
    pub broker: String,
    /// The test's topic prefix.
    pub prefix: String,
}

/// Starts a hub and an agent configured by `config(broker, prefix)`, or
/// returns `None` with the reason printed when no broker answers (the test
/// is then skipped).
pub async fn start_mqtt_rig(bins: &Binaries, config: impl Fn(&str, &str) -> String) -> Option<MqttRig> {
    let broker = broker();
    if !service_reachable(&broker) {
        eprintln!("skipped: no MQTT broker at {broker} (set MES_TEST_MQTT)");
        return None;
    }
    let prefix = format!("t{}", uuid::Uuid::now_v7().simple());
    let rig = start_rig(bins, &config(&broker, &prefix))
        .await
        .expect("hub and agent start");
    Some(MqttRig { rig, broker, prefix })
}

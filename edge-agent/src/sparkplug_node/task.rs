//! The edge node's connection task.
//!
//! - On every ConnAck: subscribe to its NCMD (and the primary host's
//!   STATE, when configured), then NBIRTH (seq 0, `bdSeq`) and one DBIRTH
//!   per equipment, unless a primary host is configured and not online.
//! - Every `publish_interval`: DDATA for each equipment whose metrics
//!   changed (seq one more per message, wrapping at 256).
//! - NCMD `Node Control/Rebirth` = true: births again.
//! - The will is the NDEATH of the connection's `bdSeq`; a lost connection
//!   makes the next one use `bdSeq + 1` (and its will). A clean stop
//!   publishes the NDEATH itself before disconnecting.

use super::config::SparkplugNodeSpec;
use super::model::NodeModel;
use crate::backoff::Backoff;
use crate::equipment::EquipmentBoard;
use mes_protocols::sparkplug::{EdgeNode, MessageType, Payload, Topic, rebirth_requested};
use mes_protocols::{Code, Timestamp};
use rumqttc::{
    AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Runs the edge node for `equipment` (code and process-value tags each)
/// until `shutdown`.
pub async fn run(
    spec: SparkplugNodeSpec,
    equipment: Vec<(Code, Vec<Code>)>,
    board: Arc<EquipmentBoard>,
    shutdown: CancellationToken,
) {
    let edge = EdgeNode::new(&spec.group_id, &spec.edge_node_id);
    let (client, mut events) = AsyncClient::new(options(&spec, &edge), 1024);
    let mut node = Node {
        model: NodeModel::new(&equipment),
        edge,
        born: false,
        host_online: spec.primary_host_id.is_none(),
        spec,
        client,
        board,
    };
    tracing::info!(group = %node.spec.group_id, node = %node.spec.edge_node_id, "Sparkplug edge node starting");
    let mut backoff = Backoff::new(Duration::from_millis(500), node.spec.reconnect_max);
    let mut tick = tokio::time::interval(node.spec.publish_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            _ = tick.tick() => node.publish_changes(),
            event = events.poll() => match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff.reset();
                    node.connected();
                }
                Ok(Event::Incoming(Packet::Publish(p))) => node.handle(&p.topic, &p.payload),
                Ok(_) => {}
                Err(error) => {
                    node.born = false;
                    node.host_online = node.spec.primary_host_id.is_none();
                    // The will of the lost connection said `bd_seq`; the
                    // next connection is a new session.
                    node.edge.connection_lost();
                    events.mqtt_options = options(&node.spec, &node.edge);
                    let delay = backoff.next_delay();
                    tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "Sparkplug edge node connection lost or refused");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }
    node.stop(&mut events).await;
}

fn options(spec: &SparkplugNodeSpec, edge: &EdgeNode) -> MqttOptions {
    let broker = &spec.broker;
    let mut options = MqttOptions::new(spec.client_id.clone(), broker.host.clone(), broker.port);
    options.set_keep_alive(spec.keep_alive).set_clean_session(true);
    if let Some((user, password)) = &spec.credentials {
        options.set_credentials(user.clone(), password.expose());
    }
    if let Some(tls) = &broker.tls {
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls.clone())));
    }
    let (death, payload) = edge.death();
    options.set_last_will(LastWill::new(death, payload, QoS::AtLeastOnce, false));
    options
}

fn now_ms() -> u64 {
    u64::try_from(Timestamp::from_datetime(time::OffsetDateTime::now_utc()).unix_millis()).unwrap_or(0)
}

struct Node {
    spec: SparkplugNodeSpec,
    client: AsyncClient,
    board: Arc<EquipmentBoard>,
    model: NodeModel,
    /// Topics, `bdSeq` and `seq`.
    edge: EdgeNode,
    born: bool,
    host_online: bool,
}

impl Node {
    fn connected(&mut self) {
        let commands = self.edge.topic(MessageType::NCmd, None);
        if let Err(e) = self.client.try_subscribe(commands, QoS::AtLeastOnce) {
            tracing::error!(error = %e, "cannot queue the edge node's NCMD subscription");
        }
        if let Some(host) = &self.spec.primary_host_id {
            let state = Topic::State { host: host.clone() }.to_string();
            if let Err(e) = self.client.try_subscribe(state, QoS::AtLeastOnce) {
                tracing::error!(error = %e, "cannot queue the primary host's STATE subscription");
            }
        }
        self.births();
    }

    /// NBIRTH and every DBIRTH, when publishing is allowed.
    fn births(&mut self) {
        if !self.host_online {
            self.born = false;
            return;
        }
        let now = now_ms();
        let nbirth = self.edge.birth(now);
        self.send(nbirth);
        for (device, payload) in self.model.device_births(&self.board.snapshot(), now) {
            self.publish(MessageType::DBirth, Some(&device), payload);
        }
        self.born = true;
        tracing::info!(bd_seq = self.edge.bd_seq(), "Sparkplug edge node born");
    }

    fn publish_changes(&mut self) {
        if !self.born {
            return;
        }
        for (device, payload) in self.model.device_data(&self.board.snapshot(), now_ms()) {
            self.publish(MessageType::DData, Some(&device), payload);
        }
    }

    /// Publishes with the next seq (NBIRTH resets it to 0 before).
    fn publish(&mut self, kind: MessageType, device: Option<&str>, payload: Payload) {
        let message = self.edge.message(kind, device, payload);
        self.send(message);
    }

    fn send(&self, (topic, payload): (String, Vec<u8>)) {
        if let Err(e) = self
            .client
            .try_publish(topic.clone(), QoS::AtMostOnce, false, payload)
        {
            // The request queue is full: the connection is stuck. The next
            // connection starts with births, which carry every value.
            tracing::warn!(%topic, error = %e, "Sparkplug edge node message dropped");
        }
    }

    fn handle(&mut self, topic: &str, payload: &[u8]) {
        match Topic::parse(topic) {
            Ok(Topic::State { .. }) => {
                let online = serde_json::from_slice::<serde_json::Value>(payload)
                    .ok()
                    .and_then(|v| v["online"].as_bool())
                    .unwrap_or(false);
                let was = self.host_online;
                self.host_online = online;
                tracing::info!(online, "primary host STATE");
                if online && !was {
                    self.births();
                } else if !online {
                    self.born = false;
                }
            }
            Ok(Topic::Edge {
                kind: MessageType::NCmd,
                ..
            }) if rebirth_requested(payload) => {
                tracing::info!("Sparkplug rebirth requested");
                self.births();
            }
            _ => {}
        }
    }

    /// Publishes the NDEATH (a clean disconnect sends no will) and
    /// disconnects, briefly.
    async fn stop(&mut self, events: &mut EventLoop) {
        if !self.born {
            return;
        }
        let (death, payload) = self.edge.death();
        if self
            .client
            .try_publish(death, QoS::AtLeastOnce, false, payload)
            .is_err()
            || self.client.try_disconnect().is_err()
        {
            return;
        }
        let drain = async {
            while let Ok(event) = events.poll().await {
                if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
        tracing::info!("Sparkplug edge node stopped");
    }
}

//! Publishing the machines as a Sparkplug B edge node (rumqttc, plain TCP;
//! the device payloads are `sparkplug_node.rs`'s, topics, `bdSeq`, `seq`,
//! NBIRTH and NDEATH `mes_protocols::sparkplug::EdgeNode`'s).
//!
//! - On every ConnAck: subscribe to the node's NCMD, then NBIRTH (seq 0,
//!   `bdSeq`) and one DBIRTH per machine with every current value.
//! - Every change the clock queues: DDATA of the metrics it touched, by
//!   alias, `seq` one more per message (wrapping at 256). Changes while
//!   not connected only update the model: the next births carry them.
//! - NCMD `Node Control/Rebirth` = true: births again.
//! - The will is the NDEATH of the connection's `bdSeq`; a lost connection
//!   makes the next one use `bdSeq + 1`. A clean stop publishes the NDEATH
//!   itself before disconnecting.
//!
//! Sparkplug data is QoS 0 by its specification; NDEATH is QoS 1.

use crate::config::{SparkplugConfig, split_host_port};
use crate::mqtt_publisher::Counters;
use crate::simulator::Outgoing;
use crate::sparkplug_node::NodeModel;
use mes_protocols::sparkplug::{EdgeNode, MessageType, Payload, rebirth_requested};
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, QoS};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Pause between reconnection attempts while the broker is unreachable.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// The edge node's state.
pub(crate) struct SparkplugPublisher {
    config: SparkplugConfig,
    model: NodeModel,
    counters: Arc<Counters>,
    /// Topics, `bdSeq` and `seq`.
    edge: EdgeNode,
    born: bool,
}

impl SparkplugPublisher {
    /// An edge node for `machines` (names, in machine order); simulated
    /// time 0 is `epoch_ms`.
    pub(crate) fn new(
        config: SparkplugConfig,
        machines: &[String],
        epoch_ms: i64,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            edge: EdgeNode::new(&config.group_id, &config.edge_node_id),
            config,
            model: NodeModel::new(machines, epoch_ms),
            counters,
            born: false,
        }
    }

    /// Publishes what arrives on `rx` until `cancel`, then the NDEATH.
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Outgoing>, cancel: CancellationToken) {
        let options = match self.options() {
            Ok(options) => options,
            Err(reason) => {
                tracing::error!(broker = %self.config.broker, %reason, "Sparkplug publishing disabled");
                return;
            }
        };
        let (client, mut events) = AsyncClient::new(options, self.config.queue.max(16));
        loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                event = events.poll() => match event {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => self.connected(&client),
                    Ok(Event::Incoming(Packet::Publish(p))) => self.command(&client, &p.payload),
                    Ok(_) => {}
                    Err(error) => {
                        if self.born {
                            tracing::warn!(broker = %self.config.broker, %error, "Sparkplug connection lost; reconnecting");
                        }
                        self.born = false;
                        // The lost connection's will said `bd_seq`.
                        self.edge.connection_lost();
                        if let Ok(options) = self.options() {
                            events.mqtt_options = options;
                        }
                        tokio::select! {
                            () = cancel.cancelled() => break,
                            () = tokio::time::sleep(RECONNECT_DELAY) => {}
                        }
                    }
                },
                change = rx.recv() => match change {
                    Some(change) => self.change(&client, &change),
                    None => break,
                },
            }
        }
        self.stop(&client, &mut events).await;
    }

    fn options(&self) -> Result<MqttOptions, String> {
        let (host, port) = split_host_port(&self.config.broker)?;
        let client_id = self.config.client_id.clone().unwrap_or_else(default_client_id);
        let mut options = MqttOptions::new(client_id, host, port);
        let (death, payload) = self.edge.death();
        options
            .set_keep_alive(Duration::from_secs(self.config.keep_alive_secs))
            .set_clean_session(true)
            .set_last_will(LastWill::new(death, payload, QoS::AtLeastOnce, false));
        Ok(options)
    }

    fn connected(&mut self, client: &AsyncClient) {
        tracing::info!(broker = %self.config.broker, bd_seq = self.edge.bd_seq(), "Sparkplug edge node connected");
        if let Err(e) = client.try_subscribe(self.edge.topic(MessageType::NCmd, None), QoS::AtLeastOnce) {
            tracing::error!(error = %e, "cannot queue the NCMD subscription");
        }
        self.births(client);
    }

    /// NBIRTH and every DBIRTH, with every current value.
    fn births(&mut self, client: &AsyncClient) {
        let now = now_ms();
        let nbirth = self.edge.birth(now);
        self.send(client, nbirth);
        for (device, payload) in self.model.device_births(now) {
            self.publish(client, MessageType::DBirth, Some(&device), payload);
        }
        self.born = true;
    }

    fn change(&mut self, client: &AsyncClient, change: &Outgoing) {
        let Some((device, payload)) = self.model.apply(change, now_ms()) else {
            return;
        };
        if self.born {
            self.publish(client, MessageType::DData, Some(&device), payload);
        }
    }

    /// An NCMD: births again when it asks for a rebirth.
    fn command(&mut self, client: &AsyncClient, payload: &[u8]) {
        if rebirth_requested(payload) {
            tracing::info!("Sparkplug rebirth requested");
            self.births(client);
        }
    }

    /// Publishes with the next seq (births reset it to 0 first).
    fn publish(&mut self, client: &AsyncClient, kind: MessageType, device: Option<&str>, payload: Payload) {
        let message = self.edge.message(kind, device, payload);
        self.send(client, message);
    }

    fn send(&self, client: &AsyncClient, (topic, payload): (String, Vec<u8>)) {
        match client.try_publish(topic, QoS::AtMostOnce, false, payload) {
            Ok(()) => {
                self.counters.published.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                // The request queue is full: the connection is stuck. The
                // next connection starts with births, which carry every value.
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%error, "Sparkplug message dropped");
            }
        }
    }

    /// The NDEATH (a clean disconnect sends no will), then a disconnect.
    async fn stop(&mut self, client: &AsyncClient, events: &mut EventLoop) {
        if !self.born {
            return;
        }
        let (death, payload) = self.edge.death();
        if client
            .try_publish(death, QoS::AtLeastOnce, false, payload)
            .is_err()
            || client.try_disconnect().is_err()
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
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn default_client_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("machine-sim-spb-{}-{nanos}", std::process::id())
}

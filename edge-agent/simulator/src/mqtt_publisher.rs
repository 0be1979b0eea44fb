//! Publishing machine messages to an MQTT broker (rumqttc, plain TCP).
//!
//! Topics, per machine, under `<prefix>/<line>/<machine>/`:
//!
//! | topic           | payload |
//! |-----------------|---------|
//! | `state`         | `{"state":"running","ts":"2026-11-25T21:02:23.123Z"}`; `"fault_code":205` added when `"down"` |
//! | `count`         | `{"good":1,"ts":"…"}` or `{"scrap":1,"reason":"surface","ts":"…"}`, one per part |
//! | `temperature`   | plain number, °C (`65.12`) |
//! | `spindle_speed` | plain number, rpm (`12003.5`) |
//!
//! `ts` is the simulated time of the change, on the wall-clock scale
//! (start time + simulated time). With `malformed_rate` > 0, a real message
//! is preceded, with that probability, by a malformed one on the same topic
//! (broken JSON, unknown state, wrong types, non-UTF-8, `NaN`, empty): the
//! real messages all still arrive, so counts still reconcile.
//!
//! The clock queues messages without waiting; this task hands them to the
//! MQTT client, whose event loop runs in a task of its own and reconnects
//! after broker outages. On shutdown what is queued is flushed (for at most
//! [`FLUSH_LIMIT`]) before a clean disconnect.

use crate::config::{MqttConfig, split_host_port};
use crate::machine::MachineEvent;
use crate::simulator::Outgoing;
use mes_protocols::Timestamp;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Outgoing as MqttOutgoing, Packet, QoS};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Longest time spent flushing queued messages at shutdown.
pub const FLUSH_LIMIT: Duration = Duration::from_secs(3);

/// Pause between reconnection attempts while the broker is unreachable.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Publishing counters, shared with the handle.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) published: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) dropped: AtomicU64,
}

/// The topics of one machine, built once.
struct Topics {
    state: String,
    count: String,
    temperature: String,
    spindle_speed: String,
}

/// The publishing task's state.
pub(crate) struct Publisher {
    config: MqttConfig,
    topics: Vec<Topics>,
    rng: ChaCha8Rng,
    epoch_ms: i64,
    counters: std::sync::Arc<Counters>,
    qos: QoS,
}

impl Publisher {
    /// A publisher for machines given as `(line, name)`, in machine order.
    pub(crate) fn new(
        config: MqttConfig,
        machines: Vec<(String, String)>,
        seed: u64,
        epoch_ms: i64,
        counters: std::sync::Arc<Counters>,
    ) -> Self {
        let topics = machines
            .iter()
            .map(|(line, name)| {
                let base = format!("{}/{line}/{name}", config.topic_prefix);
                Topics {
                    state: format!("{base}/state"),
                    count: format!("{base}/count"),
                    temperature: format!("{base}/temperature"),
                    spindle_speed: format!("{base}/spindle_speed"),
                }
            })
            .collect();
        let qos = match config.qos {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            _ => QoS::ExactlyOnce,
        };
        // A stream of its own, so MQTT choices never shift machine histories.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(u64::MAX);
        Self {
            config,
            topics,
            rng,
            epoch_ms,
            counters,
            qos,
        }
    }

    /// Publishes what arrives on `rx` until `cancel`, then flushes and
    /// disconnects.
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Outgoing>, cancel: CancellationToken) {
        let (client, eventloop) = match self.connect() {
            Ok(pair) => pair,
            Err(reason) => {
                tracing::error!(broker = %self.config.broker, %reason, "MQTT publishing disabled");
                return;
            }
        };
        let done = CancellationToken::new();
        let driver = tokio::spawn(drive(eventloop, self.config.broker.clone(), done.clone()));
        loop {
            tokio::select! {
                message = rx.recv() => match message {
                    Some(message) => self.publish(&client, message).await,
                    None => break,
                },
                () = cancel.cancelled() => break,
            }
        }
        let flush = async {
            while let Ok(message) = rx.try_recv() {
                self.publish(&client, message).await;
            }
            let _ = client.disconnect().await;
        };
        if tokio::time::timeout(FLUSH_LIMIT, flush).await.is_err() {
            tracing::warn!("MQTT flush at shutdown took too long; queued messages were dropped");
        }
        // The driver ends when the disconnect went out, or at the limit.
        let _ = tokio::time::timeout(FLUSH_LIMIT, done.cancelled()).await;
        driver.abort();
    }

    fn connect(&self) -> Result<(AsyncClient, EventLoop), String> {
        let (host, port) = split_host_port(&self.config.broker)?;
        let client_id = self.config.client_id.clone().unwrap_or_else(default_client_id);
        let mut options = MqttOptions::new(client_id, host, port);
        options.set_keep_alive(Duration::from_secs(self.config.keep_alive_secs));
        options.set_clean_session(true);
        Ok(AsyncClient::new(options, 1024))
    }

    async fn publish(&mut self, client: &AsyncClient, message: Outgoing) {
        match message {
            Outgoing::Event { machine, event } => {
                let Some(topics) = self.topics.get(machine) else {
                    return;
                };
                let (topic, body, retain, kind) = match event {
                    MachineEvent::State {
                        state,
                        fault_code,
                        at_ms,
                    } => {
                        let mut body = json!({ "state": state.name(), "ts": self.ts(at_ms) });
                        if fault_code != 0 {
                            body["fault_code"] = json!(fault_code);
                        }
                        (topics.state.clone(), body, self.config.retain_state, Kind::State)
                    }
                    MachineEvent::Part { scrap_reason, at_ms } => {
                        let body = match scrap_reason {
                            None => json!({ "good": 1, "ts": self.ts(at_ms) }),
                            Some(reason) => json!({ "scrap": 1, "reason": reason, "ts": self.ts(at_ms) }),
                        };
                        (topics.count.clone(), body, false, Kind::Count)
                    }
                };
                self.emit(client, topic, body.to_string().into_bytes(), retain, kind)
                    .await;
            }
            Outgoing::Process {
                machine,
                temperature,
                spindle_speed,
                ..
            } => {
                let Some(topics) = self.topics.get(machine) else {
                    return;
                };
                let (t_topic, s_topic) = (topics.temperature.clone(), topics.spindle_speed.clone());
                let t = format!("{temperature:.2}").into_bytes();
                self.emit(client, t_topic, t, false, Kind::Number).await;
                let s = format!("{spindle_speed:.1}").into_bytes();
                self.emit(client, s_topic, s, false, Kind::Number).await;
            }
        }
    }

    /// Publishes one message, preceded at the configured rate by a
    /// malformed one on the same topic.
    async fn emit(
        &mut self,
        client: &AsyncClient,
        topic: String,
        payload: Vec<u8>,
        retain: bool,
        kind: Kind,
    ) {
        if self.config.malformed_rate > 0.0 && self.rng.random::<f64>() < self.config.malformed_rate {
            let bad = malformed(kind, self.rng.random_range(0..5));
            if self.send(client, topic.clone(), bad, false).await {
                self.counters.malformed.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.send(client, topic, payload, retain).await;
    }

    async fn send(&self, client: &AsyncClient, topic: String, payload: Vec<u8>, retain: bool) -> bool {
        match client.publish(topic, self.qos, retain, payload).await {
            Ok(()) => {
                self.counters.published.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(err) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%err, "MQTT message dropped");
                false
            }
        }
    }

    fn ts(&self, at_ms: u64) -> String {
        let at = i64::try_from(at_ms).unwrap_or(i64::MAX);
        Timestamp::from_unix_millis(self.epoch_ms.saturating_add(at)).to_string()
    }
}

/// What a topic carries, for choosing a fitting malformed payload.
#[derive(Clone, Copy)]
enum Kind {
    State,
    Count,
    Number,
}

/// Malformed payload number `pick` (0..5) for a topic of `kind`.
fn malformed(kind: Kind, pick: usize) -> Vec<u8> {
    let choices: [&[u8]; 5] = match kind {
        Kind::State => [
            b"{\"state\":\"running\"",
            b"{\"state\":\"exploded\"}",
            b"{\"state\":42}",
            b"\xff\xfe\x00garbage",
            b"",
        ],
        Kind::Count => [
            b"{\"good\":1",
            b"{\"good\":\"one\"}",
            b"{\"good\":-1}",
            b"\xff\xfe\x00garbage",
            b"",
        ],
        Kind::Number => [b"NaN", b"hot", b"1e999", b"\xff\xfe\x00", b""],
    };
    choices.get(pick).copied().unwrap_or_default().to_vec()
}

fn default_client_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("machine-sim-{}-{nanos}", std::process::id())
}

/// Runs the MQTT event loop: connects, reconnects after errors, and ends
/// (cancelling `done`) once the disconnect packet went out.
async fn drive(mut eventloop: EventLoop, broker: String, done: CancellationToken) {
    let mut connected = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                connected = true;
                tracing::info!(%broker, "MQTT connected");
            }
            Ok(Event::Outgoing(MqttOutgoing::Disconnect)) => break,
            Ok(_) => {}
            Err(err) => {
                if connected {
                    tracing::warn!(%broker, %err, "MQTT connection lost; reconnecting");
                } else {
                    tracing::debug!(%broker, %err, "MQTT broker unreachable; retrying");
                }
                connected = false;
                tokio::time::sleep(RECONNECT_DELAY).await;
            }
        }
    }
    done.cancel();
}

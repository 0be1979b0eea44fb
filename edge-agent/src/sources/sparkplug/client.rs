//! The running Sparkplug B source: one broker connection subscribed to
//! `spBv1.0/<group>/#`, every message decoded and run through the
//! [`Tracker`], whose outcome becomes observations; a rebirth request
//! (NCMD `Node Control/Rebirth`) goes out when the tracker asks for one.
//!
//! # Guarantees and limits
//!
//! - **Sparkplug data is QoS 0** by the specification (only NDEATH, the
//!   will, is QoS 1), so there is no acknowledgement to hold until commit
//!   as the plain MQTT source does: messages are taken with automatic
//!   acks, and what is lost in transit shows as a `seq` gap, which the
//!   rebirth heals (a birth carries every current value; register counters
//!   then count what passed in between).
//! - **Offline**: an NDEATH (or its will) makes the node's and its devices'
//!   equipment offline, a DDEATH the device's; losing the broker makes
//!   every device known born offline, and their sessions are forgotten: the
//!   first data after reconnection asks for a rebirth.
//! - **Reconnection** with exponential backoff (jitter, capped), fresh
//!   session (`clean_session`), re-subscription on every ConnAck. With
//!   `host_id` the agent publishes its STATE online (retained, QoS 1) on
//!   every ConnAck; its will says offline.
//! - **Backpressure**: messages are handled inline, so while the sink is
//!   full the connection is not polled.

use super::config::SparkplugSettings;
use super::map::{self, Bad};
use super::stats::SparkplugStats;
use crate::backoff::Backoff;
use crate::sources::{BadInputKind, Observation, ObservationKind, ObservationSink};
use mes_protocols::Timestamp;
use mes_protocols::event::LinkState;
use mes_protocols::sparkplug::{
    self, Anomaly, Change, DataType, MessageType, Metric, MetricValue, Payload, REBIRTH, Topic, Tracker,
};
use rumqttc::{
    AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, Publish, QoS, TlsConfiguration, Transport,
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Requests queued for the event loop, at most.
const REQUEST_CAPACITY: usize = 256;
/// Room for the topic and header over the largest payload.
const PACKET_OVERHEAD: usize = 64 * 1024;

/// Runs the Sparkplug source until `shutdown` is cancelled or the sink closes.
pub async fn run(settings: SparkplugSettings, sink: ObservationSink, shutdown: CancellationToken) {
    let (client, mut events) = AsyncClient::new(options(&settings), REQUEST_CAPACITY);
    tracing::info!(
        broker = %format!("{}:{}", settings.broker.host, settings.broker.port),
        group = %settings.group_id,
        host_id = settings.host_id.as_deref().unwrap_or(""),
        "Sparkplug B source starting"
    );
    let mut conn = Connection {
        backoff: Backoff::new(settings.reconnect_initial, settings.reconnect_max),
        tracker: Tracker::new(settings.rebirth_interval.as_millis() as u64),
        settings,
        sink,
        client,
        link: None,
        shutdown,
    };
    while conn.step(&mut events).await {}
    if conn.link == Some(LinkState::Up) {
        if let Some(host) = &conn.settings.host_id {
            let _ = conn.client.try_publish(
                state_topic(host),
                QoS::AtLeastOnce,
                true,
                state_payload(false, now_ms()),
            );
        }
        let _ = conn.client.try_disconnect();
        let drain = async {
            while let Ok(event) = events.poll().await {
                if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
    }
    tracing::info!("Sparkplug B source stopped");
}

fn options(settings: &SparkplugSettings) -> MqttOptions {
    let broker = &settings.broker;
    let mut options = MqttOptions::new(settings.client_id.clone(), broker.host.clone(), broker.port);
    let max_packet = settings.max_payload + PACKET_OVERHEAD;
    options
        .set_keep_alive(settings.keep_alive)
        .set_clean_session(true)
        .set_max_packet_size(max_packet, max_packet);
    if let Some((user, password)) = &settings.credentials {
        options.set_credentials(user.clone(), password.expose());
    }
    if let Some(tls) = &broker.tls {
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls.clone())));
    }
    if let Some(host) = &settings.host_id {
        options.set_last_will(LastWill::new(
            state_topic(host),
            state_payload(false, now_ms()),
            QoS::AtLeastOnce,
            true,
        ));
    }
    options
}

fn state_topic(host: &str) -> String {
    Topic::State {
        host: host.to_string(),
    }
    .to_string()
}

/// The Sparkplug 3.0 STATE payload.
fn state_payload(online: bool, timestamp: i64) -> String {
    format!("{{\"online\":{online},\"timestamp\":{timestamp}}}")
}

fn now_ms() -> i64 {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc()).unix_millis()
}

struct Connection {
    settings: SparkplugSettings,
    sink: ObservationSink,
    client: AsyncClient,
    backoff: Backoff,
    tracker: Tracker,
    link: Option<LinkState>,
    shutdown: CancellationToken,
}

impl Connection {
    fn stats(&self) -> &SparkplugStats {
        &self.sink.stats().sparkplug
    }

    /// Polls once and handles the event; false when the task should stop.
    async fn step(&mut self, events: &mut EventLoop) -> bool {
        let event = tokio::select! {
            biased;
            () = self.shutdown.cancelled() => return false,
            event = events.poll() => event,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::info!(group = %self.settings.group_id, "Sparkplug connected; subscribing");
                self.backoff.reset();
                let filter = format!("{}/{}/#", sparkplug::NAMESPACE, self.settings.group_id);
                if let Err(e) = self.client.try_subscribe(filter, QoS::AtLeastOnce) {
                    tracing::error!(error = %e, "cannot queue the Sparkplug subscription");
                }
                if let Some(host) = &self.settings.host_id {
                    let online = state_payload(true, now_ms());
                    if let Err(e) = self
                        .client
                        .try_publish(state_topic(host), QoS::AtLeastOnce, true, online)
                    {
                        tracing::error!(error = %e, "cannot queue the host's STATE");
                    }
                }
                self.report_link(LinkState::Up, None).await
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => self.handle(publish).await,
            Ok(_) => true,
            Err(error) => {
                let delay = self.backoff.next_delay();
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "Sparkplug connection lost or refused");
                let lost = self.tracker.connection_lost();
                if !self.emit(lost, "", "broker connection lost").await {
                    return false;
                }
                if !self.report_link(LinkState::Down, Some(error.to_string())).await {
                    return false;
                }
                tokio::select! {
                    () = self.shutdown.cancelled() => false,
                    () = tokio::time::sleep(delay) => true,
                }
            }
        }
    }

    /// Decodes one message, runs it through the tracker and hands what it
    /// means to the sink.
    async fn handle(&mut self, publish: Publish) -> bool {
        let topic_text = publish.topic.as_str();
        SparkplugStats::bump(&self.stats().messages_total);
        let topic = match Topic::parse(topic_text) {
            Ok(topic) => topic,
            Err(e) => {
                self.sink
                    .bad_input(topic_text, BadInputKind::Topic, topic_text, &e.to_string());
                return true;
            }
        };
        let kind = match &topic {
            Topic::Edge { kind, .. } => *kind,
            Topic::State { .. } => return true,
        };
        if matches!(kind, MessageType::NCmd | MessageType::DCmd) {
            return true; // commands to nodes, ours included
        }
        if publish.payload.len() > self.settings.max_payload {
            let reason = format!(
                "a payload of {} bytes is over sparkplug.max_payload_bytes ({})",
                publish.payload.len(),
                self.settings.max_payload
            );
            self.sink
                .bad_input(topic_text, BadInputKind::Payload, topic_text, &reason);
            return true;
        }
        let payload = match sparkplug::decode(&publish.payload) {
            Ok(payload) => payload,
            Err(e) => {
                self.sink
                    .bad_input(topic_text, BadInputKind::Payload, topic_text, &e.to_string());
                return true;
            }
        };
        let received = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
        let outcome = self.tracker.handle(&topic, &payload, received.unix_millis());
        self.count(kind, &outcome.changes, &outcome.anomalies, topic_text);
        if let Some((group, node)) = &outcome.rebirth {
            self.request_rebirth(group, node);
        }
        let detail = format!("{} ({topic_text})", kind.as_str());
        self.emit_at(outcome.changes, topic_text, &detail, received).await
    }

    fn count(&self, kind: MessageType, changes: &[Change], anomalies: &[Anomaly], topic: &str) {
        let stats = self.stats();
        match kind {
            MessageType::NBirth | MessageType::DBirth
                if changes.iter().any(|c| matches!(c, Change::Born(_))) =>
            {
                SparkplugStats::bump(&stats.births_total);
            }
            MessageType::NDeath | MessageType::DDeath
                if changes.iter().any(|c| matches!(c, Change::Died(_))) =>
            {
                SparkplugStats::bump(&stats.deaths_total);
            }
            _ => {}
        }
        for anomaly in anomalies {
            match anomaly {
                Anomaly::SeqGap { node, expected, got } => {
                    SparkplugStats::bump(&stats.seq_gaps_total);
                    tracing::warn!(
                        node,
                        expected,
                        got,
                        topic,
                        "Sparkplug seq gap: messages were lost"
                    );
                }
                Anomaly::NotBorn(source) => {
                    SparkplugStats::bump(&stats.not_born_total);
                    tracing::info!(node = %source.node, device = source.device.as_deref().unwrap_or(""), topic, "Sparkplug data before a birth");
                }
                other => {
                    if let Some(Bad { device, kind, reason }) = map::anomaly_input(other) {
                        self.sink.bad_input(&device, kind, topic, &reason);
                    }
                }
            }
        }
    }

    /// Sends NCMD `Node Control/Rebirth` to `node` (QoS 0, as the
    /// specification has commands) and counts it.
    fn request_rebirth(&self, group: &str, node: &str) {
        let topic = Topic::edge(group, MessageType::NCmd, node, None).to_string();
        let now = u64::try_from(now_ms()).unwrap_or(0);
        let payload = Payload {
            timestamp: Some(now),
            seq: None,
            metrics: vec![Metric {
                timestamp: Some(now),
                ..Metric::named(REBIRTH, DataType::Boolean, Some(&MetricValue::Bool(true)))
            }],
        };
        match self
            .client
            .try_publish(topic.clone(), QoS::AtMostOnce, false, sparkplug::encode(&payload))
        {
            Ok(()) => {
                self.stats().rebirth_requested(node);
                tracing::info!(%topic, "Sparkplug rebirth requested");
            }
            Err(e) => tracing::warn!(%topic, error = %e, "cannot queue a Sparkplug rebirth request"),
        }
    }

    async fn emit(&mut self, changes: Vec<Change>, topic: &str, detail: &str) -> bool {
        let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
        self.emit_at(changes, topic, detail, now).await
    }

    async fn emit_at(
        &mut self,
        changes: Vec<Change>,
        topic: &str,
        detail: &str,
        received: Timestamp,
    ) -> bool {
        let mut bad = Vec::new();
        let observations = map::observations(
            changes,
            topic,
            received,
            self.settings.use_payload_time,
            detail,
            &mut bad,
        );
        for Bad { device, kind, reason } in bad {
            self.sink.bad_input(&device, kind, topic, &reason);
        }
        for observation in observations {
            if !self.send(observation).await {
                return false;
            }
        }
        true
    }

    async fn send(&self, observation: Observation) -> bool {
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => false,
            accepted = self.sink.send(observation) => accepted,
        }
    }

    async fn report_link(&mut self, state: LinkState, detail: Option<String>) -> bool {
        if self.link == Some(state) {
            return true;
        }
        self.link = Some(state);
        let observation = Observation {
            device: self.settings.name.clone(),
            at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
            kind: ObservationKind::Link { state, detail },
        };
        self.send(observation).await
    }
}

//! The running MQTT source: one broker connection, polled by one task that
//! connects, (re)subscribes, maps each message and acknowledges it only after
//! the events it produced are committed to the buffer.
//!
//! # Guarantees
//!
//! - **Acknowledgement after commit.** Manual acks are on: a QoS 1 message
//!   is PUBACKed (a QoS 2 message PUBRECed) only after the commit receipt of
//!   its last observation fired, i.e. the equipment task committed the
//!   resulting events to the SQLite buffer (`ObservationSink::send_with_receipt`;
//!   a message is one snapshot observation). Bad input is counted, then acknowledged
//!   (redelivery would not make it good). If the agent stops or crashes (even
//!   kill -9), or the connection drops, before the commit, the broker still
//!   holds the message and redelivers it on reconnection, provided the
//!   session is persistent (`clean_session = false`, stable `client_id`) and
//!   the broker itself kept it (Mosquitto: `persistence true` across its own
//!   restarts). Later messages are processed while earlier ones wait for
//!   their commit, so throughput is not one fsync per message.
//! - **At least once.** A message whose ack was lost with the connection
//!   comes back and is observed twice.
//! - **Acks stay on their connection.** Acks not yet written when the
//!   connection drops are discarded (rumqttc does the same with its queue),
//!   because packet ids are per session exchange: a stale ack could
//!   acknowledge a different, newer message that reused the id.
//! - **Reconnection.** After any connection error the task waits with
//!   exponential backoff (jitter, capped at `reconnect_max_secs`), reconnects,
//!   and re-subscribes every filter on every ConnAck (harmless when the
//!   broker kept the session). The connection's pseudo-device gets a `Link`
//!   observation `down` (with the error) and `up` on each change.
//! - **Backpressure.** Messages are handled in order, inline: while the sink
//!   is full the connection is not polled, so the broker stops sending QoS
//!   1/2 messages once its in-flight window is full, and a stall longer than
//!   1.5 × keep-alive makes the broker drop the connection; the unacked
//!   messages are then redelivered after reconnection.

use super::config::MqttSettings;
use crate::backoff::Backoff;
use crate::sources::{BadInputKind, Observation, ObservationKind, ObservationSink, excerpt};
use mes_protocols::Timestamp;
use mes_protocols::event::LinkState;
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, SubscribeFilter, SubscribeReasonCode,
    TlsConfiguration, Transport,
};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// Requests (acks, subscriptions) queued for the event loop, at most.
const REQUEST_CAPACITY: usize = 1024;
/// Largest packet read from the broker: the largest payload allowed plus
/// room for the topic and header. A larger packet is a protocol error for
/// rumqttc (the connection drops, and the broker redelivers it to the next
/// session), so messages over `max_payload_bytes` but within this are read,
/// counted as bad input and acknowledged instead.
const MAX_INCOMING_PACKET: usize = super::config::MAX_PAYLOAD_LIMIT + 64 * 1024 + 16;
/// How long a clean disconnect may take at shutdown.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs the MQTT source until `shutdown` is cancelled or the sink closes.
pub async fn run(settings: MqttSettings, sink: ObservationSink, shutdown: CancellationToken) {
    let (client, mut events) = AsyncClient::new(options(&settings), REQUEST_CAPACITY);
    let mut conn = Connection {
        backoff: Backoff::new(settings.reconnect_initial, settings.reconnect_max),
        settings,
        sink,
        client,
        link: None,
        resubscribe: false,
        acks: VecDeque::new(),
        shutdown: shutdown.clone(),
    };
    tracing::info!(
        broker = %format!("{}:{}", conn.settings.broker.host, conn.settings.broker.port),
        client_id = %conn.settings.client_id,
        subscriptions = conn.settings.router.subscriptions().len(),
        "MQTT source starting"
    );
    while conn.step(&mut events).await {}
    conn.disconnect(&mut events).await;
}

fn options(settings: &MqttSettings) -> MqttOptions {
    let broker = &settings.broker;
    let mut options = MqttOptions::new(settings.client_id.clone(), broker.host.clone(), broker.port);
    // Both are checked by the config parser (non-empty client id, keep-alive
    // of at least one second), which rumqttc would otherwise panic on.
    options
        .set_keep_alive(settings.keep_alive)
        .set_clean_session(settings.clean_session)
        .set_manual_acks(true)
        .set_max_packet_size(MAX_INCOMING_PACKET, MAX_INCOMING_PACKET);
    if let Some((user, password)) = &settings.credentials {
        options.set_credentials(user.clone(), password.expose());
    }
    if let Some(tls) = &broker.tls {
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls.clone())));
    }
    options
}

/// The state of the connection task between polls.
struct Connection {
    settings: MqttSettings,
    sink: ObservationSink,
    client: AsyncClient,
    backoff: Backoff,
    /// Last link state reported (`None` before the first attempt ends).
    link: Option<LinkState>,
    /// Subscriptions still to be queued for the current connection.
    resubscribe: bool,
    /// Handled messages, in order, waiting for their commit receipt (`None`:
    /// nothing to commit) and then for room in the request queue.
    acks: VecDeque<(Publish, Option<oneshot::Receiver<()>>)>,
    shutdown: CancellationToken,
}

impl Connection {
    /// Polls once and handles the event; false when the task should stop.
    async fn step(&mut self, events: &mut EventLoop) -> bool {
        self.queue_requests();
        let event = tokio::select! {
            biased;
            () = self.shutdown.cancelled() => return false,
            () = front_committed(&mut self.acks) => return true,
            event = events.poll() => event,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                tracing::info!(
                    session_present = ack.session_present,
                    "MQTT connected; subscribing"
                );
                self.backoff.reset();
                self.resubscribe = true;
                self.report_link(LinkState::Up, None).await
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => self.handle(publish).await,
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack
                    .return_codes
                    .iter()
                    .any(|c| matches!(c, SubscribeReasonCode::Failure))
                {
                    tracing::error!(codes = ?ack.return_codes, "the broker refused a subscription (check its ACL)");
                }
                true
            }
            Ok(_) => true,
            Err(error) => {
                // Acks belong to the connection that delivered the message.
                self.acks.clear();
                self.resubscribe = false;
                let delay = self.backoff.next_delay();
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "MQTT connection lost or refused");
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

    /// Maps one message, hands its observations to the sink, then acks it.
    async fn handle(&mut self, publish: Publish) -> bool {
        if publish.payload.len() > self.settings.max_payload {
            let reason = format!(
                "a payload of {} bytes is over mqtt.max_payload_bytes ({}); not mapped",
                publish.payload.len(),
                self.settings.max_payload
            );
            self.sink
                .bad_input(&publish.topic, BadInputKind::Payload, &publish.topic, &reason);
            // Acknowledged: redelivery would not make it smaller.
            self.acks.push_back((publish, None));
            self.queue_requests();
            return true;
        }
        let received = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
        let mapped = self
            .settings
            .router
            .map(&publish.topic, &publish.payload, received);
        for bad in &mapped.bad {
            let source = format!("topic {}, payload {:?}", publish.topic, excerpt(&publish.payload));
            self.sink.bad_input(&bad.device, bad.kind, &source, &bad.reason);
        }
        // The message is one snapshot: its receipt covers all its values.
        let mut receipt = None;
        if let Some(snapshot) = mapped.snapshot {
            receipt = self.send_with_receipt(snapshot).await;
            if receipt.is_none() {
                // Not acked: the broker redelivers it to the next session.
                return false;
            }
        }
        self.acks.push_back((publish, receipt));
        self.queue_requests();
        true
    }

    /// Queues pending subscriptions and acks without waiting: the event loop
    /// that drains the queue runs on this same task.
    fn queue_requests(&mut self) {
        if self.resubscribe {
            let filters = self
                .settings
                .router
                .subscriptions()
                .iter()
                .map(|s| SubscribeFilter::new(s.filter.mqtt_filter().to_string(), s.qos));
            match self.client.try_subscribe_many(filters) {
                Ok(()) => self.resubscribe = false,
                Err(e) => tracing::debug!(error = %e, "request queue full; subscribing on the next poll"),
            }
        }
        while let Some((publish, receipt)) = self.acks.front_mut() {
            match receipt.as_mut().map(|r| r.try_recv()) {
                None | Some(Ok(())) => {}
                Some(Err(oneshot::error::TryRecvError::Empty)) => break,
                Some(Err(oneshot::error::TryRecvError::Closed)) => {
                    // Not committed (buffer failure or shutdown): leave it
                    // unacknowledged so the broker redelivers it.
                    self.acks.pop_front();
                    continue;
                }
            }
            if self.client.try_ack(publish).is_err() {
                break;
            }
            self.acks.pop_front();
        }
    }

    async fn send_with_receipt(&self, observation: Observation) -> Option<oneshot::Receiver<()>> {
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => None,
            receipt = self.sink.send_with_receipt(observation) => receipt,
        }
    }

    async fn send(&self, observation: Observation) -> bool {
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => false,
            accepted = self.sink.send(observation) => {
                if !accepted {
                    tracing::info!("observation channel closed; MQTT source stopping");
                }
                accepted
            }
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

    /// Sends the acks still queued and a DISCONNECT, briefly; a persistent
    /// session keeps everything not acknowledged for the next start.
    async fn disconnect(mut self, events: &mut EventLoop) {
        if self.link != Some(LinkState::Up) {
            return;
        }
        self.resubscribe = false;
        self.queue_requests();
        if self.client.try_disconnect().is_err() {
            return;
        }
        let drain = async {
            loop {
                match events.poll().await {
                    Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        };
        if tokio::time::timeout(DISCONNECT_TIMEOUT, drain).await.is_err() {
            tracing::debug!("MQTT disconnect timed out");
        }
        tracing::info!("MQTT source stopped");
    }
}

/// Resolves when the oldest message waiting for its commit receipt gets it
/// (so its ack goes out without waiting for the next broker event); never
/// when nothing waits.
async fn front_committed(acks: &mut VecDeque<(Publish, Option<oneshot::Receiver<()>>)>) {
    let committed = match acks.front_mut().and_then(|(_, r)| r.as_mut()) {
        Some(receipt) => receipt.await.is_ok(),
        None => return std::future::pending().await,
    };
    if committed {
        // Consumed: mark it ready for `queue_requests`.
        if let Some((_, slot)) = acks.front_mut() {
            *slot = None;
        }
    } else {
        // Not committed: leave it unacknowledged for redelivery.
        acks.pop_front();
    }
}

//! The running OPC UA source: one task per server.
//!
//! # What it guarantees
//!
//! - **A session from scratch after every loss.** The task connects,
//!   resolves every tag's namespace URI against the server's
//!   NamespaceArray (a restarted server may have renumbered them), reads
//!   every tag once (so the state is right after a gap, whatever changed
//!   while the agent was away), then subscribes. When the connection is
//!   lost it reports the link down (the equipment goes offline), drops the
//!   session and starts over with backoff: subscriptions are never
//!   recovered with stale node ids.
//! - **One snapshot per notification batch** (a publish response of the
//!   subscription), one for the initial read and one per poll of the tags
//!   whose monitored item the server refused (they are read every
//!   publishing interval instead).
//! - **Bad or Uncertain is not a value**: such a DataValue is counted as bad
//!   input (reason `status`) and logged with the node and the status name,
//!   and the tag keeps its last value.
//! - **Backpressure**: notifications go through an unbounded channel (the
//!   library calls back synchronously); the server's publishing interval
//!   and queue size bound what arrives, and the sink's bounded channel makes
//!   this task, not the library's event loop, wait.

use super::config::{OpcuaSpec, OpcuaTag, Timestamps};
use super::session::{build_client, connect, read_limits, read_namespaces};
use super::value::{NoValue, tag_value, unix_millis};
use crate::backoff::Backoff;
use crate::sources::{BadInputKind, Observation, ObservationKind, ObservationSink, Origin, TagValue};
use mes_protocols::event::LinkState;
use mes_protocols::{Code, Timestamp};
use opcua::client::{Client, MonitoredItemMap, OnSubscriptionNotificationCore, Session};
use opcua::types::{
    DataChangeFilter, DataChangeNotification, DataChangeTrigger, DataValue, DeadbandType, ExtensionObject,
    MonitoredItemCreateRequest, MonitoringMode, MonitoringParameters, NodeId, NotificationMessage,
    ReadValueId, TimestampsToReturn,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Runs the source of one server until `shutdown`.
pub async fn run(spec: OpcuaSpec, sink: ObservationSink, shutdown: CancellationToken) {
    let mut source = Source {
        backoff: Backoff::new(spec.reconnect_initial, spec.reconnect_max),
        link: None,
        spec,
        sink,
    };
    let mut client = match build_client(&source.spec) {
        Ok(client) => client,
        Err(reason) => {
            tracing::error!(device = %source.spec.name, %reason, "OPC UA client cannot be set up; source stopped");
            source.report_link(LinkState::Down, Some(reason)).await;
            return;
        }
    };
    tracing::info!(device = %source.spec.name, endpoint = %source.spec.endpoint, "OPC UA source starting");
    loop {
        let reason = tokio::select! {
            biased;
            () = shutdown.cancelled() => return,
            ended = source.session(&mut client, &shutdown) => match ended {
                Ok(()) => return,
                Err(reason) => reason,
            },
        };
        let delay = source.backoff.next_delay();
        tracing::warn!(device = %source.spec.name, %reason, retry_in_ms = delay.as_millis() as u64, "OPC UA session lost or refused");
        if !source.report_link(LinkState::Down, Some(reason)).await {
            return;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

struct Source {
    spec: OpcuaSpec,
    sink: ObservationSink,
    backoff: Backoff,
    link: Option<LinkState>,
}

/// Forwards each notification's data changes (client handle and value) as
/// one batch.
struct Notifications(mpsc::UnboundedSender<Vec<(u32, DataValue)>>);

impl OnSubscriptionNotificationCore for Notifications {
    fn on_subscription_notification(
        &mut self,
        notification: NotificationMessage,
        _items: MonitoredItemMap<'_>,
    ) {
        let Some(data) = notification.notification_data else {
            return;
        };
        let mut batch = Vec::new();
        for object in data {
            if let Some(change) = object.into_inner_as::<DataChangeNotification>() {
                batch.extend(
                    change
                        .monitored_items
                        .into_iter()
                        .flatten()
                        .map(|item| (item.client_handle, item.value)),
                );
            }
        }
        if !batch.is_empty() {
            let _ = self.0.send(batch);
        }
    }
}

impl Source {
    /// One session, from connect to its loss (`Err`) or the shutdown.
    async fn session(&mut self, client: &mut Client, shutdown: &CancellationToken) -> Result<(), String> {
        let (session, mut lost, _driver) = connect(&self.spec, client).await?;
        let result = self.subscribed(&session, &mut lost, shutdown).await;
        if result.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(2), session.disconnect()).await;
        }
        result
    }

    /// Resolves, reads, subscribes, and forwards changes until the session
    /// is lost (`Err`) or the shutdown (`Ok`).
    async fn subscribed(
        &mut self,
        session: &Arc<Session>,
        lost: &mut mpsc::Receiver<String>,
        shutdown: &CancellationToken,
    ) -> Result<(), String> {
        let namespaces = read_namespaces(session).await?;
        let limits = read_limits(session).await;
        let nodes = self.resolve(&namespaces);
        // Every tag once: the state after a gap is the state now.
        let all: Vec<usize> = (0..self.spec.tags.len())
            .filter(|&i| nodes[i].is_some())
            .collect();
        let initial = self.read(session, &nodes, &all, limits.read).await?;
        self.backoff.reset();
        if !self.report_link(LinkState::Up, None).await
            || !self.send_batch(initial, "read after connect").await
        {
            return Ok(());
        }
        let (tx, mut notifications) = mpsc::unbounded_channel();
        let subscription = session
            .create_subscription(
                self.spec.publishing_interval,
                60,
                10,
                0,
                0,
                true,
                Notifications(tx),
            )
            .await
            .map_err(|e| format!("creating the subscription: {e}"))?;
        let polled = self
            .monitor(session, subscription, &nodes, &all, limits.monitored_items)
            .await?;
        tracing::info!(device = %self.spec.name, monitored = all.len() - polled.len(), polled = polled.len(), "OPC UA subscribed");
        let mut poll = tokio::time::interval(self.spec.publishing_interval);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return Ok(()),
                reason = lost.recv() => return Err(reason.unwrap_or_else(|| "the session ended".into())),
                batch = notifications.recv() => {
                    let Some(batch) = batch else { return Err("the subscription ended".into()) };
                    let batch = batch
                        .into_iter()
                        .filter_map(|(handle, dv)| Some((usize::try_from(handle).ok()?.checked_sub(1)?, dv)))
                        .filter(|(i, _)| *i < self.spec.tags.len())
                        .collect();
                    if !self.send_batch(batch, "subscription").await {
                        return Ok(());
                    }
                }
                _ = poll.tick(), if !polled.is_empty() => {
                    let batch = self.read(session, &nodes, &polled, limits.read).await?;
                    if !self.send_batch(batch, "poll").await {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Every tag's node id in this session; a namespace the server does not
    /// have is bad input (logged once per session) and its tag not read.
    fn resolve(&self, namespaces: &[String]) -> Vec<Option<NodeId>> {
        self.spec
            .tags
            .iter()
            .map(|tag| {
                let node = tag.node.resolve(namespaces);
                if node.is_none() {
                    self.sink.bad_input(
                        self.spec.name.as_str(),
                        BadInputKind::Register,
                        &format!("node {}", tag.node),
                        &format!(
                            "the server has no namespace {:?} (its namespaces: {}); tag {} is not read",
                            tag.node.uri().unwrap_or_default(),
                            namespaces.join(", "),
                            tag.name
                        ),
                    );
                }
                node
            })
            .collect()
    }

    fn item(&self, i: usize, node: NodeId) -> MonitoredItemCreateRequest {
        let tag = &self.spec.tags[i];
        let filter = match tag.deadband {
            Some(deadband) => ExtensionObject::from_message(DataChangeFilter {
                trigger: DataChangeTrigger::StatusValue,
                deadband_type: DeadbandType::Absolute as u32,
                deadband_value: deadband,
            }),
            None => ExtensionObject::null(),
        };
        MonitoredItemCreateRequest {
            item_to_monitor: ReadValueId::from(node),
            monitoring_mode: MonitoringMode::Reporting,
            requested_parameters: MonitoringParameters {
                client_handle: u32::try_from(i + 1).unwrap_or(u32::MAX),
                sampling_interval: self.spec.sampling_interval.as_secs_f64() * 1000.0,
                filter,
                queue_size: self.spec.queue_size,
                discard_oldest: true,
            },
        }
    }

    /// Monitors `tags` in `subscription`, at most `per_call` in one
    /// request; returns the tags whose monitored item the server refused
    /// (a server limit), which are read every publishing interval instead.
    async fn monitor(
        &self,
        session: &Session,
        subscription: u32,
        nodes: &[Option<NodeId>],
        tags: &[usize],
        per_call: usize,
    ) -> Result<Vec<usize>, String> {
        let tags: Vec<usize> = tags.iter().copied().filter(|&i| nodes[i].is_some()).collect();
        let mut polled = Vec::new();
        for chunk in tags.chunks(per_call.max(1)) {
            let requests: Vec<MonitoredItemCreateRequest> = chunk
                .iter()
                .filter_map(|&i| Some(self.item(i, nodes[i].clone()?)))
                .collect();
            let created = session
                .create_monitored_items(subscription, TimestampsToReturn::Both, requests)
                .await
                .map_err(|e| format!("creating monitored items: {e}"))?;
            if created.len() != chunk.len() {
                return Err(format!(
                    "creating monitored items: {} results for {} items",
                    created.len(),
                    chunk.len()
                ));
            }
            for (&i, c) in chunk.iter().zip(&created) {
                if !c.result.status_code.is_good() {
                    tracing::warn!(device = %self.spec.name, tag = %self.spec.tags[i].name, status = %c.result.status_code, "monitored item refused; the tag is polled");
                    polled.push(i);
                }
            }
        }
        Ok(polled)
    }

    /// Reads `tags` once, at most `per_call` nodes in one request.
    async fn read(
        &self,
        session: &Session,
        nodes: &[Option<NodeId>],
        tags: &[usize],
        per_call: usize,
    ) -> Result<Vec<(usize, DataValue)>, String> {
        let tags: Vec<usize> = tags.iter().copied().filter(|&i| nodes[i].is_some()).collect();
        let mut out = Vec::with_capacity(tags.len());
        for chunk in tags.chunks(per_call.max(1)) {
            let ids: Vec<ReadValueId> = chunk
                .iter()
                .filter_map(|&i| nodes[i].clone().map(ReadValueId::from))
                .collect();
            let values = session
                .read(&ids, TimestampsToReturn::Both, 0.0)
                .await
                .map_err(|e| format!("reading the tags: {e}"))?;
            if values.len() != chunk.len() {
                return Err(format!(
                    "reading the tags: {} values for {} nodes",
                    values.len(),
                    chunk.len()
                ));
            }
            out.extend(chunk.iter().copied().zip(values));
        }
        Ok(out)
    }

    /// One snapshot of `batch` (tag index, DataValue); false when the sink
    /// closed.
    async fn send_batch(&self, batch: Vec<(usize, DataValue)>, what: &str) -> bool {
        let received = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
        let mut at: Option<i64> = None;
        let mut values: Vec<(Code, TagValue)> = Vec::with_capacity(batch.len());
        for (i, dv) in batch {
            let tag: &OpcuaTag = &self.spec.tags[i];
            match tag_value(&dv, tag.index) {
                Ok(value) => {
                    let stamp = match self.spec.timestamps {
                        Timestamps::Received => None,
                        Timestamps::Source => dv.source_timestamp.as_ref().map(unix_millis),
                        Timestamps::Server => dv.server_timestamp.as_ref().map(unix_millis),
                    };
                    at = at.max(stamp);
                    values.push((tag.name.clone(), value));
                }
                Err(NoValue::Status(status)) => self.sink.bad_input(
                    self.spec.name.as_str(),
                    BadInputKind::Status,
                    &format!("node {}", tag.node),
                    &format!("tag {}: status {status} is not a value", tag.name),
                ),
                Err(NoValue::Unreadable(why)) => self.sink.bad_input(
                    self.spec.name.as_str(),
                    BadInputKind::Value,
                    &format!("node {}", tag.node),
                    &format!("tag {}: {why}", tag.name),
                ),
            }
        }
        let observation = Observation {
            device: self.spec.name.clone(),
            at: at.map_or(received, Timestamp::from_unix_millis),
            kind: ObservationKind::Snapshot {
                values,
                origin: Origin::Opcua {
                    endpoint: self.spec.endpoint.clone(),
                    what: what.to_string(),
                },
                received,
            },
        };
        self.sink.send(observation).await
    }

    async fn report_link(&mut self, state: LinkState, detail: Option<String>) -> bool {
        if self.link == Some(state) {
            return true;
        }
        self.link = Some(state);
        self.sink
            .send(Observation {
                device: self.spec.name.clone(),
                at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
                kind: ObservationKind::Link { state, detail },
            })
            .await
    }
}

//! The agent's Prometheus metrics, read at scrape time from the live
//! counters of the buffer, the uplink, the sources and the equipment
//! (`machines.rs`: Modbus polling, bad input, equipment states and parts).

mod machines;

use crate::buffer::BufferStats;
use crate::machines::MachineViews;
use crate::sources::SourceStats;
use crate::uplink::UplinkStats;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the metrics come from.
#[derive(Clone)]
pub struct Sources {
    /// The buffer's counters.
    pub buffer: Arc<BufferStats>,
    /// The uplink's counters.
    pub uplink: Arc<UplinkStats>,
    /// Equipment and Modbus views.
    pub machines: MachineViews,
    /// Bad input per device.
    pub inputs: Arc<SourceStats>,
}

/// Collects the agent's metrics on each scrape.
pub struct AgentCollector(Sources);

impl std::fmt::Debug for AgentCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgentCollector")
    }
}

/// A registry holding the agent's metrics.
pub fn registry(sources: Sources) -> Registry {
    let mut registry = Registry::with_prefix("mes_agent");
    registry.register_collector(Box::new(AgentCollector(sources)));
    registry
}

/// Renders the registry in the Prometheus text format.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, registry) {
        tracing::error!(error = %e, "cannot encode metrics");
    }
    out
}

pub(crate) fn counter(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: &AtomicU64,
) -> std::fmt::Result {
    let metric = ConstCounter::new(value.load(Ordering::Relaxed));
    metric.encode(enc.encode_descriptor(name, help, None, metric.metric_type())?)
}

pub(crate) fn gauge(enc: &mut DescriptorEncoder, name: &str, help: &str, value: f64) -> std::fmt::Result {
    let metric = ConstGauge::new(value);
    metric.encode(enc.encode_descriptor(name, help, None, metric.metric_type())?)
}

impl Collector for AgentCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> std::fmt::Result {
        let b = &self.0.buffer;
        let u = &self.0.uplink;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        gauge(
            &mut enc,
            "buffer_depth_events",
            "Events waiting for the hub's acknowledgement",
            get(&b.depth),
        )?;
        gauge(
            &mut enc,
            "buffer_bytes",
            "Bytes the buffer takes on disk (database pages in use + WAL)",
            get(&b.bytes),
        )?;
        gauge(
            &mut enc,
            "buffer_disk_free_bytes",
            "Free bytes on the buffer's filesystem",
            get(&b.disk_free_bytes),
        )?;
        gauge(
            &mut enc,
            "buffer_reserve_held",
            "1 while the disk reserve for acknowledgements is in place",
            if b.reserve_held.load(Ordering::Relaxed) {
                1.0
            } else {
                0.0
            },
        )?;
        gauge(
            &mut enc,
            "buffer_commit_failing",
            "1 while buffer commits fail (health is degraded)",
            if b.commit_error().is_some() { 1.0 } else { 0.0 },
        )?;
        let oldest = b.oldest_occurred_ms.load(Ordering::Relaxed);
        let age = if oldest == 0 {
            0.0
        } else {
            (now_ms() - oldest).max(0) as f64 / 1000.0
        };
        gauge(
            &mut enc,
            "buffer_oldest_unsynced_age_seconds",
            "Age of the oldest unsynced event",
            age,
        )?;
        counter(
            &mut enc,
            "buffer_appended_events",
            "Events committed to the buffer",
            &b.appended_total,
        )?;
        counter(
            &mut enc,
            "buffer_commits",
            "Buffer transactions committed (group commits)",
            &b.commits_total,
        )?;
        counter(
            &mut enc,
            "buffer_commit_errors",
            "Buffer commits that failed",
            &b.commit_errors_total,
        )?;
        counter(
            &mut enc,
            "buffer_dropped_events",
            "Events dropped by the overflow policy",
            &b.dropped_total,
        )?;
        counter(
            &mut enc,
            "buffer_refused_events",
            "Telemetry refused while the buffer was full",
            &b.refused_total,
        )?;
        counter(
            &mut enc,
            "sync_batches",
            "Batches acknowledged by the hub",
            &u.batches_total,
        )?;
        counter(
            &mut enc,
            "sync_events_stored",
            "Events the hub stored from this agent",
            &u.events_stored_total,
        )?;
        counter(&mut enc, "sync_retries", "Failed sync attempts", &u.retries_total)?;
        counter(
            &mut enc,
            "sync_incarnations_started",
            "New buffer incarnations started",
            &u.incarnations_started_total,
        )?;
        let offset = u.clock_offset_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        gauge(
            &mut enc,
            "clock_offset_seconds",
            "Hub clock minus agent clock",
            offset,
        )?;
        machines::encode(&mut enc, &self.0.machines, &self.0.inputs)
    }
}

fn now_ms() -> i64 {
    mes_protocols::Timestamp::from_datetime(time::OffsetDateTime::now_utc()).unix_millis()
}

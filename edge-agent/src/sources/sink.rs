//! The channel from sources to the equipment model, and the count of bad
//! input per device and reason (malformed payloads, undecodable registers,
//! exceptions, values of the wrong type for their use, messages for a
//! device without equipment).
//!
//! Backpressure: the channel is bounded. A source whose observations are not
//! taken blocks on `send`, which for a poller means the next poll starts late
//! rather than memory growing without bound; the equipment model only
//! appends to the local buffer, so this happens only if the disk stalls.

use super::Observation;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Observations waiting for the equipment model, at most.
const CHANNEL_CAPACITY: usize = 10_000;

/// Why input was bad, as a metric label (few values, so the metric stays
/// small); the log line says the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BadInputKind {
    /// A topic no subscription matches, or a device name the topic cannot make.
    Topic,
    /// A payload that is not UTF-8, empty, not JSON, too large, or with an
    /// unreadable timestamp.
    Payload,
    /// A configured field missing or of a JSON type that is no tag value.
    Field,
    /// A Modbus register that cannot be read or decoded.
    Register,
    /// A count that is not a non-negative integer, or over the sanity maximum.
    Count,
    /// A state value of the wrong type, or a state text no rule knows.
    State,
    /// A process value that is not a number.
    Value,
    /// A message for a device no equipment uses.
    NoEquipment,
}

impl BadInputKind {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            BadInputKind::Topic => "topic",
            BadInputKind::Payload => "payload",
            BadInputKind::Field => "field",
            BadInputKind::Register => "register",
            BadInputKind::Count => "count",
            BadInputKind::State => "state",
            BadInputKind::Value => "value",
            BadInputKind::NoEquipment => "no_equipment",
        }
    }
}

/// Counts of bad input per device and reason, for metrics and the status page.
#[derive(Debug, Default)]
pub struct SourceStats {
    bad: Mutex<BTreeMap<(String, BadInputKind), u64>>,
}

impl SourceStats {
    /// Bad inputs per device name (all reasons).
    pub fn bad_inputs(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for ((device, _), n) in self.by_reason() {
            *out.entry(device).or_insert(0) += n;
        }
        out
    }

    /// Bad inputs per device name and reason.
    pub fn by_reason(&self) -> BTreeMap<(String, BadInputKind), u64> {
        self.bad.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Counts one bad input (without logging).
    pub fn count(&self, device: &str, kind: BadInputKind) {
        *self
            .bad
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((device.to_string(), kind))
            .or_insert(0) += 1;
    }
}

/// An observation on its way to the equipment model, with an optional
/// receipt that fires once the events it produced (if any) are committed to
/// the buffer.
#[derive(Debug)]
pub struct Envelope {
    /// What was observed.
    pub observation: Observation,
    /// Fired after the commit that covers this observation.
    pub committed: Option<oneshot::Sender<()>>,
}

/// Where sources put what they observe.
#[derive(Clone)]
pub struct ObservationSink {
    tx: mpsc::Sender<Envelope>,
    stats: Arc<SourceStats>,
}

/// A sink and the receiving end for the equipment model.
pub fn observation_channel(stats: Arc<SourceStats>) -> (ObservationSink, mpsc::Receiver<Envelope>) {
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    (ObservationSink { tx, stats }, rx)
}

impl ObservationSink {
    /// Hands an observation to the equipment model; waits while the channel
    /// is full. Returns false when the model has stopped (shutdown).
    pub async fn send(&self, observation: Observation) -> bool {
        self.tx
            .send(Envelope {
                observation,
                committed: None,
            })
            .await
            .is_ok()
    }

    /// Like [`send`](Self::send), and returns a receipt that resolves once
    /// the observation (and everything sent before it) is durably committed
    /// to the buffer; it errors if the commit failed or the agent stopped
    /// first. `None` when the model has stopped. Sources whose devices
    /// redeliver unacknowledged data (MQTT QoS 1) acknowledge on the receipt.
    pub async fn send_with_receipt(&self, observation: Observation) -> Option<oneshot::Receiver<()>> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Envelope {
                observation,
                committed: Some(tx),
            })
            .await
            .ok()?;
        Some(rx)
    }

    /// Counts and logs bad input from `device` (`source` names where:
    /// a topic, a register), never failing.
    pub fn bad_input(&self, device: &str, kind: BadInputKind, source: &str, reason: &str) {
        self.stats.count(device, kind);
        tracing::warn!(
            device,
            source,
            reason,
            kind = kind.as_str(),
            "bad input counted and skipped"
        );
    }

    /// Counts bad input from `device` without logging (for a problem that
    /// repeats every poll and was already logged when it began).
    pub fn count_bad(&self, device: &str, kind: BadInputKind) {
        self.stats.count(device, kind);
    }

    /// The shared counters.
    pub fn stats(&self) -> &Arc<SourceStats> {
        &self.stats
    }
}

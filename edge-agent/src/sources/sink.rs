//! The channel from sources to the equipment model, and the per-device count
//! of bad input (malformed payloads, undecodable registers, exceptions).
//!
//! Backpressure: the channel is bounded. A source whose observations are not
//! taken blocks on `send`, which for a poller means the next poll starts late
//! rather than memory growing without bound; the equipment model only
//! appends to the local buffer, so this happens only if the disk stalls.

use super::Observation;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Observations waiting for the equipment model, at most.
const CHANNEL_CAPACITY: usize = 10_000;

/// Counts of bad input per device, for metrics and the status page.
#[derive(Debug, Default)]
pub struct SourceStats {
    bad: Mutex<BTreeMap<String, u64>>,
}

impl SourceStats {
    /// Bad inputs per device name.
    pub fn bad_inputs(&self) -> BTreeMap<String, u64> {
        self.bad.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Where sources put what they observe.
#[derive(Clone)]
pub struct ObservationSink {
    tx: mpsc::Sender<Observation>,
    stats: Arc<SourceStats>,
}

/// A sink and the receiving end for the equipment model.
pub fn observation_channel(stats: Arc<SourceStats>) -> (ObservationSink, mpsc::Receiver<Observation>) {
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    (ObservationSink { tx, stats }, rx)
}

impl ObservationSink {
    /// Hands an observation to the equipment model; waits while the channel
    /// is full. Returns false when the model has stopped (shutdown).
    pub async fn send(&self, observation: Observation) -> bool {
        self.tx.send(observation).await.is_ok()
    }

    /// Counts and logs bad input from `device` (`source` names where:
    /// a topic, a register), never failing.
    pub fn bad_input(&self, device: &str, source: &str, reason: &str) {
        *self
            .stats
            .bad
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(device.to_string())
            .or_insert(0) += 1;
        tracing::warn!(device, source, reason, "bad input counted and skipped");
    }

    /// Counts bad input from `device` without logging (for a problem that
    /// repeats every poll and was already logged when it began).
    pub fn count_bad(&self, device: &str) {
        *self
            .stats
            .bad
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(device.to_string())
            .or_insert(0) += 1;
    }

    /// The shared counters.
    pub fn stats(&self) -> &Arc<SourceStats> {
        &self.stats
    }
}

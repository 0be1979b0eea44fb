//! The channel from sources to the equipment model; it carries the
//! sources' live counters ([`SourceStats`]) so that whatever holds the sink
//! can count.
//!
//! Backpressure: the channel is bounded. A source whose observations are not
//! taken blocks on `send`, which for a poller means the next poll starts late
//! rather than memory growing without bound; the equipment model only
//! appends to the local buffer, so this happens only if the disk stalls.

use super::Observation;
use super::stats::{BadInputKind, SourceStats};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Observations waiting for the equipment model, at most.
const CHANNEL_CAPACITY: usize = 10_000;

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

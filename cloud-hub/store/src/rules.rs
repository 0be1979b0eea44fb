//! The parts of storing a batch that do not touch a database, shared by both
//! backends so that they count and describe things the same way.
//!
//! Per (agent, incarnation) the hub keeps `acked_seq`: every number up to it
//! is stored or was reported dropped. A batch must start at or before
//! `acked_seq + 1` (else `sequence_gap`); the part at or below `acked_seq`
//! must be the very events already stored (else `sequence_conflict`) and is
//! skipped; the rest is inserted. An event id already stored under another
//! incarnation (a buffer that was renumbered) counts as a duplicate. A
//! rejected batch stores nothing and leaves an anomaly for a person to see.

use super::IngestRejection;
use crate::batch::IngestBatch;
use mes_protocols::Seq;

/// Anomaly kind recorded when a known agent starts a new buffer incarnation.
pub(crate) const NEW_INCARNATION: &str = "new_incarnation";

/// The gap `batch` leaves after the `acked` numbers stored for its
/// incarnation (its first number is beyond the next one), if any: such a
/// batch is refused whole, so the agent resends from `acked + 1`.
pub(crate) fn gap(batch: &IngestBatch, acked: u64) -> Option<IngestRejection> {
    (batch.first_seq.0 > acked.saturating_add(1)).then_some(IngestRejection::Gap {
        acked: Seq(acked),
        first: batch.first_seq,
    })
}

/// Numbers of the batch's `dropped` ranges above `acked`, i.e. not counted
/// by an earlier batch of the same incarnation.
pub(crate) fn dropped_after(batch: &IngestBatch, acked: u64) -> u64 {
    batch
        .dropped
        .iter()
        .filter(|r| r.last.0 > acked)
        .map(|r| r.last.0 - r.first.0.max(acked + 1) + 1)
        .sum()
}

/// The anomaly text of a new incarnation, logged as a warning too.
pub(crate) fn new_incarnation_detail(batch: &IngestBatch) -> String {
    tracing::warn!(
        agent = %batch.agent_id, incarnation = %batch.incarnation,
        "agent started a new buffer incarnation"
    );
    format!(
        "buffer incarnation {} started at sequence {}",
        batch.incarnation, batch.first_seq
    )
}

/// The anomaly kind and text of a rejected batch, logged as a warning too.
pub(crate) fn rejection_anomaly(batch: &IngestBatch, rejection: &IngestRejection) -> (&'static str, String) {
    let (kind, detail) = match rejection {
        IngestRejection::Gap { acked, first } => (
            "sequence_gap",
            format!(
                "incarnation {}: hub has up to {acked}, batch starts at {first}",
                batch.incarnation
            ),
        ),
        IngestRejection::Conflict { acked, seq } => (
            "sequence_conflict",
            format!(
                "incarnation {}: sequence {seq} (stored up to {acked}) carries a different event",
                batch.incarnation
            ),
        ),
    };
    tracing::warn!(agent = %batch.agent_id, kind, detail, "batch rejected");
    (kind, detail)
}

/// Anomaly kind recorded when a batch holds events dated beyond
/// [`FUTURE_BOUND_MS`] after the hub's now (in hub time).
pub(crate) const EVENTS_FROM_THE_FUTURE: &str = "events_from_the_future";

/// A measured clock offset within this of the correction already applied
/// is noise (network latency, a few hundred ms of drift) and changes
/// nothing; beyond it the agent's clock really moved.
pub const CLOCK_TOLERANCE_MS: i64 = 2_000;

/// An event dated (in hub time) more than this after the hub's now is
/// flagged as from the future.
pub const FUTURE_BOUND_MS: i64 = 5 * 60_000;

/// The correction the hub applies to an agent's event times (hub time =
/// agent stamp + correction): the one applied so far, unless this batch's
/// measurement (hub receipt − batch `sent_at`) differs from it by more than
/// [`CLOCK_TOLERANCE_MS`], in which case the measurement. A correction that
/// only moves on real clock changes never reorders one agent's events by
/// network jitter.
pub fn clock_correction(applied: i64, measured: Option<i64>) -> i64 {
    match measured {
        Some(m) if (m - applied).abs() > CLOCK_TOLERANCE_MS => m,
        _ => applied,
    }
}

/// Whether an event dated `occurred_at` (hub time) is from the future at
/// the hub's `now`.
pub(crate) fn from_the_future(occurred_at: i64, now: i64) -> bool {
    occurred_at > now.saturating_add(FUTURE_BOUND_MS)
}

/// The anomaly text of a batch with `future` events from the future.
pub(crate) fn future_detail(batch: &IngestBatch, future: u64, correction: i64) -> String {
    tracing::warn!(
        agent = %batch.agent_id, future, correction_ms = correction,
        "batch holds events dated in the future"
    );
    format!(
        "{future} events of sequence {}..={} are dated more than {} minutes after the hub's clock (clock correction {correction} ms)",
        batch.first_seq,
        batch.last_seq,
        FUTURE_BOUND_MS / 60_000
    )
}

#[cfg(test)]
mod clock_tests {
    use super::{CLOCK_TOLERANCE_MS, clock_correction};

    #[test]
    fn jitter_keeps_the_correction_and_a_real_change_replaces_it() {
        assert_eq!(clock_correction(0, None), 0);
        assert_eq!(clock_correction(0, Some(150)), 0, "latency is not skew");
        assert_eq!(clock_correction(0, Some(-CLOCK_TOLERANCE_MS)), 0);
        assert_eq!(clock_correction(0, Some(600_000)), 600_000, "10 min behind");
        assert_eq!(clock_correction(600_000, Some(600_900)), 600_000);
        assert_eq!(
            clock_correction(600_000, Some(1_000)),
            1_000,
            "the gateway's clock was set"
        );
    }
}

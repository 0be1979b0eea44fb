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
use crate::ingest::IngestBatch;

/// Anomaly kind recorded when a known agent starts a new buffer incarnation.
pub(crate) const NEW_INCARNATION: &str = "new_incarnation";

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

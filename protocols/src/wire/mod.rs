//! The edge-to-hub sync wire format, version [`SCHEMA_VERSION`].
//!
//! An agent sends its buffered events as one JSON [batch](BatchHeader),
//! usually gzip-compressed, to `POST /api/v1/ingest`; the hub answers with a
//! [`SyncAck`] naming the highest sequence number it has durably stored for
//! that agent and incarnation, or with an [`ApiError`]. The full contract,
//! with examples, is `protocols/SYNC_PROTOCOL.md`.

mod compress;
mod decode;
mod encode;
mod shape;
#[cfg(test)]
mod tests;

pub use compress::{DecompressError, gunzip_limited, gzip};
pub use decode::{BatchError, BatchErrorCode, DecodedBatch, DecodedEvent, MAX_SEQ, decode_batch};
pub use encode::encode_batch;
pub use shape::{MAX_EVENT_BYTES, MAX_EVENT_DEPTH, ShapeError, check_event_shape};

use crate::ids::{AgentId, Incarnation, Seq, SeqRange};
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// The version of this wire format. A hub rejects batches of a version it
/// does not speak with `unsupported_schema_version`.
pub const SCHEMA_VERSION: u32 = 1;

/// Most events one batch may carry; larger batches get 413.
pub const MAX_EVENTS_PER_BATCH: usize = 10_000;

/// Everything in a batch except its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchHeader {
    /// Always [`SCHEMA_VERSION`] for this format.
    pub schema_version: u32,
    /// The sending agent; must match the agent of the bearer token.
    pub agent_id: AgentId,
    /// The life of the agent's buffer these sequence numbers belong to.
    pub incarnation: Incarnation,
    /// First sequence number covered by this batch.
    pub first_seq: Seq,
    /// Last sequence number covered by this batch (inclusive).
    pub last_seq: Seq,
    /// Ranges inside `first_seq..=last_seq` whose events the agent dropped
    /// under its overflow policy; together with the events they cover the
    /// whole range exactly once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<SeqRange>,
    /// The agent's buffer health, reported on every batch.
    pub buffer: BufferReport,
    /// When the agent sent the batch, by its clock.
    pub sent_at: Timestamp,
}

/// The agent's buffer health as it reports it to the hub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BufferReport {
    /// Events waiting in the buffer, including this batch's.
    pub depth: u64,
    /// Events dropped by the overflow policy since the buffer was created.
    pub dropped_total: u64,
    /// Telemetry refused because the buffer was full, since it was created.
    pub refused_total: u64,
}

/// The hub's answer to a stored (or already stored) batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncAck {
    /// The agent the batch came from.
    pub agent_id: AgentId,
    /// The incarnation the acknowledgement is for.
    pub incarnation: Incarnation,
    /// Every event of this agent and incarnation up to this sequence number
    /// is durably stored; the agent may delete them. 0 means none yet.
    pub acked_seq: Seq,
    /// Events of this batch stored now.
    pub stored: u64,
    /// Events of this batch that were already stored (a retry).
    pub duplicates: u64,
    /// The hub's clock when it answered.
    pub hub_time: Timestamp,
}

/// The JSON body of every error answer of the hub's API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// The error.
    pub error: ApiErrorDetail,
}

/// What went wrong, for machines (`code`) and people (`message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorDetail {
    /// Stable machine-readable code (`sequence_gap`, `unauthorized`).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// The offending request field, when one is to blame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For sequence errors: the highest sequence number the hub has stored
    /// for the batch's agent and incarnation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acked_seq: Option<Seq>,
}

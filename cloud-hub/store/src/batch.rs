//! A batch of agent events as the store takes it: decoded and checked by
//! the hub's ingest route (`cloud-hub/src/ingest.rs`), copied into owned rows.

use mes_protocols::wire::BufferReport;
use mes_protocols::{AgentId, Incarnation, Seq, SeqRange};

/// A batch ready to store.
#[derive(Debug, Clone)]
pub struct IngestBatch {
    /// The agent named in the batch.
    pub agent_id: AgentId,
    /// Its buffer incarnation.
    pub incarnation: Incarnation,
    /// First number covered.
    pub first_seq: Seq,
    /// Last number covered.
    pub last_seq: Seq,
    /// Numbers the agent dropped.
    pub dropped: Vec<SeqRange>,
    /// The agent's buffer report.
    pub buffer: BufferReport,
    /// The events, ascending.
    pub events: Vec<IngestEvent>,
    /// When the agent sent the batch, by its clock.
    pub sent_at: mes_protocols::Timestamp,
    /// The agent's clock offset measured on this batch: the hub's clock at
    /// receipt minus `sent_at`, in ms (positive: the agent is behind). Set
    /// by the ingest route; `None` means not measured (keeps the agent's
    /// clock correction as it is).
    pub clock_offset_ms: Option<i64>,
}

/// One event ready to store.
#[derive(Debug, Clone)]
pub struct IngestEvent {
    /// Its number.
    pub seq: Seq,
    /// Its id, as 16 bytes.
    pub event_id: [u8; 16],
    /// Its kind's wire name.
    pub kind: String,
    /// Whether this hub knows the kind (else it is kept raw, flagged).
    pub known: bool,
    /// When it happened, unix ms.
    pub occurred_at: i64,
    /// The event JSON as sent.
    pub raw: String,
}

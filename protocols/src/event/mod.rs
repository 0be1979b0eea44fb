//! The shop-floor event model: every observation the agent makes is one
//! [`Event`], a header plus a typed [`EventBody`].
//!
//! An event is born as an [`EventDraft`] (no sequence number yet); the edge
//! buffer assigns its [`Seq`](crate::Seq) when it commits it, which turns it
//! into an [`Event`]. The wire shape of an event is documented in
//! `protocols/SYNC_PROTOCOL.md`.

mod body;
mod validate;

pub use body::*;

use crate::code::Code;
use crate::field_error::FieldError;
use crate::ids::{EventId, Seq};
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// Who observed an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Source {
    /// A PLC or device the agent reads (Modbus, MQTT), by its configured name.
    Device(Code),
    /// An operator station, by its configured name.
    Station(Code),
    /// A subsystem of the agent itself (`buffer`, `generator`, `uplink`).
    Subsystem(Code),
}

/// The part of an event that is the same for every kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventHeader {
    /// Per-agent sequence number, assigned at commit to the buffer.
    pub seq: Seq,
    /// Globally unique id (UUID v7), assigned when the event was observed.
    pub id: EventId,
    /// When it happened, by the agent's clock.
    pub occurred_at: Timestamp,
    /// Who observed it.
    pub source: Source,
}

/// An event before the buffer has given it a sequence number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDraft {
    /// Globally unique id (UUID v7).
    pub id: EventId,
    /// When it happened, by the agent's clock.
    pub occurred_at: Timestamp,
    /// Who observed it.
    pub source: Source,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

impl EventDraft {
    /// A draft with a fresh id, observed at `occurred_at` by `source`.
    pub fn new(occurred_at: Timestamp, source: Source, body: EventBody) -> Self {
        Self {
            id: EventId::new_v7(),
            occurred_at,
            source,
            body,
        }
    }

    /// Checks the rules serde cannot express (cross-field constraints,
    /// positive quantities); the error names the offending field.
    pub fn validate(&self) -> Result<(), FieldError> {
        self.body.validate().map_err(|e| e.within("data"))
    }

    /// The JSON record the edge buffer stores: the wire event without its
    /// `seq`, which the uplink adds in front when it sends the event.
    pub fn to_record_json(&self) -> String {
        serde_json::to_string(self)
            .expect("an event draft always serializes: it has no maps with non-string keys")
    }

    /// The event this draft becomes once committed with `seq`.
    pub fn into_event(self, seq: Seq) -> Event {
        Event {
            header: EventHeader {
                seq,
                id: self.id,
                occurred_at: self.occurred_at,
                source: self.source,
            },
            body: self.body,
        }
    }
}

/// A committed event: header plus body.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Sequence number, id, time and source.
    pub header: EventHeader,
    /// What happened.
    pub body: EventBody,
}

impl Event {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        self.body.kind()
    }
}

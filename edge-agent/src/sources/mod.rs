//! Machine data sources: each protocol is a folder with the same shape
//! (`config.rs`, the running task, tests beside it) and hands what it reads
//! to the equipment model as [`Observation`]s through an [`ObservationSink`].
//!
//! Sources do protocol work only (connect, poll or subscribe, decode, apply
//! deadband); what a tag *means* (state, count, process value) is the
//! equipment model's business (`crate::equipment`).

pub mod modbus;
pub mod mqtt;
mod sink;
mod value;

pub use sink::{Envelope, ObservationSink, SourceStats, observation_channel};
pub use value::TagValue;

use mes_protocols::event::LinkState;
use mes_protocols::{Code, Timestamp};

/// One thing a source observed on a device.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The device (configured name, or the name an MQTT topic resolved to).
    pub device: Code,
    /// When it was observed (the device's own timestamp when it sends one).
    pub at: Timestamp,
    /// What was observed.
    pub kind: ObservationKind,
}

/// What a source observed.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationKind {
    /// A tag's value (scaled, after deadband).
    Tag {
        /// The tag's configured name.
        tag: Code,
        /// Its value.
        value: TagValue,
    },
    /// The device's communication link went up or down.
    Link {
        /// Up or down.
        state: LinkState,
        /// What failed, for `down` (timeout, refused, exception).
        detail: Option<String>,
    },
}

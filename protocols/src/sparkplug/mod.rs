//! Sparkplug B: everything about it that is not I/O.
//!
//! Sparkplug B is MQTT with a fixed topic namespace and protobuf payloads,
//! spoken by SCADA systems (Ignition and others) and edge gateways. The
//! agent consumes it as a host application and publishes as an edge node,
//! and machine-sim publishes as one; all of them use this module.
//!
//! - `proto.rs`: the message types generated at build time from the
//!   Eclipse Tahu `proto/sparkplug_b.proto` (protox + prost-build, no
//!   `protoc`).
//! - [`payload`](decode): bytes to a typed [`Payload`] and back
//!   ([`decode`], [`encode`]); a metric's value read by its [`DataType`]
//!   ([`read_value`]: Int8 -1 arrives as `u32` 0xFFFF_FFFF).
//! - [`Topic`]: `spBv1.0/<group>/<type>/<node>[/<device>]` and `STATE`.
//! - [`Tracker`]: the host's memory of births, aliases, `seq` and `bdSeq`
//!   per node and device; it says what each message means ([`Outcome`]:
//!   births, deaths, values, anomalies, whether to request a rebirth).
//! - [`EdgeNode`]: the other side, what an edge node says: its topics,
//!   `bdSeq` and `seq`, the NBIRTH and NDEATH ([`node_birth`],
//!   [`node_death`]), device metrics numbered by [`Aliases`] into
//!   [`MetricDef`]s (as births and as data carry them), and whether an NCMD
//!   asks for a rebirth ([`rebirth_requested`]). The agent's edge node and
//!   machine-sim's both publish through it.
//!
//! Nothing here panics on input: malformed protobuf is a [`DecodeError`]
//! (property-tested), a bad metric an [`Anomaly`].

mod node;
mod payload;
mod proto;
mod session;
mod topic;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use node::{Aliases, EdgeNode, MetricDef, REBIRTH_ALIAS, node_birth, node_death, rebirth_requested};
pub use payload::{
    DataType, DecodeError, Metric, MetricValue, Payload, RawValue, ValueError, decode, encode, read_value,
};
pub use session::{Anomaly, BD_SEQ, Change, Outcome, REBIRTH, Source, Tracker};
pub use topic::{MessageType, NAMESPACE, Topic, TopicError, id};

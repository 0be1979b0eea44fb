//! Sparkplug B: everything about it that is not I/O.
//!
//! Sparkplug B is MQTT with a fixed topic namespace and protobuf payloads,
//! spoken by SCADA systems (Ignition and others) and edge gateways. The
//! agent consumes it as a host application and publishes as an edge node;
//! both use this module.
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
//!
//! Nothing here panics on input: malformed protobuf is a [`DecodeError`]
//! (property-tested), a bad metric an [`Anomaly`].

mod payload;
mod proto;
mod session;
mod topic;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use payload::{
    DataType, DecodeError, Metric, MetricValue, Payload, RawValue, ValueError, decode, encode, read_value,
};
pub use session::{Anomaly, BD_SEQ, Change, Outcome, REBIRTH, Source, Tracker};
pub use topic::{MessageType, NAMESPACE, Topic, TopicError, id};

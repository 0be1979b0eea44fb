//! Machine data sources: each protocol is a folder with the same shape
//! (`config.rs` parsed into its spec, the running task, tests beside it)
//! and hands what it reads to the equipment model as [`Observation`]s
//! through an [`ObservationSink`].
//!
//! **One contract starts every source**: a [`SourceSpec`] (what the
//! configuration made of the protocol's section) goes to [`start`] with
//! the sink and the shutdown signal; the protocol spawns its tasks, which
//! end when the shutdown is cancelled or the sink closes. How to add a
//! protocol: a folder `sources/<protocol>/` with its
//! config and task, a variant of [`SourceSpec`], its arm in [`start`], and
//! its section parsed into that variant in `machines/spec.rs`. Counters of
//! its own, if any, are a field of [`SourceStats`].
//!
//! Sources do protocol work only (connect, poll or subscribe, decode, apply
//! deadband); what a tag *means* (state, count, process value) is the
//! equipment model's business (`crate::equipment`).

pub mod modbus;
pub mod mqtt;
pub mod opcua;
mod sink;
pub mod sparkplug;
mod stats;
mod value;

pub use sink::{Envelope, ObservationSink, observation_channel};
pub use stats::{BadInputKind, SourceStats};
pub use value::TagValue;

use mes_protocols::event::LinkState;
use mes_protocols::{Code, Timestamp};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// A configured machine-data source, ready to [`start`].
#[derive(Debug, Clone)]
pub enum SourceSpec {
    /// Every Modbus device. They start together: RTU devices on one serial
    /// port share its bus.
    Modbus(Vec<modbus::DeviceSpec>),
    /// One MQTT broker connection and its subscriptions.
    Mqtt(mqtt::MqttSettings),
    /// Every OPC UA server, one session each.
    Opcua(Vec<opcua::OpcuaSpec>),
    /// One Sparkplug B group consumed as a host application.
    Sparkplug(sparkplug::SparkplugSettings),
}

/// Starts `spec`: spawns its tasks into `tasks`, feeding `sink` until
/// `shutdown` is cancelled (or the sink closes).
pub fn start(
    spec: SourceSpec,
    sink: &ObservationSink,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<()>,
) {
    match spec {
        SourceSpec::Modbus(devices) => modbus::start(devices, sink, shutdown, tasks),
        SourceSpec::Mqtt(settings) => mqtt::start(settings, sink, shutdown, tasks),
        SourceSpec::Opcua(servers) => opcua::start(servers, sink, shutdown, tasks),
        SourceSpec::Sparkplug(settings) => sparkplug::start(settings, sink, shutdown, tasks),
    }
}

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
    /// Tag values read together, in one consistent snapshot: all tags of
    /// one Modbus poll group read, or all fields of one MQTT message. The
    /// equipment model applies a snapshot whole and evaluates its rules
    /// once, so a state never reflects half of a read. It also proves the
    /// device answered: a snapshot may be empty (a Modbus poll where no
    /// value changed) and still keeps the equipment online.
    Snapshot {
        /// Tag values (scaled, after deadband: unchanged values are left out).
        values: Vec<(Code, TagValue)>,
        /// Where the values came from, for the log of bad input.
        origin: Origin,
        /// When the agent received it, by the agent's clock. Liveness (an
        /// equipment going offline after `offline_after_secs` of silence)
        /// is measured by this, never by `at`: a device's own clock may be
        /// off by minutes, which made every message look old.
        received: Timestamp,
    },
    /// The device's communication link went up or down.
    Link {
        /// Up or down.
        state: LinkState,
        /// What failed, for `down` (timeout, refused, exception).
        detail: Option<String>,
    },
}

/// Where a snapshot came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// One read of a Modbus poll group.
    Poll {
        /// The poll group's name.
        group: String,
    },
    /// One MQTT message.
    Message {
        /// Its topic.
        topic: String,
        /// The start of its payload, as text (for the log).
        excerpt: String,
    },
    /// One Sparkplug B message (its metrics, or its historical metrics of
    /// one timestamp). A snapshot of a device no equipment uses is not
    /// counted as bad input: a Sparkplug group carries every device of the
    /// plant, most of them of no interest to the MES.
    Sparkplug {
        /// Its topic.
        topic: String,
    },
    /// An OPC UA read or notification batch of one server.
    Opcua {
        /// The server's endpoint.
        endpoint: String,
        /// `subscription`, `poll` or `read after connect`.
        what: String,
    },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Poll { group } => write!(f, "poll group {group}"),
            Origin::Message { topic, excerpt } => write!(f, "topic {topic}, payload {excerpt:?}"),
            Origin::Sparkplug { topic } => write!(f, "Sparkplug topic {topic}"),
            Origin::Opcua { endpoint, what } => write!(f, "OPC UA {endpoint} ({what})"),
        }
    }
}

/// The first bytes of a payload as text, for logs (at most 120 bytes, lossy
/// UTF-8, cut on a character boundary).
pub fn excerpt(payload: &[u8]) -> String {
    const MAX: usize = 120;
    let text = String::from_utf8_lossy(&payload[..payload.len().min(MAX)]);
    if payload.len() > MAX {
        format!("{text}…")
    } else {
        text.into_owned()
    }
}

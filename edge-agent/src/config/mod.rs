//! The agent's configuration: one TOML file, every key documented in
//! `config/edge-agent.toml`. Defaults let the agent run with no file at all
//! (buffering locally, uplink off until an agent id and token are given).

mod cross_check;
mod load;

pub use load::{ENV_AGENT_ID, ENV_AGENT_TOKEN, ENV_HUB_URL, Loaded, load, load_from_str};

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The whole agent configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    /// How the agent reaches the hub.
    pub hub: crate::hub::HubConfig,
    /// The durable event buffer.
    pub buffer: BufferConfig,
    /// The agent's own HTTP server (health, metrics, local event intake).
    pub http: HttpConfig,
    /// The built-in event generator for demos (replaced by real machines).
    pub generator: GeneratorConfig,
    /// Modbus TCP/RTU devices to poll (`[[modbus]]` tables).
    pub modbus: Vec<crate::sources::modbus::ModbusDeviceConfig>,
    /// Equipment: which device tags give state, counts and process values
    /// (`[[equipment]]` tables).
    pub equipment: Vec<crate::equipment::EquipmentConfig>,
    /// The MQTT broker and its subscriptions (`[mqtt]`).
    pub mqtt: Option<crate::sources::mqtt::MqttConfig>,
    /// Pulling master data and orders from the hub (`[downlink]`).
    pub downlink: crate::downlink::DownlinkConfig,
    /// How the site's barcodes look: badge, order and lot prefixes, GS1
    /// separator substitute (`[scan]`).
    pub scan: mes_protocols::barcode::ScanConfig,
    /// Operator stations (`[[station]]` tables).
    pub station: Vec<crate::station::StationConfig>,
    /// How the agent records that it runs, so that a time it was down is
    /// reported (`[liveness]`).
    pub liveness: crate::liveness::LivenessConfig,
}

/// What to do when the buffer reaches its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowPolicy {
    /// Delete the oldest unsynced process-value samples to make room; never
    /// state, count, operation, scan or clock events.
    DropOldestTelemetry,
    /// Refuse new process-value samples while full; keep everything stored.
    RefuseTelemetry,
}

/// The durable SQLite buffer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BufferConfig {
    /// Path of the SQLite buffer file (created on first start).
    pub path: PathBuf,
    /// Most space the buffer takes on disk, in MiB: database pages in use
    /// plus the write-ahead log. State, count, operation, scan and clock
    /// events are always accepted; the policy applies to telemetry.
    pub max_size_mb: u64,
    /// What to do when the limit or the free-space floor is reached.
    pub overflow_policy: OverflowPolicy,
    /// Free space, in MiB, to keep on the buffer's filesystem: below it the
    /// overflow policy acts as at `max_size_mb` (0: no floor).
    pub min_free_mb: u64,
    /// A file of this many MiB kept beside the buffer (`<path>-reserve`) and
    /// given up when the disk is full so the hub's acknowledgements can
    /// still be recorded, which frees space (0: none).
    pub reserve_mb: u64,
}

impl Default for BufferConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("edge-agent-buffer.db"),
            max_size_mb: 1024,
            overflow_policy: OverflowPolicy::DropOldestTelemetry,
            min_free_mb: 64,
            reserve_mb: 16,
        }
    }
}

/// The agent's HTTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to listen on. Keep it on loopback or the factory LAN: the
    /// local event intake has no authentication of its own.
    pub listen: SocketAddr,
    /// Accept events without an `id` at the local intake (`POST
    /// /local/v1/events`) and give them a fresh one. Off by default: the
    /// producer's own id is what lets a retried event be stored once; without
    /// it a retry after a lost answer stores a second copy (at-least-once).
    pub intake_allow_missing_id: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            intake_allow_missing_id: false,
        }
    }
}

/// The demo event generator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeneratorConfig {
    /// Generate simulated machine events.
    pub enabled: bool,
    /// Events per second, over all equipment.
    pub events_per_sec: u32,
    /// Names of the simulated equipment.
    pub equipment: Vec<String>,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            events_per_sec: 20,
            equipment: vec!["press-1".into(), "lathe-1".into(), "mill-1".into()],
        }
    }
}

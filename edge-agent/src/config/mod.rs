//! The agent's configuration: one TOML file, every key documented in
//! `config/edge-agent.toml`. Defaults let the agent run with no file at all
//! (buffering locally, uplink off until an agent id and token are given).
//!
//! Each section belongs to the part that uses it, which declares it and
//! parses it into its spec (`hub::HubConfig` → `HubSpec`,
//! `buffer::BufferConfig` → `BufferSettings`, the machine sections →
//! `machines::MachineSpec`, ...). This module only composes them: the
//! file's shape ([`AgentConfig`]), environment overrides, and one parse of
//! every section into an [`AgentSpec`] (`load.rs`). It depends on the parts;
//! no part depends on it.

mod load;
mod spec;

pub use load::{ENV_AGENT_ID, ENV_AGENT_TOKEN, ENV_HUB_URL, Loaded, load, load_from_str};
pub use spec::AgentSpec;

use serde::Deserialize;

/// The whole agent configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    /// How the agent reaches the hub.
    pub hub: crate::hub::HubConfig,
    /// The durable event buffer.
    pub buffer: crate::buffer::BufferConfig,
    /// The agent's own HTTP server (health, metrics, local event intake).
    pub http: crate::local_api::HttpConfig,
    /// The built-in event generator for demos (replaced by real machines).
    pub generator: crate::generator::GeneratorConfig,
    /// Modbus TCP/RTU devices to poll (`[[modbus]]` tables).
    pub modbus: Vec<crate::sources::modbus::ModbusDeviceConfig>,
    /// Equipment: which device tags give state, counts and process values
    /// (`[[equipment]]` tables).
    pub equipment: Vec<crate::equipment::EquipmentConfig>,
    /// The MQTT broker and its subscriptions (`[mqtt]`).
    pub mqtt: Option<crate::sources::mqtt::MqttConfig>,
    /// OPC UA servers to subscribe to (`[[opcua]]` tables).
    pub opcua: Vec<crate::sources::opcua::OpcuaConfig>,
    /// A Sparkplug B group consumed as a host application (`[sparkplug]`).
    pub sparkplug: Option<crate::sources::sparkplug::SparkplugConfig>,
    /// The agent's own Sparkplug B edge node, publishing what the MES sees
    /// of every equipment (`[sparkplug_node]`).
    pub sparkplug_node: Option<crate::sparkplug_node::SparkplugNodeConfig>,
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

//! The configuration parsed once: what each part of the agent runs from.

use crate::buffer::BufferSettings;
use crate::downlink::DownlinkConfig;
use crate::generator::GeneratorConfig;
use crate::hub::HubSpec;
use crate::liveness::LivenessConfig;
use crate::local_api::HttpConfig;
use crate::machines::MachineSpec;
use crate::station::StationsSpec;

/// Every part's checked configuration; `app::run` hands each its own.
#[derive(Debug, Clone)]
pub struct AgentSpec {
    /// The hub: URL, credentials, uplink settings.
    pub hub: HubSpec,
    /// The buffer file and its limits.
    pub buffer: BufferSettings,
    /// The agent's own HTTP server.
    pub http: HttpConfig,
    /// The demo event generator.
    pub generator: GeneratorConfig,
    /// Machine data: sources and equipment.
    pub machines: MachineSpec,
    /// Pulling master data from the hub.
    pub downlink: DownlinkConfig,
    /// Operator stations and the scan parser.
    pub stations: StationsSpec,
    /// The heartbeat and outage threshold.
    pub liveness: LivenessConfig,
    /// The agent's own Sparkplug B edge node, when configured.
    pub sparkplug_node: Option<crate::sparkplug_node::SparkplugNodeSpec>,
}

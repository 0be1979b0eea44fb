//! The simulator's configuration: what the TOML file (and the command line,
//! through `main.rs`) may say, with the defaults documented field by field.
//! `config/machine-sim.toml` is the commented example of every key.
//!
//! This module only describes and parses; turning the description into
//! checked machines and layouts is `resolve.rs`'s job.

use mes_protocols::config_text::{ConfigError, parse_toml};
use mes_protocols::modbus::{Area, DataType, WordOrder};
use serde::Deserialize;
use std::path::Path;

/// The whole simulator configuration (the TOML file's top level).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Seed of every random choice (stops, faults, scrap, noise). The same
    /// seed and the same configuration give the same sequence of machine
    /// states tick by tick. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Length of one simulation step in milliseconds (1..=60000). Machine
    /// states, counters and the served registers change once per tick.
    /// Default 100.
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u64,
    /// Start with the clock paused: nothing changes until the handle steps
    /// or resumes it. For tests. Default false.
    #[serde(default)]
    pub start_paused: bool,
    /// Machine behaviour for every machine; each `[[machines]]` entry may
    /// override single keys.
    #[serde(default)]
    pub behaviour: BehaviourConfig,
    /// Register layout for every machine; each `[[machines]]` entry may
    /// override single signals.
    #[serde(default)]
    pub layout: LayoutConfig,
    /// Identical machines generated in addition to `[[machines]]`.
    #[serde(default)]
    pub generate: GenerateConfig,
    /// Machines listed one by one.
    #[serde(default)]
    pub machines: Vec<MachineConfig>,
    /// Modbus TCP listeners. Default: one on 127.0.0.1:5020 serving every
    /// machine.
    #[serde(default)]
    pub listeners: Vec<ListenerConfig>,
    /// MQTT publishing; absent means no MQTT.
    #[serde(default)]
    pub mqtt: Option<MqttConfig>,
    /// Publishing as a Sparkplug B edge node; absent means none.
    #[serde(default)]
    pub sparkplug: Option<SparkplugConfig>,
}

fn default_seed() -> u64 {
    1
}

fn default_tick_ms() -> u64 {
    100
}

impl Default for SimConfig {
    /// What an empty file gives: seed 1, 100 ms ticks, no machines yet.
    fn default() -> Self {
        Self {
            seed: default_seed(),
            tick_ms: default_tick_ms(),
            start_paused: false,
            behaviour: BehaviourConfig::default(),
            layout: LayoutConfig::default(),
            generate: GenerateConfig::default(),
            machines: Vec::new(),
            listeners: Vec::new(),
            mqtt: None,
            sparkplug: None,
        }
    }
}

impl SimConfig {
    /// Reads and parses a config file; errors name the file, key and reason.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&name, "", format!("cannot read the file: {e}")))?;
        Self::from_toml(&name, &text)
    }

    /// Parses config text read from `file` (a name for messages).
    pub fn from_toml(file: &str, text: &str) -> Result<Self, ConfigError> {
        parse_toml(file, text)
    }

    /// A configuration of `count` generated machines (unit ids 1..=count)
    /// served on one listener at `address`, clock running, no MQTT: the
    /// usual start for tests (`address` `127.0.0.1:0` picks a free port).
    pub fn with_machines(count: u16, address: &str) -> Self {
        Self {
            generate: GenerateConfig {
                count,
                ..GenerateConfig::default()
            },
            listeners: vec![ListenerConfig {
                address: address.to_string(),
                machines: Vec::new(),
            }],
            ..Self::default()
        }
    }
}

/// `[generate]`: `count` identical machines named `<name_prefix>01`,
/// `<name_prefix>02`, … with consecutive unit ids.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateConfig {
    /// How many machines to generate. Default 0 (the command line's
    /// `--machines` sets it).
    #[serde(default)]
    pub count: u16,
    /// Name prefix; the number is appended with two digits at least.
    /// Default `"sim-"`.
    #[serde(default = "default_name_prefix")]
    pub name_prefix: String,
    /// Production line of the generated machines (used in MQTT topics).
    /// Default `"line-1"`.
    #[serde(default = "default_line")]
    pub line: String,
    /// Unit id of the first generated machine; the others follow. Default 1.
    #[serde(default = "default_first_unit_id")]
    pub first_unit_id: u8,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        Self {
            count: 0,
            name_prefix: default_name_prefix(),
            line: default_line(),
            first_unit_id: default_first_unit_id(),
        }
    }
}

fn default_name_prefix() -> String {
    "sim-".into()
}

fn default_line() -> String {
    "line-1".into()
}

fn default_first_unit_id() -> u8 {
    1
}

/// `[[machines]]`: one machine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineConfig {
    /// Machine name: 1 to 64 of `A-Z a-z 0-9 . _ -` (it becomes an MQTT
    /// topic level and the string in the `name` registers).
    pub name: String,
    /// Production line (an MQTT topic level, same characters). Default
    /// `"line-1"`.
    #[serde(default = "default_line")]
    pub line: String,
    /// Modbus unit id, 1..=255, unique on every listener serving the machine.
    pub unit_id: u8,
    /// Behaviour keys overriding `[behaviour]` for this machine.
    #[serde(default)]
    pub behaviour: BehaviourConfig,
    /// Layout signals overriding `[layout]` for this machine.
    #[serde(default)]
    pub layout: LayoutConfig,
}

/// How a machine behaves. Every key is optional; a missing key falls back to
/// `[behaviour]`, then to the default named on the key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourConfig {
    /// Time to make one part while running, in milliseconds. Default 4000.
    pub cycle_time_ms: Option<u64>,
    /// Share of parts that are scrap, 0..=1. Default 0.03.
    pub scrap_rate: Option<f64>,
    /// Reasons given to scrap parts, chosen at random. Default
    /// `["dimension", "surface", "material"]`.
    pub scrap_reasons: Option<Vec<String>>,
    /// Random stops (running → idle) per hour of running. Default 6.
    pub stops_per_hour: Option<f64>,
    /// Mean length of a random stop, seconds (exponentially distributed).
    /// Default 60.
    pub mean_stop_secs: Option<f64>,
    /// Random faults (running → down) per hour of running. Default 2.
    pub faults_per_hour: Option<f64>,
    /// Mean length of a fault, seconds. Default 120.
    pub mean_fault_secs: Option<f64>,
    /// Fault codes chosen at random for random faults (non-zero). Default
    /// `[101, 102, 205, 310]`.
    pub fault_codes: Option<Vec<u16>>,
    /// Setups (running → setup) per hour of running. Default 0.5.
    pub setups_per_hour: Option<f64>,
    /// Mean length of a setup, seconds. Default 300.
    pub mean_setup_secs: Option<f64>,
    /// Temperature while idle or stopped long enough, °C. Default 22.
    pub ambient_temperature: Option<f64>,
    /// Temperature the machine heats towards while running, °C. Default 65.
    pub running_temperature: Option<f64>,
    /// Spindle speed while running, rpm (0 otherwise). Default 12000.
    pub spindle_rpm: Option<f64>,
}

/// Where the machine's signals are served. Every signal is optional; a
/// missing one falls back to `[layout]`, then to the default layout (see
/// the crate documentation). Signals named in `omit` are not served at all.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutConfig {
    /// Running bit. Default coil 0 (`bool`).
    pub run: Option<PointConfig>,
    /// Setup bit. Default coil 1.
    pub setup: Option<PointConfig>,
    /// Fault bit (machine down). Default coil 2.
    pub fault: Option<PointConfig>,
    /// State code: 0 idle, 1 running, 2 setup, 3 down. Default holding
    /// register 0, `u16`.
    pub state: Option<PointConfig>,
    /// Active fault code, 0 when not down. Default holding register 1, `u16`.
    pub fault_code: Option<PointConfig>,
    /// Good parts counter; wraps at the width of its type (`u16` wraps from
    /// 65535 to 0). Default holding register 2, `u16`.
    pub good_count: Option<PointConfig>,
    /// Scrap parts counter, same rules. Default holding register 3, `u16`.
    pub scrap_count: Option<PointConfig>,
    /// Temperature, °C. Default holding registers 4-5, `f32`, order `cdab`.
    pub temperature: Option<PointConfig>,
    /// Spindle speed, rpm. Default holding registers 6-7, `f32`, `cdab`.
    pub spindle_speed: Option<PointConfig>,
    /// Machine name as text. Default holding registers 8-15,
    /// `{ string = { registers = 8 } }`.
    pub name: Option<PointConfig>,
    /// A block of `u16` filler registers with changing values, to give the
    /// machine a realistic size. Default holding registers 16-99 (84
    /// registers), so the default layout is holding registers 0-99.
    pub aux: Option<BlockConfig>,
    /// Signals not to serve, e.g. `["name", "aux"]`; reads touching their
    /// addresses answer exception 0x02.
    pub omit: Option<Vec<Signal>>,
}

/// One signal's place: `{ area = "holding_register", address = 4, type =
/// "f32", order = "cdab" }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointConfig {
    /// `coil`, `discrete_input`, `holding_register` or `input_register`.
    pub area: Area,
    /// 0-based protocol address (holding register 0 is classic 40001).
    pub address: u16,
    /// Data type (`bool`, `{ bit = 3 }`, `u16`, `u32`, `u64`, `i16`, `i32`,
    /// `i64`, `f32`, `f64`, `{ string = { registers = 8 } }`). Default: the
    /// signal's default type (bits: `bool` in coils or discrete inputs,
    /// `{ bit = 0 }` in registers).
    #[serde(rename = "type", default)]
    pub data_type: Option<DataType>,
    /// Word order (`abcd`, `cdab`, `badc`, `dcba`). Default `cdab` for
    /// temperature and spindle speed, `abcd` otherwise.
    #[serde(default)]
    pub order: Option<WordOrder>,
}

/// A block of `count` filler registers from `address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockConfig {
    /// `holding_register` or `input_register`.
    pub area: Area,
    /// First 0-based address.
    pub address: u16,
    /// Number of registers, at least 1.
    pub count: u16,
}

/// The signals a simulated machine has, as named in `omit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Running bit.
    Run,
    /// Setup bit.
    Setup,
    /// Fault bit.
    Fault,
    /// State code.
    State,
    /// Fault code.
    FaultCode,
    /// Good counter.
    GoodCount,
    /// Scrap counter.
    ScrapCount,
    /// Temperature.
    Temperature,
    /// Spindle speed.
    SpindleSpeed,
    /// Machine name.
    Name,
    /// Filler registers.
    Aux,
}

/// `[[listeners]]`: one Modbus TCP listening socket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    /// `host:port` to listen on; port 0 picks a free port (see the handle's
    /// `modbus_addrs`).
    pub address: String,
    /// Names of the machines served here, by their unit ids. Empty (the
    /// default) serves every machine.
    #[serde(default)]
    pub machines: Vec<String>,
}

/// `[mqtt]`: publishing machine messages to a broker (plain TCP).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// Broker `host:port`. Default `127.0.0.1:1883`.
    #[serde(default = "default_broker")]
    pub broker: String,
    /// MQTT client id. Default `machine-sim-<process id>-<start time>`, so
    /// that several simulators never disconnect each other.
    #[serde(default)]
    pub client_id: Option<String>,
    /// First topic level: messages go to `<prefix>/<line>/<machine>/state`,
    /// `…/count`, `…/temperature`, `…/spindle_speed`. Default `"plant"`.
    #[serde(default = "default_topic_prefix")]
    pub topic_prefix: String,
    /// QoS of every message: 0, 1 or 2. Default 1.
    #[serde(default = "default_qos")]
    pub qos: u8,
    /// Publish state messages retained, so a late subscriber learns the
    /// current state. Default false.
    #[serde(default)]
    pub retain_state: bool,
    /// How often temperature and spindle speed are published, in
    /// milliseconds (at least the tick). Default 1000.
    #[serde(default = "default_process_interval_ms")]
    pub process_interval_ms: u64,
    /// Probability (0..=1) that a message is preceded by a deliberately
    /// malformed one on the same topic (broken JSON, unknown state, wrong
    /// types, non-UTF-8, `NaN`, empty), for the agent's error-handling
    /// tests; the real messages still all arrive. Default 0.
    #[serde(default)]
    pub malformed_rate: f64,
    /// Keep-alive interval in seconds (at least 5). Default 30.
    #[serde(default = "default_keep_alive_secs")]
    pub keep_alive_secs: u64,
    /// Messages queued towards the broker before new ones are dropped (and
    /// counted) rather than stalling the simulation clock. Default 10000.
    #[serde(default = "default_queue")]
    pub queue: usize,
}

impl Default for MqttConfig {
    fn default() -> Self {
        Self {
            broker: default_broker(),
            client_id: None,
            topic_prefix: default_topic_prefix(),
            qos: default_qos(),
            retain_state: false,
            process_interval_ms: default_process_interval_ms(),
            malformed_rate: 0.0,
            keep_alive_secs: default_keep_alive_secs(),
            queue: default_queue(),
        }
    }
}

/// `[sparkplug]`: the machines as the devices of one Sparkplug B edge node
/// (plain TCP): NBIRTH and a DBIRTH per machine with every metric named
/// and aliased, DDATA by alias on every change, NDEATH as the will, births
/// again on an NCMD `Node Control/Rebirth`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparkplugConfig {
    /// Broker `host:port`. Default `127.0.0.1:1883`.
    #[serde(default = "default_broker")]
    pub broker: String,
    /// MQTT client id. Default `machine-sim-spb-<process id>-<start time>`.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The Sparkplug group id. Default `"plant"`.
    #[serde(default = "default_topic_prefix")]
    pub group_id: String,
    /// The edge node id. Default `"machine-sim"`. Each machine is a device
    /// of this node, its device id the machine's name.
    #[serde(default = "default_edge_node_id")]
    pub edge_node_id: String,
    /// How often temperature and spindle speed are published, in
    /// milliseconds (at least the tick; with `[mqtt]` too, the shorter of
    /// the two intervals applies to both). Default 1000.
    #[serde(default = "default_process_interval_ms")]
    pub process_interval_ms: u64,
    /// Keep-alive interval in seconds (at least 5). Default 30.
    #[serde(default = "default_keep_alive_secs")]
    pub keep_alive_secs: u64,
    /// Changes queued towards the broker before new ones are dropped (and
    /// counted) rather than stalling the simulation clock. Default 10000.
    #[serde(default = "default_queue")]
    pub queue: usize,
}

impl Default for SparkplugConfig {
    fn default() -> Self {
        Self {
            broker: default_broker(),
            client_id: None,
            group_id: default_topic_prefix(),
            edge_node_id: default_edge_node_id(),
            process_interval_ms: default_process_interval_ms(),
            keep_alive_secs: default_keep_alive_secs(),
            queue: default_queue(),
        }
    }
}

fn default_edge_node_id() -> String {
    "machine-sim".into()
}

fn default_broker() -> String {
    "127.0.0.1:1883".into()
}

fn default_topic_prefix() -> String {
    "plant".into()
}

fn default_qos() -> u8 {
    1
}

fn default_process_interval_ms() -> u64 {
    1000
}

fn default_keep_alive_secs() -> u64 {
    30
}

fn default_queue() -> usize {
    10_000
}

/// Splits `host:port` (the port is required; `[::1]:1883` works too).
pub fn split_host_port(broker: &str) -> Result<(String, u16), String> {
    let (host, port) = broker
        .rsplit_once(':')
        .ok_or_else(|| format!("{broker:?} must be host:port, e.g. 127.0.0.1:1883"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("{broker:?}: port {port:?} is not a number 0..=65535"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{broker:?} has no host"));
    }
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/machine-sim.toml");
        let config = SimConfig::from_file(&path).expect("the example config parses");
        assert!(config.mqtt.is_some());
    }

    #[test]
    fn default_equals_an_empty_file() {
        let empty = SimConfig::from_toml("sim.toml", "").expect("parses");
        let default = SimConfig::default();
        assert_eq!((empty.seed, empty.tick_ms), (default.seed, default.tick_ms));
        assert_eq!(default.generate.name_prefix, "sim-");
    }

    #[test]
    fn unknown_keys_name_the_key() {
        let err = SimConfig::from_toml("sim.toml", "[behaviour]\ncycle_time = 5\n").expect_err("unknown key");
        assert!(err.to_string().contains("behaviour"), "{err}");
        assert!(err.reason.contains("cycle_time"), "{err}");
    }

    #[test]
    fn points_parse_with_protocol_types() {
        let config = SimConfig::from_toml(
            "sim.toml",
            "[layout]\ntemperature = { area = \"input_register\", address = 10, type = \"f32\", order = \"CDAB\" }\n",
        )
        .expect("parses");
        let point = config.layout.temperature.expect("set");
        assert_eq!(point.area, Area::InputRegister);
        assert_eq!(point.data_type, Some(DataType::F32));
        assert_eq!(point.order, Some(WordOrder::Cdab));
    }
}

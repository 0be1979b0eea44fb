//! Configuration of Modbus devices (`[[modbus]]` tables), and its parsing
//! into [`DeviceSpec`]s that cannot hold an invalid device, tag or read plan.
//! Every error names the device, the tag and the key.

use mes_protocols::Code;
use mes_protocols::config_text::ConfigError;
use mes_protocols::modbus::{
    Area, DataType, Deadband, PlanLimits, Point, ReadPlan, Scaling, Span, WordOrder, plan_reads,
};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// One Modbus device: a PLC, meter or controller.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModbusDeviceConfig {
    /// The device's name, used in events, logs and equipment rules.
    pub name: String,
    /// Modbus TCP: `host:port` (port 502 is the standard). Give this or `serial`.
    pub address: Option<String>,
    /// Modbus RTU over a serial line (RS-485/RS-232). Give this or `address`.
    pub serial: Option<SerialConfig>,
    /// Unit (slave) id: 1 to 247 on a serial line; over TCP 0 to 255 (TCP
    /// devices usually ignore it or want 1, gateways to serial lines the
    /// device's own id).
    #[serde(default = "default_unit_id")]
    pub unit_id: u8,
    /// Timeout of one request, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// First reconnect delay after a failure, in milliseconds (doubles, with jitter).
    #[serde(default = "default_reconnect_initial_ms")]
    pub reconnect_initial_ms: u64,
    /// Longest reconnect delay, in seconds.
    #[serde(default = "default_reconnect_max_secs")]
    pub reconnect_max_secs: u64,
    /// Request sizes and the gaps bridged when merging neighbouring tags into
    /// one request: `{ max_registers = 125, max_bits = 2000, max_register_gap = 8, max_bit_gap = 32 }`.
    /// Set a gap to 0 for devices that answer "Illegal Data Address" when a
    /// request touches an unmapped address.
    #[serde(default)]
    pub limits: Option<PlanLimits>,
    /// Groups of tags polled together at one interval.
    pub poll_groups: Vec<PollGroupConfig>,
}

/// A serial line for Modbus RTU.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialConfig {
    /// The port (`/dev/ttyUSB0`, `/dev/ttyS1`).
    pub port: String,
    /// Baud rate.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Parity: `none`, `even` (the Modbus default) or `odd`.
    #[serde(default)]
    pub parity: Parity,
    /// Stop bits: 1 or 2.
    #[serde(default = "default_stop_bits")]
    pub stop_bits: u8,
    /// Data bits: 7 or 8.
    #[serde(default = "default_data_bits")]
    pub data_bits: u8,
}

/// Serial parity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parity {
    /// No parity bit.
    None,
    /// Even parity (Modbus RTU default).
    #[default]
    Even,
    /// Odd parity.
    Odd,
}

impl Parity {
    /// The name used in the configuration (`none`, `even`, `odd`).
    pub fn name(self) -> &'static str {
        match self {
            Parity::None => "none",
            Parity::Even => "even",
            Parity::Odd => "odd",
        }
    }
}

/// Tags polled together.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollGroupConfig {
    /// Name, for logs and metrics.
    pub name: String,
    /// Poll interval, in milliseconds (at least 10).
    pub interval_ms: u64,
    /// The tags.
    pub tags: Vec<TagConfig>,
}

/// When a tag's value becomes an observation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportMode {
    /// When it changes (beyond the deadband, for numbers).
    #[default]
    OnChange,
    /// On every poll.
    EveryPoll,
}

/// One tag: where a value is and how to read it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagConfig {
    /// The tag's name, used by equipment rules (`run`, `fault_code`).
    pub name: String,
    /// `coil`, `discrete_input`, `holding_register` or `input_register`.
    pub area: Area,
    /// 0-based protocol address (holding register 40001 is address 0).
    pub address: u16,
    /// `bool`, `u16`, `i16`, `u32`, `i32`, `u64`, `i64`, `f32`, `f64`,
    /// `{ bit = 3 }` (a bit of a register) or `{ string = { registers = 8 } }`.
    #[serde(rename = "type")]
    pub data_type: DataType,
    /// Byte and word order of multi-register values: `abcd` (default),
    /// `cdab`, `badc` or `dcba`.
    #[serde(default)]
    pub order: WordOrder,
    /// Engineering value = raw × scale + offset (numbers that are not counters).
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// See `scale`.
    #[serde(default)]
    pub offset: f64,
    /// Report a number only when it moved more than this since the last report.
    #[serde(default)]
    pub deadband: Option<f64>,
    /// `on_change` (default) or `every_poll`.
    #[serde(default)]
    pub report: ReportMode,
}

fn default_unit_id() -> u8 {
    1
}
fn default_timeout_ms() -> u64 {
    1000
}
fn default_reconnect_initial_ms() -> u64 {
    500
}
fn default_reconnect_max_secs() -> u64 {
    30
}
fn default_baud() -> u32 {
    19_200
}
fn default_stop_bits() -> u8 {
    1
}
fn default_data_bits() -> u8 {
    8
}
fn default_scale() -> f64 {
    1.0
}

/// How to reach a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Modbus TCP to `host:port`.
    Tcp(String),
    /// Modbus RTU on a serial line.
    Rtu(SerialConfig),
}

/// A parsed tag.
#[derive(Debug, Clone)]
pub struct TagSpec {
    /// Its name.
    pub name: Code,
    /// Where and what it is.
    pub point: Point,
    /// Raw → engineering units.
    pub scaling: Scaling,
    /// Reporting threshold for numbers.
    pub deadband: Option<Deadband>,
    /// When to report.
    pub report: ReportMode,
}

/// A parsed poll group with its read plan.
#[derive(Debug, Clone)]
pub struct GroupSpec {
    /// Its name.
    pub name: String,
    /// How often.
    pub interval: Duration,
    /// Its tags.
    pub tags: Vec<TagSpec>,
    /// The merged read requests and where each tag sits in them.
    pub plan: ReadPlan,
}

/// A parsed device.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    /// Its name.
    pub name: Code,
    /// How to reach it.
    pub transport: Transport,
    /// Unit id.
    pub unit_id: u8,
    /// Request timeout.
    pub timeout: Duration,
    /// First reconnect delay.
    pub reconnect_initial: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// The poll groups.
    pub groups: Vec<GroupSpec>,
}

/// Parses every device, reporting the first problem with its key path.
///
/// RTU devices may share a serial port (RS-485 multidrop) when their serial
/// settings are identical and their unit ids differ.
pub fn parse_devices(file: &str, devices: &[ModbusDeviceConfig]) -> Result<Vec<DeviceSpec>, ConfigError> {
    let mut names = HashSet::new();
    let mut lines = HashMap::new();
    devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let key = format!("modbus[{i}]");
            let spec = parse_device(file, &key, d)?;
            join_line(file, &key, &spec, &mut lines)?;
            if !names.insert(spec.name.clone()) {
                return Err(ConfigError::new(
                    file,
                    format!("{key}.name"),
                    format!("device `{}` is defined twice", d.name),
                ));
            }
            Ok(spec)
        })
        .collect()
}

/// The devices seen so far on one serial port.
struct Line {
    /// The first device on it, whose settings the others must match.
    first: Code,
    settings: SerialConfig,
    /// Every unit id on the line and its device.
    units: HashMap<u8, Code>,
}

/// Adds an RTU device to its serial line, refusing other serial settings
/// than the line's first device or a unit id already on the line.
fn join_line(
    file: &str,
    key: &str,
    spec: &DeviceSpec,
    lines: &mut HashMap<String, Line>,
) -> Result<(), ConfigError> {
    let Transport::Rtu(serial) = &spec.transport else {
        return Ok(());
    };
    let line = lines.entry(serial.port.clone()).or_insert_with(|| Line {
        first: spec.name.clone(),
        settings: serial.clone(),
        units: HashMap::new(),
    });
    let s = &line.settings;
    let mismatch = if serial.baud != s.baud {
        Some(("baud", format!("at {} baud, not {}", serial.baud, s.baud)))
    } else if serial.parity != s.parity {
        let (this, that) = (serial.parity.name(), s.parity.name());
        Some(("parity", format!("with parity {this}, not {that}")))
    } else if serial.stop_bits != s.stop_bits {
        let (this, that) = (serial.stop_bits, s.stop_bits);
        Some(("stop_bits", format!("with {this} stop bits, not {that}")))
    } else if serial.data_bits != s.data_bits {
        let (this, that) = (serial.data_bits, s.data_bits);
        Some(("data_bits", format!("with {this} data bits, not {that}")))
    } else {
        None
    };
    if let Some((k, how)) = mismatch {
        return Err(ConfigError::new(
            file,
            format!("{key}.serial.{k}"),
            format!(
                "device {} shares serial port {} with device {} but {how}",
                spec.name, serial.port, line.first
            ),
        ));
    }
    if let Some(other) = line.units.get(&spec.unit_id) {
        return Err(ConfigError::new(
            file,
            format!("{key}.unit_id"),
            format!(
                "unit id {} is used twice on serial port {} ({other}, {})",
                spec.unit_id, serial.port, spec.name
            ),
        ));
    }
    line.units.insert(spec.unit_id, spec.name.clone());
    Ok(())
}

fn parse_device(file: &str, key: &str, d: &ModbusDeviceConfig) -> Result<DeviceSpec, ConfigError> {
    let err = |k: &str, why: String| ConfigError::new(file, format!("{key}.{k}"), why);
    let name = Code::parse(&d.name).map_err(|why| err("name", format!("`{}`: device name {why}", d.name)))?;
    let transport = match (&d.address, &d.serial) {
        (Some(a), None)
            if a.rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok()) =>
        {
            Transport::Tcp(a.clone())
        }
        (Some(a), None) => return Err(err("address", format!("device {name}: `{a}` is not host:port"))),
        (None, Some(s)) => {
            Transport::Rtu(parse_serial(s).map_err(|why| err("serial", format!("device {name}: {why}")))?)
        }
        _ => {
            return Err(err(
                "address",
                format!("device {name}: give exactly one of `address` (TCP) and `serial` (RTU)"),
            ));
        }
    };
    // On a serial line 0 is the broadcast address (no device answers it)
    // and 248-255 are reserved; over TCP a gateway may want 0 or 255.
    if matches!(transport, Transport::Rtu(_)) && !(1..=247).contains(&d.unit_id) {
        return Err(err(
            "unit_id",
            format!(
                "device {name}: {} is not a unit id on a serial line (1 to 247; 0 is broadcast, which no device answers)",
                d.unit_id
            ),
        ));
    }
    if d.timeout_ms == 0 || d.reconnect_initial_ms == 0 || d.reconnect_max_secs == 0 {
        return Err(err(
            "timeout_ms",
            format!("device {name}: timeouts and reconnect delays must be positive"),
        ));
    }
    if d.poll_groups.is_empty() {
        return Err(err(
            "poll_groups",
            format!("device {name}: needs at least one poll group"),
        ));
    }
    let limits = d.limits.unwrap_or_default();
    let mut tag_names = HashSet::new();
    let mut groups = Vec::with_capacity(d.poll_groups.len());
    for (g, group) in d.poll_groups.iter().enumerate() {
        let gkey = format!("{key}.poll_groups[{g}]");
        groups.push(parse_group(file, &gkey, &name, group, &limits, &mut tag_names)?);
    }
    Ok(DeviceSpec {
        name,
        transport,
        unit_id: d.unit_id,
        timeout: Duration::from_millis(d.timeout_ms),
        reconnect_initial: Duration::from_millis(d.reconnect_initial_ms),
        reconnect_max: Duration::from_secs(d.reconnect_max_secs),
        groups,
    })
}

fn parse_serial(s: &SerialConfig) -> Result<SerialConfig, String> {
    if s.port.is_empty() {
        return Err("serial.port is empty".into());
    }
    if !matches!(s.stop_bits, 1 | 2) {
        return Err(format!("stop_bits {} must be 1 or 2", s.stop_bits));
    }
    if !matches!(s.data_bits, 7 | 8) {
        return Err(format!("data_bits {} must be 7 or 8", s.data_bits));
    }
    if s.baud == 0 {
        return Err("baud must be positive".into());
    }
    Ok(s.clone())
}

fn parse_group(
    file: &str,
    key: &str,
    device: &Code,
    group: &PollGroupConfig,
    limits: &PlanLimits,
    tag_names: &mut HashSet<Code>,
) -> Result<GroupSpec, ConfigError> {
    if group.interval_ms < 10 {
        return Err(ConfigError::new(
            file,
            format!("{key}.interval_ms"),
            format!(
                "device {device}, group {}: {} ms is below the 10 ms minimum",
                group.name, group.interval_ms
            ),
        ));
    }
    if group.tags.is_empty() {
        return Err(ConfigError::new(
            file,
            format!("{key}.tags"),
            format!("device {device}, group {}: no tags", group.name),
        ));
    }
    let mut tags = Vec::with_capacity(group.tags.len());
    for (t, tag) in group.tags.iter().enumerate() {
        let tkey = format!("{key}.tags[{t}]");
        let spec = parse_tag(file, &tkey, device, tag)?;
        if !tag_names.insert(spec.name.clone()) {
            return Err(ConfigError::new(
                file,
                format!("{tkey}.name"),
                format!("device {device}: tag `{}` is defined twice", tag.name),
            ));
        }
        tags.push(spec);
    }
    let spans: Vec<Span> = tags.iter().map(|t| t.point.span()).collect();
    let plan = plan_reads(&spans, limits).map_err(|e| {
        ConfigError::new(
            file,
            format!("{key}.tags"),
            format!("device {device}, group {}: {e}", group.name),
        )
    })?;
    Ok(GroupSpec {
        name: group.name.clone(),
        interval: Duration::from_millis(group.interval_ms),
        tags,
        plan,
    })
}

fn parse_tag(file: &str, key: &str, device: &Code, tag: &TagConfig) -> Result<TagSpec, ConfigError> {
    let err = |k: &str, why: String| {
        ConfigError::new(
            file,
            format!("{key}.{k}"),
            format!("device {device}, tag {}: {why}", tag.name),
        )
    };
    let name = Code::parse(&tag.name).map_err(|why| err("name", format!("tag name {why}")))?;
    let point = Point::new(tag.area, tag.address, tag.data_type, tag.order)
        .map_err(|e| err("address", e.to_string()))?;
    let scaling = Scaling::new(tag.scale, tag.offset).map_err(|e| err("scale", e.to_string()))?;
    let deadband = match tag.deadband {
        Some(d) => Some(Deadband::new(d).map_err(|e| err("deadband", e.to_string()))?),
        None => None,
    };
    Ok(TagSpec {
        name,
        point,
        scaling,
        deadband,
        report: tag.report,
    })
}

#[cfg(test)]
mod tests;

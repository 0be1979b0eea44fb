//! Configuration of Modbus devices (`[[modbus]]` tables), and its parsing
//! into [`DeviceSpec`]s that cannot hold an invalid device, tag or read plan.
//! Every error names the device, the tag and the key.

use mes_protocols::Code;
use mes_protocols::config_text::{ConfigError, ConfigWarning};
use mes_protocols::modbus::{
    Area, DataType, Deadband, PlanLimits, Point, ReadPlan, Scaling, Span, WordOrder, modicon_address,
    plan_reads,
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
    /// How the tags' `address` is written: `protocol` (the 0-based address
    /// sent on the wire) or `modicon` (the numbers of PLC manuals: 40001 is
    /// holding register 0, 30001 input register 0, 10001 discrete input 0,
    /// 1 coil 0). Left out, addresses are protocol addresses, and one that
    /// looks like a Modicon number (30001 to 49999 in a register area) is
    /// warned about; `protocol` says it is meant.
    #[serde(default)]
    pub address_style: Option<AddressStyle>,
    /// Groups of tags polled together at one interval.
    pub poll_groups: Vec<PollGroupConfig>,
}

/// How tag addresses are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressStyle {
    /// The 0-based protocol address (holding register 40001 is 0).
    Protocol,
    /// The 1-based Modicon numbers of PLC manuals (40001, 30001, 10001, 1).
    Modicon,
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
    /// 0-based protocol address, 0 to 65535 (holding register 40001 is
    /// address 0); with the device's `address_style = "modicon"`, the
    /// manual's number (40001).
    pub address: u32,
    /// `bool`, `u16`, `i16`, `u32`, `i32`, `u64`, `i64`, `f32`, `f64`,
    /// `{ bit = 3 }` (a bit of a register) or `{ string = { registers = 8 } }`.
    /// Kept as written until the tag is parsed, so that an error names the
    /// device and the tag.
    #[serde(rename = "type")]
    pub data_type: toml::Value,
    /// Byte and word order: `abcd` (the default), `cdab`, `badc` or `dcba`
    /// (see `WordOrder`). On a one-register value or a string only the byte
    /// swap applies, and on a bool nothing does: such an order is warned about.
    #[serde(default)]
    pub order: Option<WordOrder>,
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

/// Parses every device, reporting the first problem with its key path;
/// what works but looks unintended (a Modicon-style address, an order
/// that does nothing) goes to `warnings`.
///
/// RTU devices may share a serial port (RS-485 multidrop) when their serial
/// settings are identical and their unit ids differ.
pub fn parse_devices(
    file: &str,
    devices: &[ModbusDeviceConfig],
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Vec<DeviceSpec>, ConfigError> {
    let mut names = HashSet::new();
    let mut lines = HashMap::new();
    devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let key = format!("modbus[{i}]");
            let spec = parse_device(file, &key, d, warnings)?;
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

fn parse_device(
    file: &str,
    key: &str,
    d: &ModbusDeviceConfig,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<DeviceSpec, ConfigError> {
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
        let place = Place {
            file,
            key: &gkey,
            device: &name,
            style: d.address_style,
        };
        groups.push(parse_group(&place, group, &limits, &mut tag_names, warnings)?);
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

/// Where a poll group is: for messages, and the device's address style.
struct Place<'a> {
    file: &'a str,
    key: &'a str,
    device: &'a Code,
    style: Option<AddressStyle>,
}

fn parse_group(
    place: &Place<'_>,
    group: &PollGroupConfig,
    limits: &PlanLimits,
    tag_names: &mut HashSet<Code>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<GroupSpec, ConfigError> {
    let Place {
        file, key, device, ..
    } = *place;
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
        let spec = parse_tag(place, &tkey, tag, warnings)?;
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

fn parse_tag(
    place: &Place<'_>,
    key: &str,
    tag: &TagConfig,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<TagSpec, ConfigError> {
    let (file, device) = (place.file, place.device);
    let say = |why: String| format!("device {device}, tag {}: {why}", tag.name);
    let err = |k: &str, why: String| ConfigError::new(file, format!("{key}.{k}"), say(why));
    let mut warn =
        |k: &str, why: String| warnings.push(ConfigWarning::new(file, format!("{key}.{k}"), say(why)));
    let name = Code::parse(&tag.name).map_err(|why| err("name", format!("tag name {why}")))?;
    let data_type: DataType = tag
        .data_type
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| err("type", e.message().to_string()))?;
    let address = protocol_address(tag, place.style).map_err(|why| err("address", why))?;
    if place.style.is_none()
        && let Some(why) = modicon_lookalike(tag.area, tag.address)
    {
        warn("address", why);
    }
    if let Some(why) = tag.order.and_then(|order| ignored_order(data_type, order)) {
        warn("order", why);
    }
    let order = tag.order.unwrap_or_default();
    let point = Point::new(tag.area, address, data_type, order).map_err(|e| err("address", e.to_string()))?;
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

/// The 0-based address of `tag`, its `address` read in `style`.
fn protocol_address(tag: &TagConfig, style: Option<AddressStyle>) -> Result<u16, String> {
    if style == Some(AddressStyle::Modicon) {
        return modicon_address(tag.area, tag.address)
            .map_err(|e| format!("{e} (the device has address_style = \"modicon\")"));
    }
    u16::try_from(tag.address).map_err(|_| {
        let hint = match modicon_address(tag.area, tag.address) {
            Ok(a) if style.is_none() => format!(
                "; as a Modicon number it is {} {a}: write address = {a}, or set address_style = \"modicon\" on the device",
                tag.area
            ),
            _ => String::new(),
        };
        format!(
            "{} is past 65535, the last protocol address{hint}",
            tag.address
        )
    })
}

/// Why a protocol address in a register area looks like a Modicon number
/// (30001 to 49999), if it does: that numbering counts holding registers
/// from 40001 and input registers from 30001, the protocol from 0.
fn modicon_lookalike(area: Area, address: u32) -> Option<String> {
    if area.is_bits() || !(30_001..=49_999).contains(&address) {
        return None;
    }
    let meant = match modicon_address(area, address) {
        Ok(a) => format!(
            "if the manual says {address}, write address = {a} or set address_style = \"modicon\" on the device"
        ),
        Err(e) => format!("and as one it does not fit: {e}"),
    };
    Some(format!(
        "address {address} looks like Modicon numbering (holding registers counted from 40001, input registers \
         from 30001), but `address` is the 0-based protocol address, so this reads {area} {address}; {meant}. \
         If {address} is the protocol address, set address_style = \"protocol\" on the device"
    ))
}

/// Why `order` does nothing (or less than it says) on `data_type`, if so.
/// Only the byte swap of an order applies to one register or to text,
/// and a bool is a single bit.
fn ignored_order(data_type: DataType, order: WordOrder) -> Option<String> {
    let written = order.to_string().to_lowercase();
    if data_type.reads_bits() {
        return Some(format!(
            "ignored option: order = \"{written}\" does nothing on a bool, a single bit; remove it"
        ));
    }
    let one_word = data_type.count() == 1;
    let text = matches!(data_type, DataType::String { .. });
    if !order.swaps_words() || !(one_word || text) {
        return None;
    }
    let same = if order.swaps_bytes() { "badc" } else { "abcd" };
    let why = if text {
        "a string is read in address order"
    } else {
        "it is one register"
    };
    Some(format!(
        "ignored option: the word swap of order = \"{written}\" does nothing on {data_type} ({why}); \
         only its byte swap applies, so it reads as order = \"{same}\". Write \"{same}\""
    ))
}

#[cfg(test)]
mod tests;

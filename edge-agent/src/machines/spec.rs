//! The machine-data part of the configuration, parsed once: the Modbus
//! devices, the MQTT connection, the Sparkplug B group and the equipment, each by its own part
//! (`sources::modbus`, `sources::mqtt`, `sources::sparkplug`, `equipment`), then checked against
//! each other (`cross_check.rs`).

use super::cross_check;
use crate::equipment::{EquipmentConfig, EquipmentSpec, parse_equipment};
use crate::sources::SourceSpec;
use crate::sources::modbus::{DeviceSpec, ModbusDeviceConfig, parse_devices};
use crate::sources::mqtt::MqttConfig;
use crate::sources::opcua::{OpcuaConfig, parse_servers};
use crate::sources::sparkplug::SparkplugConfig;
use mes_protocols::config_text::{ConfigError, ConfigWarning};

/// Everything machine data collection runs from.
#[derive(Debug, Clone, Default)]
pub struct MachineSpec {
    /// The sources, each started by `sources::start`.
    pub sources: Vec<SourceSpec>,
    /// The equipment and what their devices' tags mean.
    pub equipment: Vec<EquipmentSpec>,
}

impl MachineSpec {
    /// The Modbus devices (for `edge-agent probe`).
    pub fn modbus_devices(&self) -> &[DeviceSpec] {
        self.sources
            .iter()
            .find_map(|s| match s {
                SourceSpec::Modbus(devices) => Some(devices.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

impl MachineSpec {
    /// The OPC UA servers (for `edge-agent probe`).
    pub fn opcua_servers(&self) -> &[crate::sources::opcua::OpcuaSpec] {
        self.sources
            .iter()
            .find_map(|s| match s {
                SourceSpec::Opcua(servers) => Some(servers.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// The raw sections machine data is configured by.
#[derive(Debug, Clone, Copy)]
pub struct MachineSections<'a> {
    /// `[[modbus]]`.
    pub modbus: &'a [ModbusDeviceConfig],
    /// `[mqtt]`.
    pub mqtt: Option<&'a MqttConfig>,
    /// `[sparkplug]`.
    pub sparkplug: Option<&'a SparkplugConfig>,
    /// `[[opcua]]`.
    pub opcua: &'a [OpcuaConfig],
    /// Where the agent keeps its state (the buffer file's directory): the
    /// default OPC UA PKI directory goes there.
    pub state_dir: &'a std::path::Path,
    /// `[[equipment]]`.
    pub equipment: &'a [EquipmentConfig],
}

/// Parses the sections read from `file` and checks their references
/// (equipment → device → tag, counter modes, subscriptions); what works but
/// looks unintended goes to `warnings`.
pub fn parse(
    file: &str,
    sections: MachineSections<'_>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<MachineSpec, ConfigError> {
    let modbus = parse_devices(file, sections.modbus, warnings)?;
    let equipment = parse_equipment(file, sections.equipment)?;
    cross_check::check_modbus_equipment(file, &equipment, &modbus)?;
    let opcua = parse_servers(file, sections.opcua, sections.state_dir)?;
    cross_check::check_opcua_equipment(file, &equipment, &opcua)?;
    let mqtt = match sections.mqtt {
        Some(raw) => Some((raw, raw.parse(file)?)),
        None => None,
    };
    let sparkplug = sections.sparkplug.map(|raw| raw.parse(file)).transpose()?;
    cross_check::check_mqtt_devices(
        file,
        &equipment,
        &modbus,
        &opcua,
        mqtt.as_ref().map(|(raw, settings)| (*raw, settings)),
        sparkplug.as_ref(),
        warnings,
    )?;
    let mut sources = Vec::new();
    if !modbus.is_empty() {
        sources.push(SourceSpec::Modbus(modbus));
    }
    if let Some((_, settings)) = mqtt {
        sources.push(SourceSpec::Mqtt(settings));
    }
    if !opcua.is_empty() {
        sources.push(SourceSpec::Opcua(opcua));
    }
    if let Some(settings) = sparkplug {
        sources.push(SourceSpec::Sparkplug(settings));
    }
    Ok(MachineSpec { sources, equipment })
}

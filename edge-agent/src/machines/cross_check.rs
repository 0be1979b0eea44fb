//! References across sections of the agent's configuration that each
//! section's own parsing cannot see: an equipment on a Modbus device may
//! only name tags that device reads, and a `per_message` counter (one MQTT
//! message, one count) cannot count a Modbus register; every equipment's
//! device is a Modbus device or one an MQTT subscription can name; and an
//! MQTT subscription whose device no equipment uses is a warning. Without
//! this a typo left the machine silently idle and counting nothing (issue 13).
//!
//! Why a subscription without equipment only warns: wiring the topics
//! before the machines are described is a normal step of commissioning,
//! its messages are still counted (`no_equipment`) and logged, and a
//! subscription with a template device (`{machine}`) can only be judged
//! against the equipment configured today. An equipment no device can
//! feed, on the other hand, can never work, so that is an error.

use crate::equipment::{CounterMode, EquipmentSpec};
use crate::sources::modbus::DeviceSpec;
use crate::sources::mqtt::{MqttConfig, MqttSettings};
use crate::sources::opcua::OpcuaSpec;
use crate::sources::sparkplug::SparkplugSettings;
use mes_protocols::Code;
use mes_protocols::config_text::{ConfigError, ConfigWarning};
use std::collections::BTreeSet;

/// Checks every equipment whose device is a Modbus device.
pub(super) fn check_modbus_equipment(
    file: &str,
    equipment: &[EquipmentSpec],
    devices: &[DeviceSpec],
) -> Result<(), ConfigError> {
    for (i, e) in equipment.iter().enumerate() {
        let Some(device) = devices.iter().find(|d| d.name == e.device) else {
            continue;
        };
        let tags: BTreeSet<&Code> = device
            .groups
            .iter()
            .flat_map(|g| g.tags.iter().map(|t| &t.name))
            .collect();
        let known = |key: String, tag: &Code| {
            if tags.contains(tag) {
                return Ok(());
            }
            let list: Vec<&str> = tags.iter().map(|t| t.as_str()).collect();
            Err(ConfigError::new(
                file,
                key,
                format!(
                    "equipment {}: Modbus device {} has no tag `{tag}` (its tags: {})",
                    e.name,
                    device.name,
                    list.join(", ")
                ),
            ))
        };
        for (j, rule) in e.states.iter().enumerate() {
            known(format!("equipment[{i}].states[{j}].tag"), &rule.tag)?;
            if let Some(reason) = &rule.reason_tag {
                known(format!("equipment[{i}].states[{j}].reason_tag"), reason)?;
            }
        }
        for (which, counter) in [("good", &e.good), ("scrap", &e.scrap)] {
            let Some(counter) = counter else { continue };
            known(format!("equipment[{i}].counters.{which}.tag"), &counter.tag)?;
            if counter.mode == CounterMode::PerMessage {
                return Err(ConfigError::new(
                    file,
                    format!("equipment[{i}].counters.{which}.mode"),
                    format!(
                        "equipment {}: `per_message` counts what one MQTT message says; a Modbus register holds a running total, so use `register`",
                        e.name
                    ),
                ));
            }
        }
        for (k, value) in e.values.iter().enumerate() {
            known(format!("equipment[{i}].values[{k}]"), value)?;
        }
    }
    Ok(())
}

/// Checks every equipment whose device is an OPC UA server: it names only
/// that server's tags, and counts registers (running totals), never
/// `per_message`.
pub(super) fn check_opcua_equipment(
    file: &str,
    equipment: &[EquipmentSpec],
    servers: &[OpcuaSpec],
) -> Result<(), ConfigError> {
    for (i, e) in equipment.iter().enumerate() {
        let Some(server) = servers.iter().find(|s| s.name == e.device) else {
            continue;
        };
        let known = |key: String, tag: &Code| {
            if server.tags.iter().any(|t| &t.name == tag) {
                return Ok(());
            }
            let list: Vec<&str> = server.tags.iter().map(|t| t.name.as_str()).collect();
            Err(ConfigError::new(
                file,
                key,
                format!(
                    "equipment {}: OPC UA server {} has no tag `{tag}` (its tags: {})",
                    e.name,
                    server.name,
                    list.join(", ")
                ),
            ))
        };
        for (j, rule) in e.states.iter().enumerate() {
            known(format!("equipment[{i}].states[{j}].tag"), &rule.tag)?;
            if let Some(reason) = &rule.reason_tag {
                known(format!("equipment[{i}].states[{j}].reason_tag"), reason)?;
            }
        }
        for (which, counter) in [("good", &e.good), ("scrap", &e.scrap)] {
            let Some(counter) = counter else { continue };
            known(format!("equipment[{i}].counters.{which}.tag"), &counter.tag)?;
            if counter.mode == CounterMode::PerMessage {
                return Err(ConfigError::new(
                    file,
                    format!("equipment[{i}].counters.{which}.mode"),
                    format!(
                        "equipment {}: `per_message` counts what one MQTT message says; an OPC UA node holds a running total, so use `register`",
                        e.name
                    ),
                ));
            }
        }
        for (k, value) in e.values.iter().enumerate() {
            known(format!("equipment[{i}].values[{k}]"), value)?;
        }
    }
    Ok(())
}

/// Checks that every equipment without a Modbus device can be fed by an
/// MQTT subscription or the Sparkplug group (error), and that every
/// subscription feeds some equipment (warning, in `warnings`). Which edge
/// nodes and devices a Sparkplug group has is known only at run time, so an
/// equipment whose device has the shape of a Sparkplug name (`<node>` or
/// `<node>/<device>`) is accepted when a Sparkplug source is configured.
pub(super) fn check_mqtt_devices(
    file: &str,
    equipment: &[EquipmentSpec],
    devices: &[DeviceSpec],
    opcua: &[OpcuaSpec],
    mqtt: Option<(&MqttConfig, &MqttSettings)>,
    sparkplug: Option<&SparkplugSettings>,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<(), ConfigError> {
    let subscriptions = mqtt.map_or(0, |(raw, _)| raw.subscriptions.len());
    let could_name = |i: usize, device: &str| mqtt.is_some_and(|(_, s)| s.could_name(i, device));
    for (i, e) in equipment.iter().enumerate() {
        if devices.iter().any(|d| d.name == e.device) || opcua.iter().any(|s| s.name == e.device) {
            continue;
        }
        if (0..subscriptions).any(|s| could_name(s, e.device.as_str())) {
            continue;
        }
        if sparkplug.is_some_and(|s| s.could_name(e.device.as_str())) {
            continue;
        }
        let reason = match mqtt {
            None => format!(
                "equipment {}: no Modbus device `{}` (and no MQTT or Sparkplug B source) is configured",
                e.name, e.device
            ),
            Some((raw, _)) => {
                let names: Vec<String> = raw
                    .subscriptions
                    .iter()
                    .map(|s| format!("`{}`", s.device))
                    .collect();
                format!(
                    "equipment {}: no Modbus device `{}`, and no MQTT subscription can name that device (their devices: {})",
                    e.name,
                    e.device,
                    names.join(", ")
                )
            }
        };
        return Err(ConfigError::new(file, format!("equipment[{i}].device"), reason));
    }
    let Some((raw, _)) = mqtt else { return Ok(()) };
    for (i, sub) in raw.subscriptions.iter().enumerate() {
        if equipment.iter().any(|e| could_name(i, e.device.as_str())) {
            continue;
        }
        warnings.push(ConfigWarning::new(
            file,
            format!("mqtt.subscriptions[{i}].device"),
            format!(
                "subscription `{}` names device `{}`, which no [[equipment]] uses: its messages are counted \
                 as bad input (reason no_equipment) and make no events. Add an [[equipment]] with that device, \
                 or remove the subscription",
                sub.topic, sub.device
            ),
        ));
    }
    Ok(())
}

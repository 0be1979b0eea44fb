//! References across sections of the agent's configuration that each
//! section's own parsing cannot see: an equipment on a Modbus device may
//! only name tags that device reads, and a `per_message` counter (one MQTT
//! message, one count) cannot count a Modbus register. Without this a typo
//! left the machine silently idle and counting nothing (issue 13).

use crate::equipment::{CounterMode, EquipmentSpec};
use crate::sources::modbus::DeviceSpec;
use mes_protocols::Code;
use mes_protocols::config_text::ConfigError;
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

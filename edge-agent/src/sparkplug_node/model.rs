//! What the agent's edge node publishes, pure: one Sparkplug device per
//! equipment (device id = equipment code, `/`, `+` and `#` replaced by
//! `_`), with the metrics `state` and `reason` (String; null until known),
//! `good` and `scrap` (UInt64 running totals) and `values/<tag>` (Double,
//! each configured process value). Aliases are numbered once, across the
//! node (1 is `Node Control/Rebirth`), so they stay the same for every
//! birth of the agent's run. Births carry names, aliases, types and every
//! value; data only the metrics that changed since the last birth or data,
//! by alias.

use crate::equipment::EquipmentStatus;
use mes_protocols::Code;
use mes_protocols::event::EquipmentState;
use mes_protocols::sparkplug::{Aliases, DataType, Metric, MetricDef, MetricValue, Payload};
use std::collections::BTreeMap;

#[derive(Debug)]
struct DeviceModel {
    id: String,
    equipment: String,
    metrics: Vec<MetricDef>,
    /// What the last birth or data said of each metric (by name).
    last: BTreeMap<String, Option<MetricValue>>,
}

/// The edge node's devices and what it last published of them.
#[derive(Debug)]
pub struct NodeModel {
    devices: Vec<DeviceModel>,
}

/// A device id from an equipment code: Sparkplug ids cannot hold `/`, `+`
/// or `#`.
pub fn device_id(equipment: &str) -> String {
    equipment.replace(['/', '+', '#'], "_")
}

impl NodeModel {
    /// A model of `equipment` (code and process-value tags each).
    pub fn new(equipment: &[(Code, Vec<Code>)]) -> NodeModel {
        let mut aliases = Aliases::new();
        let devices = equipment
            .iter()
            .map(|(name, values)| {
                let mut metrics = vec![
                    ("state".to_string(), DataType::String),
                    ("reason".to_string(), DataType::String),
                    ("good".to_string(), DataType::UInt64),
                    ("scrap".to_string(), DataType::UInt64),
                ];
                metrics.extend(values.iter().map(|t| (format!("values/{t}"), DataType::Double)));
                DeviceModel {
                    id: device_id(name.as_str()),
                    equipment: name.to_string(),
                    metrics: metrics
                        .into_iter()
                        .map(|(name, datatype)| aliases.define(name, datatype))
                        .collect(),
                    last: BTreeMap::new(),
                }
            })
            .collect();
        NodeModel { devices }
    }

    /// Every device's DBIRTH (without seq), from the board's statuses.
    pub fn device_births(
        &mut self,
        board: &BTreeMap<String, EquipmentStatus>,
        now: u64,
    ) -> Vec<(String, Payload)> {
        let mut out = Vec::new();
        for device in &mut self.devices {
            let current = current_values(board.get(&device.equipment));
            let metrics = device
                .metrics
                .iter()
                .map(|def| def.birth(current.get(&def.name).and_then(Option::as_ref), now))
                .collect();
            device.last = current;
            out.push((
                device.id.clone(),
                Payload {
                    timestamp: Some(now),
                    seq: None,
                    metrics,
                },
            ));
        }
        out
    }

    /// DDATA (without seq) for every device with a changed metric, the
    /// changed metrics only, by alias.
    pub fn device_data(
        &mut self,
        board: &BTreeMap<String, EquipmentStatus>,
        now: u64,
    ) -> Vec<(String, Payload)> {
        let mut out = Vec::new();
        for device in &mut self.devices {
            let current = current_values(board.get(&device.equipment));
            let metrics: Vec<Metric> = device
                .metrics
                .iter()
                .filter(|def| current.get(&def.name) != device.last.get(&def.name))
                .map(|def| Metric {
                    // The agent's data has always carried the type as well
                    // (optional there); kept so hosts see no change.
                    datatype: Some(def.datatype.code()),
                    ..def.data(current.get(&def.name).and_then(Option::as_ref), now)
                })
                .collect();
            device.last = current;
            if !metrics.is_empty() {
                out.push((
                    device.id.clone(),
                    Payload {
                        timestamp: Some(now),
                        seq: None,
                        metrics,
                    },
                ));
            }
        }
        out
    }
}

fn state_name(state: EquipmentState) -> &'static str {
    match state {
        EquipmentState::Running => "running",
        EquipmentState::Idle => "idle",
        EquipmentState::Down => "down",
        EquipmentState::Setup => "setup",
        EquipmentState::Offline => "offline",
    }
}

/// Every metric's value from an equipment's status (`None`: null).
fn current_values(status: Option<&EquipmentStatus>) -> BTreeMap<String, Option<MetricValue>> {
    let mut out = BTreeMap::new();
    let Some(s) = status else { return out };
    let text = |t: Option<String>| t.map(MetricValue::Text);
    out.insert("state".into(), text(s.state.map(|st| state_name(st).to_string())));
    out.insert("reason".into(), text(s.reason.clone()));
    out.insert("good".into(), Some(MetricValue::UInt(s.good_total)));
    out.insert("scrap".into(), Some(MetricValue::UInt(s.scrap_total)));
    for (tag, value) in &s.values {
        out.insert(format!("values/{tag}"), Some(MetricValue::Float(*value)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mes_protocols::sparkplug::{Change, MessageType, Topic, Tracker, decode, encode, node_birth};

    fn code(s: &str) -> Code {
        Code::parse(s).expect("code")
    }

    fn status(state: EquipmentState, good: u64, temp: f64) -> EquipmentStatus {
        EquipmentStatus {
            state: Some(state),
            reason: None,
            since_ms: None,
            good_total: good,
            scrap_total: 0,
            last_seen_ms: None,
            values: BTreeMap::from([("temp".to_string(), temp)]),
        }
    }

    /// Our births and data, read by our own host-side tracker through the
    /// wire, give back the statuses (the end-to-end test reads them with an
    /// independent client).
    #[test]
    fn births_then_changed_metrics_by_alias_read_back_through_the_tracker() {
        let mut model = NodeModel::new(&[(code("press/1"), vec![code("temp")])]);
        let mut tracker = Tracker::new(1_000);
        let mut read = |kind, device: Option<&str>, payload: Payload, seq: Option<u64>| {
            let payload = decode(&encode(&Payload { seq, ..payload })).expect("decodes");
            let out = tracker.handle(&Topic::edge("g", kind, "n", device), &payload, 0);
            assert!(out.anomalies.is_empty(), "{out:?}");
            out.changes
        };
        read(MessageType::NBirth, None, node_birth(4, 10), Some(0));
        let mut board = BTreeMap::from([("press/1".to_string(), status(EquipmentState::Idle, 3, 20.0))]);
        let births = model.device_births(&board, 10);
        assert_eq!(births[0].0, "press_1");
        let changes = read(MessageType::DBirth, Some("press_1"), births[0].1.clone(), Some(1));
        assert!(
            matches!(&changes[1], Change::Values { values, .. } if values.len() == 4),
            "reason is null, so left out"
        );

        assert!(
            model.device_data(&board, 20).is_empty(),
            "nothing changed, nothing sent"
        );
        board.insert("press/1".into(), status(EquipmentState::Running, 5, 20.0));
        let data = model.device_data(&board, 20);
        assert_eq!(data[0].1.metrics.len(), 2, "state and good only");
        assert!(data[0].1.metrics.iter().all(|m| m.name.is_none()), "by alias");
        let changes = read(MessageType::DData, Some("press_1"), data[0].1.clone(), Some(2));
        match &changes[0] {
            Change::Values { values, .. } => assert_eq!(
                values,
                &[
                    ("state".to_string(), MetricValue::Text("running".into())),
                    ("good".to_string(), MetricValue::UInt(5)),
                ]
            ),
            other => panic!("values, not {other:?}"),
        }
    }
}

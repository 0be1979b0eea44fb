//! What the simulator's Sparkplug B edge node says, pure: each machine is a
//! device (device id = machine name) with the metrics
//!
//! | metric          | type   | value |
//! |-----------------|--------|-------|
//! | `state`         | String | `running`, `idle`, `down`, `setup`, ... |
//! | `fault_code`    | UInt32 | the fault code while down, else 0 |
//! | `good`          | UInt64 | good parts since the simulator started |
//! | `scrap`         | UInt64 | scrap parts since the simulator started |
//! | `temperature`   | Double | °C |
//! | `spindle_speed` | Double | rpm |
//!
//! Aliases are numbered once across the node (1 is `Node Control/Rebirth`)
//! and stay the same for every birth. A birth carries every metric with
//! its name, alias, type and current value; a data message only the
//! metrics a change touched, by alias. Metric timestamps are the simulated
//! time of the change on the wall-clock scale.

use crate::machine::MachineEvent;
use crate::simulator::Outgoing;
use mes_protocols::sparkplug::{Aliases, DataType, MetricDef, MetricValue, Payload};

/// The metrics of every device, in birth order.
const METRICS: [(&str, DataType); 6] = [
    ("state", DataType::String),
    ("fault_code", DataType::UInt32),
    ("good", DataType::UInt64),
    ("scrap", DataType::UInt64),
    ("temperature", DataType::Double),
    ("spindle_speed", DataType::Double),
];

/// One machine's metrics (in [`METRICS`] order, with their aliases), their
/// current values and when each last changed (Unix ms).
#[derive(Debug, Clone)]
struct Device {
    id: String,
    metrics: Vec<MetricDef>,
    values: [Option<MetricValue>; 6],
    at: [u64; 6],
}

/// The node's devices and their current values.
#[derive(Debug, Clone)]
pub(crate) struct NodeModel {
    devices: Vec<Device>,
    epoch_ms: i64,
}

impl NodeModel {
    /// Devices for `machines` (names, in machine order); simulated time 0
    /// is `epoch_ms` on the wall clock. Parts start at 0; state and process
    /// values are unknown (null in a birth) until the first change.
    pub(crate) fn new(machines: &[String], epoch_ms: i64) -> NodeModel {
        let mut aliases = Aliases::new();
        let devices = machines
            .iter()
            .map(|name| Device {
                id: name.clone(),
                metrics: METRICS
                    .iter()
                    .map(|(metric, datatype)| aliases.define(*metric, *datatype))
                    .collect(),
                values: [
                    None,
                    Some(MetricValue::UInt(0)),
                    Some(MetricValue::UInt(0)),
                    Some(MetricValue::UInt(0)),
                    None,
                    None,
                ],
                at: [0; 6],
            })
            .collect();
        NodeModel { devices, epoch_ms }
    }

    fn wall(&self, at_ms: u64) -> u64 {
        let at = i64::try_from(at_ms).unwrap_or(i64::MAX);
        u64::try_from(self.epoch_ms.saturating_add(at)).unwrap_or(0)
    }

    /// Applies a change; returns the device's id and its DDATA payload
    /// (without `seq`), or None for a machine the node does not have.
    pub(crate) fn apply(&mut self, change: &Outgoing, now_ms: u64) -> Option<(String, Payload)> {
        let (machine, updates): (usize, Vec<(usize, MetricValue, u64)>) = match change {
            Outgoing::Event { machine, event } => {
                let device = self.devices.get(*machine)?;
                let count = |m: usize| match device.values[m] {
                    Some(MetricValue::UInt(n)) => n + 1,
                    _ => 1,
                };
                let updates = match event {
                    MachineEvent::State {
                        state,
                        fault_code,
                        at_ms,
                    } => vec![
                        (0, MetricValue::Text(state.name().to_string()), *at_ms),
                        (1, MetricValue::UInt(u64::from(*fault_code)), *at_ms),
                    ],
                    MachineEvent::Part {
                        scrap_reason: None,
                        at_ms,
                    } => vec![(2, MetricValue::UInt(count(2)), *at_ms)],
                    MachineEvent::Part {
                        scrap_reason: Some(_),
                        at_ms,
                    } => vec![(3, MetricValue::UInt(count(3)), *at_ms)],
                };
                (*machine, updates)
            }
            Outgoing::Process {
                machine,
                temperature,
                spindle_speed,
                at_ms,
            } => (
                *machine,
                vec![
                    (4, MetricValue::Float(*temperature), *at_ms),
                    (5, MetricValue::Float(*spindle_speed), *at_ms),
                ],
            ),
        };
        let wall: Vec<u64> = updates.iter().map(|(_, _, at)| self.wall(*at)).collect();
        let device = self.devices.get_mut(machine)?;
        let mut metrics = Vec::with_capacity(updates.len());
        for ((m, value, _), at) in updates.into_iter().zip(wall) {
            metrics.push(device.metrics[m].data(Some(&value), at));
            device.values[m] = Some(value);
            device.at[m] = at;
        }
        Some((
            device.id.clone(),
            Payload {
                timestamp: Some(now_ms),
                seq: None,
                metrics,
            },
        ))
    }

    /// Every device's DBIRTH (device id, payload without `seq`).
    pub(crate) fn device_births(&self, now_ms: u64) -> Vec<(String, Payload)> {
        self.devices
            .iter()
            .map(|device| {
                let metrics = device
                    .metrics
                    .iter()
                    .enumerate()
                    .map(|(m, def)| {
                        let at = if device.at[m] == 0 { now_ms } else { device.at[m] };
                        def.birth(device.values[m].as_ref(), at)
                    })
                    .collect();
                (
                    device.id.clone(),
                    Payload {
                        timestamp: Some(now_ms),
                        seq: None,
                        metrics,
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::MachineState;
    use mes_protocols::sparkplug::{MessageType, Topic, Tracker, decode, encode, node_birth};

    /// Runs payloads through our own host-side tracker, as the agent would.
    fn feed(tracker: &mut Tracker, kind: MessageType, device: Option<&str>, payload: &Payload, seq: u64) {
        let payload = Payload {
            seq: (kind != MessageType::NDeath).then_some(seq),
            ..payload.clone()
        };
        let bytes = encode(&payload);
        let topic = Topic::edge("plant", kind, "sim", device);
        let decoded = decode(&bytes).expect("decodes");
        let outcome = tracker.handle(&topic, &decoded, 0);
        assert!(outcome.anomalies.is_empty(), "{:?}", outcome.anomalies);
        assert!(outcome.rebirth.is_none(), "no rebirth needed");
    }

    #[test]
    fn births_name_every_metric_and_data_uses_their_aliases() {
        let mut model = NodeModel::new(&["m1".into(), "m2".into()], 1_000_000);
        let state = Outgoing::Event {
            machine: 1,
            event: MachineEvent::State {
                state: MachineState::Down,
                fault_code: 205,
                at_ms: 50,
            },
        };
        let (device, data) = model.apply(&state, 9).expect("known machine");
        assert_eq!(device, "m2");
        assert_eq!(data.metrics.len(), 2);
        assert_eq!(
            data.metrics[0].alias,
            Some(8),
            "m2's first metric, after m1's six"
        );
        assert_eq!(data.metrics[0].timestamp, Some(1_000_050));
        assert!(data.metrics.iter().all(|m| m.name.is_none()));
        let part = Outgoing::Event {
            machine: 0,
            event: MachineEvent::Part {
                scrap_reason: None,
                at_ms: 60,
            },
        };
        let (_, data) = model.apply(&part, 9).expect("known");
        assert_eq!(
            data.metrics[0].read(DataType::UInt64),
            Ok(Some(MetricValue::UInt(1)))
        );
        let births = model.device_births(10);
        let m2 = &births[1].1.metrics;
        assert_eq!(m2.len(), METRICS.len());
        assert_eq!(m2[0].name.as_deref(), Some("state"));
        assert_eq!(
            m2[0].read(DataType::String),
            Ok(Some(MetricValue::Text("down".into())))
        );
        assert_eq!(m2[1].read(DataType::UInt32), Ok(Some(MetricValue::UInt(205))));
        assert!(m2[4].is_null, "no temperature yet");
        assert_eq!(
            births[0].1.metrics[2].read(DataType::UInt64),
            Ok(Some(MetricValue::UInt(1)))
        );
    }

    #[test]
    fn our_own_host_tracker_accepts_births_then_data_by_alias() {
        let mut model = NodeModel::new(&["m1".into()], 0);
        let mut tracker = Tracker::new(1000);
        feed(&mut tracker, MessageType::NBirth, None, &node_birth(0, 1), 0);
        let mut seq = 0;
        for (device, birth) in model.device_births(1) {
            seq += 1;
            feed(&mut tracker, MessageType::DBirth, Some(&device), &birth, seq);
        }
        let change = Outgoing::Process {
            machine: 0,
            temperature: 61.5,
            spindle_speed: 12_000.0,
            at_ms: 5,
        };
        let (device, data) = model.apply(&change, 2).expect("known");
        feed(&mut tracker, MessageType::DData, Some(&device), &data, seq + 1);
        let unknown = Outgoing::Process {
            machine: 7,
            temperature: 0.0,
            spindle_speed: 0.0,
            at_ms: 0,
        };
        assert!(model.apply(&unknown, 0).is_none());
    }
}

//! What the tracker's outcome of one message becomes: observations for the
//! equipment model (a birth is the device's link up, a death its link down,
//! values one snapshot per message, historical values one per timestamp),
//! bad input (unreadable metrics, unknown aliases) and counts. Pure, so
//! the mapping is tested without a broker.

use crate::sources::{BadInputKind, Observation, ObservationKind, Origin, TagValue};
use mes_protocols::event::LinkState;
use mes_protocols::sparkplug::{Anomaly, Change, MetricValue, Source};
use mes_protocols::{Code, Timestamp};

/// Input that could not be mapped, counted against `device`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bad {
    /// The device name (or the topic).
    pub device: String,
    /// The metric label.
    pub kind: BadInputKind,
    /// What is wrong.
    pub reason: String,
}

/// The device name of a node (`<node>`) or device (`<node>/<device>`).
pub fn device_name(source: &Source) -> Result<Code, String> {
    let text = match &source.device {
        Some(device) => format!("{}/{device}", source.node),
        None => source.node.clone(),
    };
    Code::parse(&text).map_err(|why| format!("device name {text:?}: code {why}"))
}

/// Turns the changes of one message (on `topic`, received at `received`)
/// into observations; `use_payload_time` dates values by their timestamp.
pub fn observations(
    changes: Vec<Change>,
    topic: &str,
    received: Timestamp,
    use_payload_time: bool,
    detail: &str,
    bad: &mut Vec<Bad>,
) -> Vec<Observation> {
    let mut out = Vec::new();
    for change in changes {
        let (source, kind, at) = match change {
            Change::Born(source) => (
                source,
                ObservationKind::Link {
                    state: LinkState::Up,
                    detail: None,
                },
                received,
            ),
            Change::Died(source) => (
                source,
                ObservationKind::Link {
                    state: LinkState::Down,
                    detail: Some(detail.to_string()),
                },
                received,
            ),
            Change::Values {
                source,
                timestamp,
                historical,
                values,
            } => {
                let at = match timestamp.and_then(|t| i64::try_from(t).ok()) {
                    Some(ms) if use_payload_time || historical => Timestamp::from_unix_millis(ms),
                    _ => received,
                };
                let Ok(device) = device_name(&source) else {
                    continue; // reported below, once
                };
                let values = tag_values(&device, values, bad);
                (
                    source,
                    ObservationKind::Snapshot {
                        values,
                        origin: Origin::Sparkplug {
                            topic: topic.to_string(),
                        },
                        received,
                    },
                    at,
                )
            }
        };
        match device_name(&source) {
            Ok(device) => out.push(Observation { device, at, kind }),
            Err(reason) => bad.push(Bad {
                device: topic.to_string(),
                kind: BadInputKind::Topic,
                reason,
            }),
        }
    }
    out
}

fn tag_values(
    device: &Code,
    values: Vec<(String, MetricValue)>,
    bad: &mut Vec<Bad>,
) -> Vec<(Code, TagValue)> {
    let mut out = Vec::with_capacity(values.len());
    for (name, value) in values {
        let tag = match Code::parse(&name) {
            Ok(tag) => tag,
            Err(why) => {
                bad.push(Bad {
                    device: device.to_string(),
                    kind: BadInputKind::Field,
                    reason: format!("metric name {name:?}: code {why}"),
                });
                continue;
            }
        };
        let value = match value {
            MetricValue::Bool(b) => TagValue::Bool(b),
            MetricValue::Int(i) => TagValue::Int(i),
            MetricValue::UInt(u) => match i64::try_from(u) {
                Ok(i) => TagValue::Int(i),
                Err(_) => {
                    bad.push(Bad {
                        device: device.to_string(),
                        kind: BadInputKind::Value,
                        reason: format!("metric {name:?}: {u} is beyond the largest integer tag value"),
                    });
                    continue;
                }
            },
            MetricValue::Float(f) => TagValue::Float(f),
            MetricValue::Text(t) => TagValue::Text(t),
        };
        out.push((tag, value));
    }
    out
}

/// Bad input among the anomalies (unknown aliases, unreadable metrics);
/// `seq` gaps and data before a birth are not bad input but counted apart.
pub fn anomaly_input(anomaly: &Anomaly) -> Option<Bad> {
    let (source, kind, reason) = match anomaly {
        Anomaly::UnknownAlias { source, alias } => (
            source,
            BadInputKind::Field,
            format!("alias {alias} was not declared by the birth; rebirth requested"),
        ),
        Anomaly::BadMetric { source, reason } => (source, BadInputKind::Value, reason.clone()),
        Anomaly::SeqGap { .. } | Anomaly::NotBorn(_) => return None,
    };
    let device = device_name(source).map_or_else(|_| source.node.clone(), |c| c.to_string());
    Some(Bad { device, kind, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press() -> Source {
        Source {
            group: "g".into(),
            node: "gw1".into(),
            device: Some("press".into()),
        }
    }

    #[test]
    fn births_deaths_and_values_become_link_and_snapshot_observations() {
        let mut bad = Vec::new();
        let received = Timestamp::from_unix_millis(9_000);
        let obs = observations(
            vec![
                Change::Born(press()),
                Change::Values {
                    source: press(),
                    timestamp: Some(5_000),
                    historical: false,
                    values: vec![
                        ("state".into(), MetricValue::Text("running".into())),
                        ("good".into(), MetricValue::UInt(u64::MAX)),
                        ("count".into(), MetricValue::UInt(12)),
                    ],
                },
                Change::Died(press()),
            ],
            "spBv1.0/g/DDATA/gw1/press",
            received,
            true,
            "DDEATH",
            &mut bad,
        );
        assert_eq!(obs.len(), 3);
        assert!(obs.iter().all(|o| o.device.as_str() == "gw1/press"));
        assert!(matches!(
            obs[0].kind,
            ObservationKind::Link {
                state: LinkState::Up,
                ..
            }
        ));
        match &obs[1].kind {
            ObservationKind::Snapshot { values, .. } => {
                assert_eq!(obs[1].at, Timestamp::from_unix_millis(5_000));
                assert_eq!(values.len(), 2);
                assert_eq!(values[1].1, TagValue::Int(12));
            }
            other => panic!("a snapshot, not {other:?}"),
        }
        assert!(
            matches!(&obs[2].kind, ObservationKind::Link { state: LinkState::Down, detail: Some(d) } if d == "DDEATH")
        );
        assert_eq!(bad.len(), 1, "the u64 beyond i64 is bad input");
        assert_eq!(bad[0].kind, BadInputKind::Value);
    }

    #[test]
    fn received_time_when_payload_time_is_off() {
        let mut bad = Vec::new();
        let received = Timestamp::from_unix_millis(9_000);
        let change = |historical| Change::Values {
            source: press(),
            timestamp: Some(5_000),
            historical,
            values: vec![],
        };
        let obs = observations(
            vec![change(false), change(true)],
            "t",
            received,
            false,
            "",
            &mut bad,
        );
        assert_eq!(obs[0].at, received);
        assert_eq!(
            obs[1].at,
            Timestamp::from_unix_millis(5_000),
            "historical keeps its time"
        );
    }
}

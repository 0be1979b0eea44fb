//! What a Sparkplug B edge node says, pure: the session numbers and topics
//! of one node ([`EdgeNode`]), its node messages (NBIRTH, NDEATH), its
//! device metrics with their aliases ([`Aliases`], [`MetricDef`]), and
//! reading a rebirth request. The agent's edge node and machine-sim's both
//! publish through this; which devices and metrics they have, and when
//! values change, is theirs.
//!
//! The rules (Sparkplug B 3.0, edge node):
//! - Each MQTT connection is a session numbered by `bdSeq` (0..=255,
//!   wrapping): its will is the NDEATH with that `bdSeq`, and its NBIRTH
//!   carries the same. A lost connection's will has said its `bdSeq`, so
//!   the next connection takes one more.
//! - The NBIRTH has `seq` 0; every later message of the session (DBIRTH,
//!   DDATA, ...) one more, wrapping at 256. NDEATH has none.
//! - Births carry every metric with name, alias, type and value (null when
//!   unknown); data only aliases and values. Aliases are numbered once per
//!   node (1 is `Node Control/Rebirth`), so every birth binds the same ones.

use super::payload::{DataType, Metric, MetricValue, Payload, decode, encode};
use super::session::{BD_SEQ, REBIRTH};
use super::topic::{MessageType, Topic};

/// The alias of `Node Control/Rebirth`; device metrics are numbered after it.
pub const REBIRTH_ALIAS: u64 = 1;

/// One edge node's identity and session numbers: the topics of its
/// messages, `bdSeq` (one per MQTT connection) and `seq` (one per message
/// since the NBIRTH).
#[derive(Debug, Clone)]
pub struct EdgeNode {
    group_id: String,
    edge_node_id: String,
    bd_seq: u64,
    seq: u64,
}

impl EdgeNode {
    /// The node `edge_node_id` of group `group_id`, before its first
    /// connection (`bdSeq` 0). The ids are not checked here: the callers'
    /// configuration has checked them with [`id`](super::id).
    pub fn new(group_id: &str, edge_node_id: &str) -> EdgeNode {
        EdgeNode {
            group_id: group_id.to_string(),
            edge_node_id: edge_node_id.to_string(),
            bd_seq: 0,
            seq: 0,
        }
    }

    /// The `bdSeq` of the current (or next) connection.
    pub fn bd_seq(&self) -> u64 {
        self.bd_seq
    }

    /// The topic of a node message (`device` `None`) or a device message.
    pub fn topic(&self, kind: MessageType, device: Option<&str>) -> String {
        Topic::edge(&self.group_id, kind, &self.edge_node_id, device).to_string()
    }

    /// The NDEATH of the current connection, topic and encoded payload:
    /// the connection's will, and what a clean stop publishes itself.
    pub fn death(&self) -> (String, Vec<u8>) {
        (
            self.topic(MessageType::NDeath, None),
            encode(&node_death(self.bd_seq)),
        )
    }

    /// The connection whose will said the current `bdSeq` is gone: the next
    /// one is a new session, one more (mod 256).
    pub fn connection_lost(&mut self) {
        self.bd_seq = (self.bd_seq + 1) % 256;
    }

    /// Starts the session's births: the NBIRTH (seq 0, `bdSeq` and the
    /// rebirth control, stamped `now`), topic and encoded payload. The
    /// DBIRTHs follow through [`message`](Self::message).
    pub fn birth(&mut self, now: u64) -> (String, Vec<u8>) {
        self.seq = 0;
        self.message(MessageType::NBirth, None, node_birth(self.bd_seq, now))
    }

    /// A message with the next `seq`, topic and encoded payload (the
    /// payload's own `seq` is replaced).
    pub fn message(
        &mut self,
        kind: MessageType,
        device: Option<&str>,
        payload: Payload,
    ) -> (String, Vec<u8>) {
        let payload = Payload {
            seq: Some(self.seq),
            ..payload
        };
        self.seq = (self.seq + 1) % 256;
        (self.topic(kind, device), encode(&payload))
    }
}

/// The NBIRTH payload (seq 0): `bdSeq` and `Node Control/Rebirth` (false,
/// alias [`REBIRTH_ALIAS`]), every metric stamped `now`.
pub fn node_birth(bd_seq: u64, now: u64) -> Payload {
    let metric = |name: &str, alias, datatype, value| Metric {
        alias,
        timestamp: Some(now),
        ..Metric::named(name, datatype, Some(&value))
    };
    Payload {
        timestamp: Some(now),
        seq: Some(0),
        metrics: vec![
            metric(BD_SEQ, None, DataType::UInt64, MetricValue::UInt(bd_seq)),
            metric(
                REBIRTH,
                Some(REBIRTH_ALIAS),
                DataType::Boolean,
                MetricValue::Bool(false),
            ),
        ],
    }
}

/// The NDEATH payload: the `bdSeq` of the session it ends.
pub fn node_death(bd_seq: u64) -> Payload {
    Payload {
        timestamp: None,
        seq: None,
        metrics: vec![Metric::named(
            BD_SEQ,
            DataType::UInt64,
            Some(&MetricValue::UInt(bd_seq)),
        )],
    }
}

/// Whether an NCMD payload asks for a rebirth (`Node Control/Rebirth` =
/// true). Bytes that do not decode ask for nothing.
pub fn rebirth_requested(ncmd: &[u8]) -> bool {
    decode(ncmd).is_ok_and(|p| {
        p.metrics.iter().any(|m| {
            m.name.as_deref() == Some(REBIRTH)
                && m.read(DataType::Boolean) == Ok(Some(MetricValue::Bool(true)))
        })
    })
}

/// A device metric as its births declare it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDef {
    /// The metric's name.
    pub name: String,
    /// Its alias, unique across the node.
    pub alias: u64,
    /// Its data type.
    pub datatype: DataType,
}

impl MetricDef {
    /// The metric as a birth carries it: name, alias, type and `value`
    /// (null when `None`), at `timestamp`.
    pub fn birth(&self, value: Option<&MetricValue>, timestamp: u64) -> Metric {
        Metric {
            alias: Some(self.alias),
            timestamp: Some(timestamp),
            ..Metric::named(&self.name, self.datatype, value)
        }
    }

    /// The metric as data carries it: its alias and `value` (null when
    /// `None`), at `timestamp`; no name, no type (the birth declared them).
    pub fn data(&self, value: Option<&MetricValue>, timestamp: u64) -> Metric {
        Metric {
            alias: Some(self.alias),
            timestamp: Some(timestamp),
            is_null: value.is_none(),
            value: value.map(|v| v.to_raw(self.datatype)).unwrap_or_default(),
            ..Metric::default()
        }
    }
}

/// Numbers a node's device metrics: aliases from [`REBIRTH_ALIAS`] + 1 in
/// the order they are defined. Define every device's metrics once per run,
/// in the same order, and every birth binds the same aliases.
#[derive(Debug, Clone)]
pub struct Aliases {
    last: u64,
}

impl Default for Aliases {
    fn default() -> Self {
        Aliases { last: REBIRTH_ALIAS }
    }
}

impl Aliases {
    /// Numbering from the first alias after the rebirth control.
    pub fn new() -> Aliases {
        Aliases::default()
    }

    /// The next metric, named `name`, of type `datatype`.
    pub fn define(&mut self, name: impl Into<String>, datatype: DataType) -> MetricDef {
        self.last += 1;
        MetricDef {
            name: name.into(),
            alias: self.last,
            datatype,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparkplug::{Change, Tracker};

    /// A session's messages, read by our own host-side tracker through the
    /// wire: births bind the aliases, data by alias reads back, seq in order.
    #[test]
    fn births_then_data_by_alias_read_back_through_the_tracker() {
        let mut node = EdgeNode::new("g", "n");
        let mut aliases = Aliases::new();
        let defs = [
            aliases.define("state", DataType::String),
            aliases.define("good", DataType::UInt64),
        ];
        assert_eq!(defs.iter().map(|d| d.alias).collect::<Vec<_>>(), [2, 3]);
        let mut tracker = Tracker::new(1_000);
        let mut read = |(topic, bytes): (String, Vec<u8>)| {
            let payload = decode(&bytes).expect("decodes");
            let out = tracker.handle(&Topic::parse(&topic).expect("topic"), &payload, 0);
            assert!(out.anomalies.is_empty(), "{out:?}");
            (payload.seq, out.changes)
        };
        let (seq, _) = read(node.birth(10));
        assert_eq!(seq, Some(0));
        let birth = Payload {
            timestamp: Some(10),
            seq: None,
            metrics: vec![
                defs[0].birth(None, 10),
                defs[1].birth(Some(&MetricValue::UInt(3)), 10),
            ],
        };
        let (seq, _) = read(node.message(MessageType::DBirth, Some("d"), birth));
        assert_eq!(seq, Some(1));
        let data = Payload {
            timestamp: Some(20),
            seq: None,
            metrics: vec![defs[1].data(Some(&MetricValue::UInt(4)), 20)],
        };
        assert!(data.metrics[0].name.is_none() && data.metrics[0].datatype.is_none());
        let (seq, changes) = read(node.message(MessageType::DData, Some("d"), data));
        assert_eq!(seq, Some(2));
        assert!(
            matches!(&changes[0], Change::Values { values, .. } if values == &[("good".to_string(), MetricValue::UInt(4))]),
            "{changes:?}"
        );
    }

    #[test]
    fn a_lost_connection_is_the_next_bd_seq_and_births_restart_seq() {
        let mut node = EdgeNode::new("g", "n");
        let (topic, will) = node.death();
        assert_eq!(topic, "spBv1.0/g/NDEATH/n");
        assert_eq!(decode(&will).expect("decodes"), node_death(0));
        node.birth(1);
        node.message(MessageType::DData, Some("d"), Payload::default());
        node.connection_lost();
        assert_eq!(node.bd_seq(), 1);
        let (_, bytes) = node.birth(2);
        let birth = decode(&bytes).expect("decodes");
        assert_eq!(birth.seq, Some(0));
        assert_eq!(
            birth.metrics[0].read(DataType::UInt64),
            Ok(Some(MetricValue::UInt(1)))
        );
        for _ in 0..255 {
            node.connection_lost();
        }
        assert_eq!(node.bd_seq(), 0, "bdSeq wraps at 256");
    }

    #[test]
    fn only_a_true_rebirth_command_asks_for_births() {
        let command = |value| {
            encode(&Payload {
                metrics: vec![Metric::named(
                    REBIRTH,
                    DataType::Boolean,
                    Some(&MetricValue::Bool(value)),
                )],
                ..Payload::default()
            })
        };
        assert!(rebirth_requested(&command(true)));
        assert!(!rebirth_requested(&command(false)));
        assert!(!rebirth_requested(b"\xff\xff not protobuf"));
    }
}

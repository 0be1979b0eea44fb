//! What a Sparkplug B host application remembers about the edge nodes it
//! hears: each node's and device's birth (metric names, aliases, data
//! types), the node's `bdSeq` and the next `seq` expected. Pure: the caller
//! passes every message with the time it arrived, and sends what the
//! [`Outcome`] asks for (a rebirth request) and observes what it reports.
//!
//! The rules (Sparkplug B 3.0, host application):
//! - An NBIRTH starts a node's session: its metrics (with `bdSeq`) and
//!   aliases replace what was known, and its devices must be born again.
//! - Every later message of the session (DBIRTH, NDATA, DDATA, DDEATH)
//!   carries `seq`, one more than the last (mod 256). A gap means messages
//!   were lost: the message is still read (its aliases are those of the
//!   birth), and a rebirth is requested so the state is whole again.
//! - Data of a node or device not born in this session, or naming an alias
//!   its birth did not declare, cannot be read: a rebirth is requested.
//! - An NDEATH whose `bdSeq` is not the current session's is the late will
//!   of an older connection and is ignored; otherwise the node and all its
//!   devices are dead until their next birth. A rebirth of a node or device
//!   that is alive is no link change: it reports no new `Born`.
//! - Rebirth requests to one node are at most one per `rebirth_interval`,
//!   and none while a requested birth is awaited within that interval.
//! - Historical metrics (`is_historical`) are reported apart, at their own
//!   timestamps, and never change the current values' time.

use super::payload::{DataType, Metric, MetricValue, Payload};
use super::topic::{MessageType, Topic};
use std::collections::{BTreeMap, HashMap};

/// The name of the birth metric that numbers a node's MQTT sessions.
pub const BD_SEQ: &str = "bdSeq";
/// The node command that asks for a rebirth.
pub const REBIRTH: &str = "Node Control/Rebirth";

/// A node (`device` `None`) or one of its devices.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    /// The group id.
    pub group: String,
    /// The edge node id.
    pub node: String,
    /// The device id.
    pub device: Option<String>,
}

/// What changed about a node or device.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A birth: it is online (its values follow as `Values`).
    Born(Source),
    /// A death (or the host lost the broker): it is offline.
    Died(Source),
    /// Metric values read together from one message.
    Values {
        /// Whose.
        source: Source,
        /// When (the payload's timestamp; for historical values, theirs).
        timestamp: Option<u64>,
        /// Historical values, not current ones.
        historical: bool,
        /// Metric name and value; null values are left out.
        values: Vec<(String, MetricValue)>,
    },
}

/// Something wrong with a message, to be counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// `seq` was not the one expected (messages were lost or reordered).
    SeqGap {
        /// The node.
        node: String,
        /// The seq expected.
        expected: u64,
        /// The seq received (`None`: missing).
        got: Option<u64>,
    },
    /// Data from a node or device not born in this session.
    NotBorn(Source),
    /// A data metric whose alias its birth did not declare.
    UnknownAlias {
        /// Whose.
        source: Source,
        /// The alias.
        alias: u64,
    },
    /// A metric that cannot be read (no name nor alias, no data type, a
    /// value that does not fit its type).
    BadMetric {
        /// Whose.
        source: Source,
        /// What is wrong, naming the metric.
        reason: String,
    },
}

/// What one message means for the host.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Births, deaths and values, in order.
    pub changes: Vec<Change>,
    /// What is wrong with it.
    pub anomalies: Vec<Anomaly>,
    /// Send `Node Control/Rebirth` to this node (group, node) now.
    pub rebirth: Option<(String, String)>,
}

#[derive(Debug, Default)]
struct Catalog {
    by_alias: HashMap<u64, (String, DataType)>,
    by_name: HashMap<String, DataType>,
}

#[derive(Debug, Default)]
struct NodeSession {
    born: bool,
    /// Devices born and not dead since, across rebirths: a rebirth is not
    /// a link change, so it reports no new `Born`.
    online: std::collections::BTreeSet<String>,
    bd_seq: Option<u64>,
    next_seq: Option<u64>,
    metrics: Catalog,
    devices: BTreeMap<String, Catalog>,
    /// When the last rebirth request went out (ms), while its birth is awaited.
    rebirth_requested: Option<i64>,
}

/// The host's memory of every edge node it hears.
#[derive(Debug)]
pub struct Tracker {
    nodes: HashMap<(String, String), NodeSession>,
    rebirth_interval_ms: i64,
}

impl Tracker {
    /// A tracker that asks one node for a rebirth at most once per
    /// `rebirth_interval_ms`.
    pub fn new(rebirth_interval_ms: u64) -> Tracker {
        Tracker {
            nodes: HashMap::new(),
            rebirth_interval_ms: i64::try_from(rebirth_interval_ms).unwrap_or(i64::MAX),
        }
    }

    /// Handles one message received at `now_ms` (the host's clock).
    pub fn handle(&mut self, topic: &Topic, payload: &Payload, now_ms: i64) -> Outcome {
        let mut out = Outcome::default();
        let Topic::Edge {
            group,
            kind,
            node,
            device,
        } = topic
        else {
            return out;
        };
        let key = (group.clone(), node.clone());
        let source = Source {
            group: group.clone(),
            node: node.clone(),
            device: device.clone(),
        };
        let session = self.nodes.entry(key).or_default();
        let mut wants_rebirth = false;
        match kind {
            MessageType::NCmd | MessageType::DCmd => return out,
            MessageType::NBirth => {
                let was_born = session.born;
                *session = NodeSession {
                    born: true,
                    online: std::mem::take(&mut session.online),
                    bd_seq: bd_seq(payload),
                    next_seq: payload.seq.map(next),
                    ..NodeSession::default()
                };
                if !was_born {
                    out.changes.push(Change::Born(source.clone()));
                }
                let catalog = birth_catalog(&source, payload, &mut out);
                read_values(&source, &catalog, payload, &mut out);
                session.metrics = catalog;
            }
            MessageType::NDeath => {
                if let (Some(current), Some(death)) = (session.bd_seq, bd_seq(payload))
                    && current != death
                {
                    return out; // the late will of an older session
                }
                session.devices.clear();
                for device in std::mem::take(&mut session.online) {
                    out.changes.push(Change::Died(Source {
                        device: Some(device),
                        ..source.clone()
                    }));
                }
                out.changes.push(Change::Died(source));
                session.born = false;
                session.next_seq = None;
                session.metrics = Catalog::default();
            }
            MessageType::DBirth | MessageType::NData | MessageType::DData | MessageType::DDeath => {
                if !session.born {
                    out.anomalies.push(Anomaly::NotBorn(source));
                    wants_rebirth = true;
                } else {
                    if let Some(expected) = session.next_seq
                        && payload.seq != Some(expected)
                    {
                        out.anomalies.push(Anomaly::SeqGap {
                            node: node.clone(),
                            expected,
                            got: payload.seq,
                        });
                        wants_rebirth = true;
                    }
                    session.next_seq = payload.seq.map(next).or(session.next_seq);
                    wants_rebirth |= session_message(session, *kind, &source, payload, &mut out);
                }
            }
        }
        if wants_rebirth {
            let due = session
                .rebirth_requested
                .is_none_or(|at| now_ms.saturating_sub(at) >= self.rebirth_interval_ms);
            if due {
                session.rebirth_requested = Some(now_ms);
                out.rebirth = Some((group.clone(), node.clone()));
            }
        }
        out
    }

    /// The host lost the broker: every node and device it knew born is
    /// reported dead, and every session forgotten (their births are asked
    /// for again when their data arrives).
    pub fn connection_lost(&mut self) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut nodes: Vec<_> = self.nodes.drain().collect();
        nodes.sort_by(|a, b| a.0.cmp(&b.0));
        for ((group, node), session) in nodes {
            if !session.born {
                continue;
            }
            let source = Source {
                group,
                node,
                device: None,
            };
            for device in session.online {
                changes.push(Change::Died(Source {
                    device: Some(device),
                    ..source.clone()
                }));
            }
            changes.push(Change::Died(source));
        }
        changes
    }
}

/// A DBIRTH, NDATA, DDATA or DDEATH of a born node; true when it needs a
/// rebirth.
fn session_message(
    session: &mut NodeSession,
    kind: MessageType,
    source: &Source,
    payload: &Payload,
    out: &mut Outcome,
) -> bool {
    let device = source.device.clone();
    match (kind, device) {
        (MessageType::DBirth, Some(device)) => {
            if session.online.insert(device.clone()) {
                out.changes.push(Change::Born(source.clone()));
            }
            let catalog = birth_catalog(source, payload, out);
            read_values(source, &catalog, payload, out);
            session.devices.insert(device, catalog);
            false
        }
        (MessageType::DDeath, Some(device)) => {
            session.devices.remove(&device);
            session.online.remove(&device);
            out.changes.push(Change::Died(source.clone()));
            false
        }
        (MessageType::NData, None) => read_values(source, &session.metrics, payload, out),
        (MessageType::DData, Some(device)) => match session.devices.get(&device) {
            Some(catalog) => read_values(source, catalog, payload, out),
            None => {
                out.anomalies.push(Anomaly::NotBorn(source.clone()));
                true
            }
        },
        // The topic parser pairs device types with a device level.
        _ => false,
    }
}

fn next(seq: u64) -> u64 {
    (seq + 1) % 256
}

fn bd_seq(payload: &Payload) -> Option<u64> {
    let metric = payload
        .metrics
        .iter()
        .find(|m| m.name.as_deref() == Some(BD_SEQ))?;
    let datatype = DataType::from_code(metric.datatype.unwrap_or(DataType::UInt64.code()));
    match metric.read(datatype) {
        Ok(Some(MetricValue::UInt(v))) => Some(v),
        Ok(Some(MetricValue::Int(v))) => u64::try_from(v).ok(),
        _ => None,
    }
}

/// The names, aliases and data types a birth declares.
fn birth_catalog(source: &Source, payload: &Payload, out: &mut Outcome) -> Catalog {
    let mut catalog = Catalog::default();
    for m in payload.metrics.iter().filter(|m| !m.is_historical) {
        let bad = |reason: String| Anomaly::BadMetric {
            source: source.clone(),
            reason,
        };
        let Some(name) = &m.name else {
            out.anomalies.push(bad("a birth metric without a name".into()));
            continue;
        };
        let Some(code) = m.datatype else {
            out.anomalies
                .push(bad(format!("birth metric {name:?} has no data type")));
            continue;
        };
        let datatype = DataType::from_code(code);
        catalog.by_name.insert(name.clone(), datatype);
        if let Some(alias) = m.alias {
            catalog.by_alias.insert(alias, (name.clone(), datatype));
        }
    }
    catalog
}

/// Reads the metrics of a birth or data message through `catalog`; true
/// when an alias was unknown (a rebirth is needed).
fn read_values(source: &Source, catalog: &Catalog, payload: &Payload, out: &mut Outcome) -> bool {
    let mut unknown_alias = false;
    let mut current = Vec::new();
    let mut historical: BTreeMap<Option<u64>, Vec<(String, MetricValue)>> = BTreeMap::new();
    for m in &payload.metrics {
        let Some((name, datatype)) = resolve(source, catalog, m, out, &mut unknown_alias) else {
            continue;
        };
        match m.read(datatype) {
            Ok(None) | Err(crate::sparkplug::ValueError::Unsupported(_)) => {}
            Ok(Some(value)) if m.is_historical => {
                historical
                    .entry(m.timestamp.or(payload.timestamp))
                    .or_default()
                    .push((name, value));
            }
            Ok(Some(value)) => current.push((name, value)),
            Err(e) => out.anomalies.push(Anomaly::BadMetric {
                source: source.clone(),
                reason: format!("metric {name:?}: {e}"),
            }),
        }
    }
    for (timestamp, values) in historical {
        out.changes.push(Change::Values {
            source: source.clone(),
            timestamp,
            historical: true,
            values,
        });
    }
    out.changes.push(Change::Values {
        source: source.clone(),
        timestamp: payload.timestamp,
        historical: false,
        values: current,
    });
    unknown_alias
}

/// The name and data type of a metric: its name, else its alias, through
/// the birth; its own data type, else the birth's.
fn resolve(
    source: &Source,
    catalog: &Catalog,
    m: &Metric,
    out: &mut Outcome,
    unknown_alias: &mut bool,
) -> Option<(String, DataType)> {
    let (name, declared) = match (&m.name, m.alias) {
        (Some(name), _) => (name.clone(), catalog.by_name.get(name).copied()),
        (None, Some(alias)) => match catalog.by_alias.get(&alias) {
            Some((name, datatype)) => (name.clone(), Some(*datatype)),
            None => {
                out.anomalies.push(Anomaly::UnknownAlias {
                    source: source.clone(),
                    alias,
                });
                *unknown_alias = true;
                return None;
            }
        },
        (None, None) => {
            out.anomalies.push(Anomaly::BadMetric {
                source: source.clone(),
                reason: "a metric with neither name nor alias".into(),
            });
            return None;
        }
    };
    match m.datatype.map(DataType::from_code).or(declared) {
        Some(datatype) => Some((name, datatype)),
        None => {
            out.anomalies.push(Anomaly::BadMetric {
                source: source.clone(),
                reason: format!("metric {name:?} has no data type and no birth declared one"),
            });
            None
        }
    }
}

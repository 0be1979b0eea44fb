//! The sources' live counters: bad input per device and reason (malformed
//! payloads, undecodable registers, exceptions, values of the wrong type for
//! their use, messages for a device without equipment), and each protocol's
//! own counters. The sink hands them to every source.

use super::modbus::ModbusStats;
use super::sparkplug::SparkplugStats;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Why input was bad, as a metric label (few values, so the metric stays
/// small); the log line says the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BadInputKind {
    /// A topic no subscription matches, or a device name the topic cannot make.
    Topic,
    /// A payload that is not UTF-8, empty, not JSON, too large, or with an
    /// unreadable timestamp.
    Payload,
    /// A configured field missing or of a JSON type that is no tag value.
    Field,
    /// A Modbus register that cannot be read or decoded.
    Register,
    /// A count that is not a non-negative integer, or over the sanity maximum.
    Count,
    /// A state value of the wrong type, or a state text no rule knows.
    State,
    /// A process value that is not a number, or an OPC UA value of a
    /// type that is no tag value.
    Value,
    /// An OPC UA value whose status is Bad or Uncertain.
    Status,
    /// A message for a device no equipment uses.
    NoEquipment,
}

impl BadInputKind {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            BadInputKind::Topic => "topic",
            BadInputKind::Payload => "payload",
            BadInputKind::Field => "field",
            BadInputKind::Register => "register",
            BadInputKind::Count => "count",
            BadInputKind::State => "state",
            BadInputKind::Value => "value",
            BadInputKind::Status => "status",
            BadInputKind::NoEquipment => "no_equipment",
        }
    }
}

/// The sources' live counters, for metrics and the status page: bad input
/// per device and reason, counted for every source, and the counters a
/// protocol keeps of its own. A new protocol with counters adds its field.
#[derive(Debug, Default)]
pub struct SourceStats {
    bad: Mutex<BTreeMap<(String, BadInputKind), u64>>,
    /// Modbus poll counts and jitter, shared by every device poller.
    pub modbus: ModbusStats,
    /// Sparkplug B births, deaths, seq gaps and rebirth requests.
    pub sparkplug: SparkplugStats,
}

impl SourceStats {
    /// Bad inputs per device name (all reasons).
    pub fn bad_inputs(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for ((device, _), n) in self.by_reason() {
            *out.entry(device).or_insert(0) += n;
        }
        out
    }

    /// Bad inputs per device name and reason.
    pub fn by_reason(&self) -> BTreeMap<(String, BadInputKind), u64> {
        self.bad.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Counts one bad input (without logging).
    pub fn count(&self, device: &str, kind: BadInputKind) {
        *self
            .bad
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((device.to_string(), kind))
            .or_insert(0) += 1;
    }
}

//! What the stations know between steps: who is clocked in where, which
//! operation runs (or is paused) at each station with what it consumed and
//! output so far, and which operations are finished.
//!
//! The whole [`Floor`] is saved as one agent-state value in the same buffer
//! transaction as the events of the step that changed it, so after a crash
//! or restart the state always matches the events.

use mes_protocols::{Code, ExecutionId, Quantity, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The agent-state key the floor is saved under.
pub const FLOOR_KEY: &str = "station/floor";

/// Every station's state, and what is finished.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Floor {
    /// Per station.
    #[serde(default)]
    pub stations: BTreeMap<Code, StationState>,
    /// Operations finished on this floor, as (order, operation).
    #[serde(default)]
    pub finished: Vec<(Code, Code)>,
    /// Output lots numbered so far (for unique output lot codes).
    #[serde(default)]
    pub output_lots: u64,
}

impl Floor {
    /// The state of `station` (empty when nothing happened there yet).
    pub fn station(&self, station: &Code) -> StationState {
        self.stations.get(station).cloned().unwrap_or_default()
    }

    /// Whether (order, operation) is finished.
    pub fn is_finished(&self, order: &Code, operation: &Code) -> bool {
        self.finished.iter().any(|(o, op)| o == order && op == operation)
    }

    /// The station where (order, operation) runs or is paused, if any.
    pub fn running_at(&self, order: &Code, operation: &Code) -> Option<&Code> {
        self.stations
            .iter()
            .find(|(_, s)| {
                s.run
                    .as_ref()
                    .is_some_and(|r| r.order == *order && r.operation == *operation)
            })
            .map(|(code, _)| code)
    }

    /// The station where `worker` is clocked in, if any.
    pub fn clocked_at(&self, worker: &Code) -> Option<&Code> {
        self.stations
            .iter()
            .find(|(_, s)| s.workers.iter().any(|w| w.worker == *worker))
            .map(|(code, _)| code)
    }
}

/// One station's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StationState {
    /// Workers clocked in here, in clock-in order.
    #[serde(default)]
    pub workers: Vec<ClockedWorker>,
    /// The operation running or paused here.
    #[serde(default)]
    pub run: Option<Run>,
}

/// A worker clocked in at a station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockedWorker {
    /// The worker's code.
    pub worker: Code,
    /// When they clocked in.
    pub since: Timestamp,
}

/// An operation running (or paused) at a station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// This run.
    pub execution: ExecutionId,
    /// The order.
    pub order: Code,
    /// The operation.
    pub operation: Code,
    /// The equipment it runs on.
    pub equipment: Code,
    /// When it started.
    pub started_at: Timestamp,
    /// Paused, with the reason given.
    #[serde(default)]
    pub paused: Option<Pause>,
    /// Materials consumed, in the order scanned.
    #[serde(default)]
    pub consumed: Vec<Consumption>,
    /// Good quantity reported, in the output's unit.
    #[serde(default)]
    pub good: Decimal,
    /// Scrap quantity reported, in the output's unit.
    #[serde(default)]
    pub scrap: Decimal,
    /// Output lots made, in order.
    #[serde(default)]
    pub output_lots: Vec<Code>,
}

/// Why and since when a run is paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// Since when.
    pub since: Timestamp,
    /// The reason given, if any.
    pub reason: Option<Code>,
}

/// One consumption of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumption {
    /// The material.
    pub material: Code,
    /// The lot.
    pub lot: Option<Code>,
    /// As entered.
    pub quantity: Quantity,
    /// In the material's base unit.
    #[serde(with = "rust_decimal::serde::str")]
    pub base: Decimal,
}

impl Run {
    /// How much of `material` this run consumed, in base units.
    pub fn consumed_base(&self, material: &Code) -> Decimal {
        self.consumed
            .iter()
            .filter(|c| c.material == *material)
            .map(|c| c.base)
            .sum()
    }
}

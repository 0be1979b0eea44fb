//! The production order report's shape: planned against actual per
//! operation (filled by `actuals.rs`) with the stock status of each input
//! and the cost by element (added by `order_report.rs`). Types only, so
//! both halves use them without using each other.

use crate::costing::CostFigures;
use mes_protocols::Timestamp;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// One material of an operation or order: planned and actual, base units.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct MaterialUse {
    /// The material.
    pub material: String,
    /// Planned: quantity per unit × order quantity, in the unit given.
    pub planned: Decimal,
    /// The unit of `planned` (the routing's).
    pub planned_unit: String,
    /// Reported consumed, per unit as entered (`{"kg": "12.5"}`).
    pub consumed: BTreeMap<String, Decimal>,
    /// Its stock at the order's site now (none for a material not in
    /// master data).
    pub stock: Option<super::input_stock::InputStock>,
}

/// One operation's planned and actual figures.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct OperationActuals {
    /// The operation number.
    pub operation: String,
    /// Its name.
    pub name: String,
    /// Planned minutes: setup + run per unit × order quantity.
    pub planned_minutes: Decimal,
    /// Actual running minutes (runs less pauses).
    pub actual_minutes: Decimal,
    /// Runs reported (start to finish).
    pub runs: usize,
    /// Whether a run is still open.
    pub running: bool,
    /// First start.
    pub started_at: Option<Timestamp>,
    /// Last finish.
    pub finished_at: Option<Timestamp>,
    /// Good quantity reported.
    pub good: Decimal,
    /// Scrap quantity reported.
    pub scrap: Decimal,
    /// Scrap per reason.
    pub scrap_reasons: BTreeMap<String, Decimal>,
    /// Materials planned and consumed.
    pub materials: Vec<MaterialUse>,
    /// Its labour and machine cost so far.
    pub cost: OperationCost,
}

/// A production order's planned against actual.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrderActuals {
    /// The order.
    pub order: String,
    /// Its status.
    pub status: String,
    /// Quantity to make.
    pub quantity: Decimal,
    /// Good output received into stock (ledger, base units).
    pub received: Decimal,
    /// Material issued to the order (ledger, base units), per material.
    pub issued: BTreeMap<String, Decimal>,
    /// Per operation.
    pub operations: Vec<OperationActuals>,
    /// The order's actual cost by element so far.
    pub cost: CostByElement,
}

/// An operation's conversion cost so far (from the costing's time rules:
/// each worker's share of parallel runs, equipment running time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OperationCost {
    /// Worker minutes.
    pub labour_minutes: Decimal,
    /// Machine minutes.
    pub machine_minutes: Decimal,
    /// Labour cost (cents).
    pub labour: Decimal,
    /// Machine cost (cents).
    pub machine: Decimal,
}

/// The order's actual cost by element so far (as `GET
/// /api/v1/costing/orders/{code}` reports it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CostByElement {
    /// Materials, labour, machine, overhead, total, unit cost.
    #[serde(flatten)]
    pub figures: CostFigures,
    /// Value issued per input material (all lots).
    pub materials_by_input: BTreeMap<String, Decimal>,
}

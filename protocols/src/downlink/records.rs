//! The records the hub sends down to an agent: what its site's stations
//! need to work offline. One struct per record kind; field names are the
//! wire names and stay stable (new fields are added as optional).
//!
//! Records do not deny unknown fields: a newer hub may add fields, and an
//! older agent must still read the page.

use crate::Code;
use crate::date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

/// An operator station of the site: where operators scan, bound to the
/// equipment they run there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationRecord {
    /// The station's code (the agent's `[[station]] code`).
    pub code: Code,
    /// Display name.
    pub name: String,
    /// The equipment at this station; an operation may run here when one of
    /// them has the operation's equipment type.
    #[serde(default)]
    pub equipment: Vec<Code>,
    /// The line-side stock location material is consumed from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Code>,
}

/// A machine of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquipmentRecord {
    /// The equipment's code (the same code machine events carry).
    pub code: Code,
    /// Display name.
    pub name: String,
    /// Its type, matched against an operation's `equipment_type`.
    pub equipment_type: Code,
}

/// A worker who may clock in at the site's stations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerRecord {
    /// The worker's code (what events carry).
    pub code: Code,
    /// Display name.
    pub name: String,
    /// The badge code as the scanner reads it after the badge prefix
    /// (`B-0042` scanned with prefix `B-` is badge `0042`).
    pub badge: Code,
    /// The worker type, matched against an operation's `worker_type`.
    pub worker_type: Code,
}

/// A unit a material may be counted in besides its base unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AltUnit {
    /// The unit's code (`box`).
    pub unit: Code,
    /// Base units per one of this unit (`12`: a box holds 12 base units).
    /// Always positive.
    #[serde(with = "rust_decimal::serde::str")]
    pub factor: Decimal,
}

/// A material (raw, semi-finished or finished).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialRecord {
    /// The material's code.
    pub code: Code,
    /// Display name.
    pub name: String,
    /// The unit stock is kept in.
    pub base_unit: Code,
    /// Other units it may be counted in, with their factors to `base_unit`.
    #[serde(default)]
    pub alt_units: Vec<AltUnit>,
    /// Whether every consumption must name a lot.
    pub lot_tracked: bool,
}

impl MaterialRecord {
    /// Base units per one `unit`: 1 for the base unit, the factor for an
    /// alternative unit, `None` for a unit this material is not counted in.
    pub fn factor_to_base(&self, unit: &Code) -> Option<Decimal> {
        if *unit == self.base_unit {
            return Some(Decimal::ONE);
        }
        self.alt_units.iter().find(|a| a.unit == *unit).map(|a| a.factor)
    }
}

/// A lot of a material. Lot codes are unique per material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotRecord {
    /// The material the lot is of.
    pub material: Code,
    /// The lot code.
    pub lot: Code,
    /// The last day the lot may be used; none = does not expire.
    #[serde(default, with = "date::option", skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Date>,
    /// A blocked lot (quality hold) must not be consumed.
    #[serde(default)]
    pub blocked: bool,
    /// Its manufacturer (maker, brand), judged against the material's
    /// [`ApprovalList`](crate::approval::ApprovalList); none = not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<Code>,
}

/// Where a production order stands; only orders in these states are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Released to the site; no operation has started.
    Released,
    /// At least one operation has started.
    InProgress,
}

/// A material an operation consumes, per unit of the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationInput {
    /// The material consumed.
    pub material: Code,
    /// Planned consumption per one unit of the order's quantity.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity_per_unit: Decimal,
    /// The unit of `quantity_per_unit` (the material's base unit or one of
    /// its alternative units).
    pub unit: Code,
}

/// One operation of an order's routing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderOperation {
    /// The operation number (`10`, `20`); operations run in ascending
    /// numeric order.
    pub operation: Code,
    /// What is done (`Bend`).
    pub name: String,
    /// The type of equipment it runs on.
    pub equipment_type: Code,
    /// The type of worker it needs; none = any clocked-in worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_type: Option<Code>,
    /// Planned setup time, minutes.
    #[serde(with = "rust_decimal::serde::str")]
    pub setup_minutes: Decimal,
    /// Planned run time per unit, minutes.
    #[serde(with = "rust_decimal::serde::str")]
    pub run_minutes_per_unit: Decimal,
    /// Materials it consumes.
    #[serde(default)]
    pub inputs: Vec<OperationInput>,
    /// The material it outputs. None: the last operation outputs the
    /// order's material and earlier ones output nothing stocked (work in
    /// progress).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Code>,
}

/// A production order released to the site, with its routing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// The order number (what an order barcode carries after its prefix).
    pub code: Code,
    /// The material the order makes.
    pub material: Code,
    /// How much to make.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// The unit of `quantity`.
    pub unit: Code,
    /// When it is due, if set.
    #[serde(default, with = "date::option", skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    /// Released or in progress.
    pub status: OrderStatus,
    /// The customer of the sales order line it makes, if any: lots are
    /// judged against that customer's approved-manufacturer list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Code>,
    /// The routing's operations, in routing order.
    #[serde(default)]
    pub operations: Vec<OrderOperation>,
}

/// What a reason code explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// Why an equipment stopped.
    Downtime,
    /// Why parts were scrapped.
    Scrap,
    /// Why an operation was paused.
    Pause,
}

/// A reason code operators choose from. Codes are unique per tenant across
/// kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonRecord {
    /// The reason's code.
    pub code: Code,
    /// What it explains. Named `reason_kind` on the wire because `kind`
    /// is the record tag.
    pub reason_kind: ReasonKind,
    /// The text shown on the station button.
    pub text: String,
}

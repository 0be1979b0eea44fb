//! Standard cost: what one unit of a material should cost, rolled up over
//! its BOM and routing levels (pure; `standard_input.rs` builds the input
//! from master data).
//!
//! The rule, per unit of a material made in lots of `lot_size` base units:
//! - **purchased** (no BOM version and no routing): its master-data
//!   `standard_cost`, all of it material;
//! - **made**: material = Σ components' standard unit cost × quantity per
//!   unit (each component rolled up the same way, with the lot size the
//!   parent's lot needs: parent lot × quantity per unit); per operation,
//!   minutes per unit = setup minutes / lot size + run minutes per unit;
//!   labour = minutes × the worker type's hourly rate / 60 (one worker per
//!   operation); machine = minutes × the equipment type's standard machine
//!   rate / 60; overhead by the site's rule on this level's own figures
//!   (per machine hour: machine minutes / 60 × rate; percent of
//!   conversion: (labour + machine) × percent / 100), none without a rule.
//!
//! [`StandardCost::unit`] is the single-level view (a made component counts
//! as material at its full standard cost, as the order's actual cost counts
//! its issues); [`StandardCost::rolled_up`] spreads every level's labour,
//! machine and overhead into their own elements, leaving material as the
//! purchased content. Both total the same.
//!
//! Figures are exact decimals (no rounding inside the roll-up beyond
//! `rust_decimal`'s 28 significant digits, which a quotient such as
//! setup / lot size may reach; a value derived from them is rounded once,
//! `costing::money`); [`StandardCost::reported`]
//! rounds a copy to 4 decimal places for display. A BOM cycle is an error
//! naming the path, never an endless recursion, and a structure of more
//! than [`MAX_LINES`] lines is refused.

use super::money;
use super::settings::Overhead;
use crate::arith::{self, OutOfRange};
use mes_protocols::Code;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The most component and operation lines one roll-up visits (a structure
/// shared at many places is expanded at each, since lot sizes differ).
pub const MAX_LINES: usize = 100_000;

const MINUTES_PER_HOUR: Decimal = Decimal::from_parts(60, 0, 0, false, 0);

/// A figure as shown: 4 decimal places (half away from zero), trailing
/// zeros dropped (`1.1`, `0.6038`).
fn shown(exact: Decimal) -> Decimal {
    money::unit_cost(exact).normalize()
}

/// Cost per unit by element.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Elements {
    /// Material.
    pub material: Decimal,
    /// Labour.
    pub labour: Decimal,
    /// Machine.
    pub machine: Decimal,
    /// Overhead.
    pub overhead: Decimal,
}

impl Elements {
    /// material + labour + machine + overhead.
    pub fn total(&self) -> Result<Decimal, OutOfRange> {
        arith::sum([self.material, self.labour, self.machine, self.overhead])
    }

    fn add_scaled(&mut self, other: &Elements, factor: Decimal) -> Result<(), OutOfRange> {
        arith::add_to(&mut self.material, arith::mul(other.material, factor)?)?;
        arith::add_to(&mut self.labour, arith::mul(other.labour, factor)?)?;
        arith::add_to(&mut self.machine, arith::mul(other.machine, factor)?)?;
        arith::add_to(&mut self.overhead, arith::mul(other.overhead, factor)?)
    }

    fn rounded(&self) -> Self {
        Self {
            material: shown(self.material),
            labour: shown(self.labour),
            machine: shown(self.machine),
            overhead: shown(self.overhead),
        }
    }
}

/// A component of a made material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentLine {
    /// The component.
    pub material: Code,
    /// Base units of the component per base unit of the parent; above zero.
    pub quantity_per_unit: Decimal,
}

/// An operation as the standard reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StdOperation {
    /// The operation number.
    pub operation: u32,
    /// Its name.
    pub name: String,
    /// The equipment type that runs it.
    pub equipment_type: Code,
    /// The worker type it needs.
    pub worker_type: Code,
    /// Setup minutes per lot.
    pub setup_minutes: Decimal,
    /// Run minutes per unit.
    pub run_minutes_per_unit: Decimal,
}

/// How a made material is made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipe {
    /// Its components (the BOM version's lines, else the routing's inputs).
    pub components: Vec<ComponentLine>,
    /// Its routing version's operations (none for a BOM without routing).
    pub operations: Vec<StdOperation>,
}

/// How a material comes about, as master data says on the costing day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Make {
    /// Bought: its master-data standard cost per base unit.
    Purchased(Decimal),
    /// Made by this recipe.
    Made(Recipe),
    /// Made, but its structure cannot be read (why, in the user's words).
    Unresolved(String),
}

/// Everything the roll-up reads.
#[derive(Debug, Clone, Default)]
pub struct StandardInput {
    /// How each material of the tenant comes about.
    pub materials: BTreeMap<Code, Make>,
    /// Hourly labour rate per worker type.
    pub labour_rates: BTreeMap<Code, Decimal>,
    /// Standard hourly machine rate per equipment type (none: no active
    /// equipment of the type).
    pub machine_rates: BTreeMap<Code, Decimal>,
    /// The site's overhead rule, if any.
    pub overhead: Option<Overhead>,
}

/// Why a standard cost cannot be rolled up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StandardError {
    /// The lot size is not above zero.
    #[error("lot size must be above zero, not {0}")]
    LotSize(Decimal),
    /// A material named in the structure is not in master data.
    #[error("material {0} is not in master data")]
    UnknownMaterial(String),
    /// A material's structure cannot be read.
    #[error("material {material}: {reason}")]
    Unresolved {
        /// The material.
        material: String,
        /// Why.
        reason: String,
    },
    /// A material contains itself.
    #[error("BOM cycle: {}", path.join(" → "))]
    Cycle {
        /// The materials from the repeated one back to it.
        path: Vec<String>,
    },
    /// An operation's worker type has no rate.
    #[error("operation {operation} of {material}: worker type {worker_type} has no labour rate")]
    NoLabourRate {
        /// The material made.
        material: String,
        /// The operation number.
        operation: u32,
        /// The worker type.
        worker_type: String,
    },
    /// An operation's equipment type has no active equipment to rate it.
    #[error(
        "operation {operation} of {material}: equipment type {equipment_type} has no active equipment to take a standard machine rate from"
    )]
    NoMachineRate {
        /// The material made.
        material: String,
        /// The operation number.
        operation: u32,
        /// The equipment type.
        equipment_type: String,
    },
    /// The structure is larger than [`MAX_LINES`].
    #[error("the structure under {0} has more than {MAX_LINES} lines")]
    TooLarge(String),
    /// A figure of a material's standard leaves the range of a decimal
    /// (master data stored before its values were bounded, or quantities
    /// multiplied through many levels).
    #[error(
        "the standard cost of {0} is out of the range of a decimal; check its quantities, minutes and rates"
    )]
    OutOfRange(String),
}

/// One component's share of a standard cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ComponentCost {
    /// Base units per unit of the parent.
    pub quantity_per_unit: Decimal,
    /// quantity_per_unit × the component's standard unit cost.
    pub cost_per_unit: Decimal,
    /// The component's own standard cost (at the lot size the parent needs).
    pub standard: StandardCost,
}

/// One operation's share of a standard cost, per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OperationStandard {
    /// The operation number.
    pub operation: u32,
    /// Its name.
    pub name: String,
    /// The equipment type.
    pub equipment_type: String,
    /// The worker type.
    pub worker_type: String,
    /// setup minutes / lot size + run minutes per unit.
    pub minutes_per_unit: Decimal,
    /// The worker type's hourly rate.
    pub labour_rate: Decimal,
    /// The equipment type's standard hourly machine rate.
    pub machine_rate: Decimal,
    /// Labour per unit.
    pub labour: Decimal,
    /// Machine per unit.
    pub machine: Decimal,
}

/// A material's standard cost per base unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StandardCost {
    /// The material.
    pub material: String,
    /// The lot size it was costed for, base units.
    pub lot_size: Decimal,
    /// Whether it is made (false: purchased, at its master-data standard).
    pub made: bool,
    /// Per unit, this level: components at their full standard as material.
    pub unit: Elements,
    /// Per unit, all levels: each level's labour, machine and overhead in
    /// their own element, material = purchased content.
    pub rolled_up: Elements,
    /// The standard unit cost (the total of either view).
    pub unit_cost: Decimal,
    /// Its components.
    pub components: Vec<ComponentCost>,
    /// Its operations.
    pub operations: Vec<OperationStandard>,
}

impl StandardCost {
    /// A copy with every figure rounded to 4 decimal places (half away from
    /// zero, trailing zeros dropped) for display; compute nothing from it.
    pub fn reported(&self) -> StandardCost {
        StandardCost {
            material: self.material.clone(),
            lot_size: self.lot_size.normalize(),
            made: self.made,
            unit: self.unit.rounded(),
            rolled_up: self.rolled_up.rounded(),
            unit_cost: shown(self.unit_cost),
            components: self
                .components
                .iter()
                .map(|c| ComponentCost {
                    quantity_per_unit: c.quantity_per_unit.normalize(),
                    cost_per_unit: shown(c.cost_per_unit),
                    standard: c.standard.reported(),
                })
                .collect(),
            operations: self
                .operations
                .iter()
                .map(|o| OperationStandard {
                    minutes_per_unit: shown(o.minutes_per_unit),
                    labour: shown(o.labour),
                    machine: shown(o.machine),
                    labour_rate: o.labour_rate.normalize(),
                    machine_rate: shown(o.machine_rate),
                    ..o.clone()
                })
                .collect(),
        }
    }

    /// The standard unit cost of `material` among this one's components
    /// (first found, depth first), or of this material itself.
    pub fn unit_cost_of(&self, material: &str) -> Option<Decimal> {
        if self.material == material {
            return Some(self.unit_cost);
        }
        self.components
            .iter()
            .find(|c| c.standard.material == material)
            .map(|c| c.standard.unit_cost)
    }
}

/// The standard cost of `material` made in lots of `lot_size` base units.
pub fn standard_cost(
    input: &StandardInput,
    material: &Code,
    lot_size: Decimal,
) -> Result<StandardCost, StandardError> {
    check_lot(lot_size)?;
    Walk::new(input).cost(material, None, lot_size)
}

/// The standard cost of `material` made by `recipe` (a production order's
/// own operations and inputs) in lots of `lot_size`; its components are
/// rolled up from `input`.
pub fn standard_cost_of_recipe(
    input: &StandardInput,
    material: &Code,
    recipe: &Recipe,
    lot_size: Decimal,
) -> Result<StandardCost, StandardError> {
    check_lot(lot_size)?;
    Walk::new(input).cost(material, Some(recipe), lot_size)
}

fn check_lot(lot_size: Decimal) -> Result<(), StandardError> {
    if lot_size > Decimal::ZERO {
        Ok(())
    } else {
        Err(StandardError::LotSize(lot_size))
    }
}

/// One roll-up: the path from the top (for cycles) and the lines visited.
struct Walk<'a> {
    input: &'a StandardInput,
    path: Vec<Code>,
    lines: usize,
}

impl<'a> Walk<'a> {
    fn new(input: &'a StandardInput) -> Self {
        Self {
            input,
            path: Vec::new(),
            lines: 0,
        }
    }

    fn cost(
        &mut self,
        material: &Code,
        recipe: Option<&Recipe>,
        lot_size: Decimal,
    ) -> Result<StandardCost, StandardError> {
        if let Some(at) = self.path.iter().position(|m| m == material) {
            let mut path: Vec<String> = self.path[at..].iter().map(Code::to_string).collect();
            path.push(material.to_string());
            return Err(StandardError::Cycle { path });
        }
        let recipe = match (recipe, self.input.materials.get(material)) {
            (Some(recipe), _) => recipe,
            (None, None) => return Err(StandardError::UnknownMaterial(material.to_string())),
            (None, Some(Make::Unresolved(reason))) => {
                return Err(StandardError::Unresolved {
                    material: material.to_string(),
                    reason: reason.clone(),
                });
            }
            (None, Some(Make::Purchased(price))) => return Ok(purchased(material, *price, lot_size)),
            (None, Some(Make::Made(recipe))) => recipe,
        };
        self.lines += recipe.components.len() + recipe.operations.len();
        if self.lines > MAX_LINES {
            return Err(StandardError::TooLarge(material.to_string()));
        }
        self.path.push(material.clone());
        let made = self.made(material, recipe, lot_size);
        self.path.pop();
        made
    }

    fn made(
        &mut self,
        material: &Code,
        recipe: &Recipe,
        lot_size: Decimal,
    ) -> Result<StandardCost, StandardError> {
        let out_of_range = |_: OutOfRange| StandardError::OutOfRange(material.to_string());
        let mut unit = Elements::default();
        let mut rolled_up = Elements::default();
        let mut components = Vec::with_capacity(recipe.components.len());
        for line in &recipe.components {
            let component_lot = arith::mul(lot_size, line.quantity_per_unit).map_err(out_of_range)?;
            let standard = self.cost(&line.material, None, component_lot)?;
            let cost_per_unit =
                arith::mul(standard.unit_cost, line.quantity_per_unit).map_err(out_of_range)?;
            arith::add_to(&mut unit.material, cost_per_unit).map_err(out_of_range)?;
            rolled_up
                .add_scaled(&standard.rolled_up, line.quantity_per_unit)
                .map_err(out_of_range)?;
            components.push(ComponentCost {
                quantity_per_unit: line.quantity_per_unit,
                cost_per_unit,
                standard,
            });
        }
        let operations = recipe
            .operations
            .iter()
            .map(|op| self.operation(material, op, lot_size))
            .collect::<Result<Vec<_>, _>>()?;
        unit.labour = arith::sum(operations.iter().map(|o| o.labour)).map_err(out_of_range)?;
        unit.machine = arith::sum(operations.iter().map(|o| o.machine)).map_err(out_of_range)?;
        unit.overhead = match self.input.overhead {
            None => Decimal::ZERO,
            Some(Overhead::PerMachineHour(rate)) => {
                let minutes = arith::sum(operations.iter().map(|o| o.minutes_per_unit));
                minutes
                    .and_then(|m| arith::mul(m, rate))
                    .and_then(|v| arith::div(v, MINUTES_PER_HOUR))
                    .map_err(out_of_range)?
            }
            Some(Overhead::PercentOfConversion(pct)) => arith::add(unit.labour, unit.machine)
                .and_then(|v| arith::mul(v, pct))
                .and_then(|v| arith::div(v, Decimal::ONE_HUNDRED))
                .map_err(out_of_range)?,
        };
        arith::add_to(&mut rolled_up.labour, unit.labour).map_err(out_of_range)?;
        arith::add_to(&mut rolled_up.machine, unit.machine).map_err(out_of_range)?;
        arith::add_to(&mut rolled_up.overhead, unit.overhead).map_err(out_of_range)?;
        Ok(StandardCost {
            material: material.to_string(),
            lot_size,
            made: true,
            unit,
            rolled_up,
            unit_cost: unit.total().map_err(out_of_range)?,
            components,
            operations,
        })
    }

    fn operation(
        &self,
        material: &Code,
        op: &StdOperation,
        lot_size: Decimal,
    ) -> Result<OperationStandard, StandardError> {
        let labour_rate =
            *self
                .input
                .labour_rates
                .get(&op.worker_type)
                .ok_or_else(|| StandardError::NoLabourRate {
                    material: material.to_string(),
                    operation: op.operation,
                    worker_type: op.worker_type.to_string(),
                })?;
        let machine_rate = *self.input.machine_rates.get(&op.equipment_type).ok_or_else(|| {
            StandardError::NoMachineRate {
                material: material.to_string(),
                operation: op.operation,
                equipment_type: op.equipment_type.to_string(),
            }
        })?;
        let out_of_range = |_: OutOfRange| StandardError::OutOfRange(material.to_string());
        let minutes_per_unit = arith::div(op.setup_minutes, lot_size)
            .and_then(|m| arith::add(m, op.run_minutes_per_unit))
            .map_err(out_of_range)?;
        let per_hour = |rate: Decimal| {
            arith::mul(minutes_per_unit, rate)
                .and_then(|v| arith::div(v, MINUTES_PER_HOUR))
                .map_err(out_of_range)
        };
        let labour = per_hour(labour_rate)?;
        let machine = per_hour(machine_rate)?;
        Ok(OperationStandard {
            operation: op.operation,
            name: op.name.clone(),
            equipment_type: op.equipment_type.to_string(),
            worker_type: op.worker_type.to_string(),
            minutes_per_unit,
            labour_rate,
            machine_rate,
            labour,
            machine,
        })
    }
}

fn purchased(material: &Code, price: Decimal, lot_size: Decimal) -> StandardCost {
    let unit = Elements {
        material: price,
        ..Elements::default()
    };
    StandardCost {
        material: material.to_string(),
        lot_size,
        made: false,
        unit,
        rolled_up: unit,
        unit_cost: price,
        components: Vec::new(),
        operations: Vec::new(),
    }
}

#[cfg(test)]
#[path = "standard_tests.rs"]
mod tests;

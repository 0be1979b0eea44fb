//! Master data → the standard-cost roll-up's input (`costing::standard`):
//! which materials are made and how, on a given day and site.
//!
//! - **Structure**: a material with a BOM version valid on the day takes
//!   that version's lines as components (as release does); else its
//!   routing's inputs. Operations come from the routing's last listed
//!   version (the version a new order takes). A material with neither a
//!   valid BOM version nor a routing is purchased. Quantities are
//!   converted to the component's base unit with the material's exact
//!   alternative-unit factor (no rounding).
//! - **A production order's own level** uses what the order consumes:
//!   its copied operations and their inputs once released (the routing
//!   version and BOM version it was released with), else its named
//!   versions (the routing's last and the BOM version valid on the day
//!   when it names none).
//! - **Standard machine rate** of an equipment type: the mean hourly rate
//!   of the type's active (not archived) equipment at the site; when the
//!   site has none (or no site is given), of the type's active equipment
//!   at every site; a type with no active equipment has no rate.
//! - **Overhead**: the site's `costing_settings` rule; none without a site.

use super::master::CostingMaster;
use super::settings::Overhead;
use super::standard::{ComponentLine, Make, Recipe, StandardInput, StdOperation};
use crate::error::HubError;
use crate::masterdata::records::{
    Bom, BomVersion, Equipment, Material, ProductionOrder, Routing, RoutingOperation,
};
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::Code;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use time::Date;

/// The master data standard costs are rolled up from, read once.
#[derive(Debug, Clone, Default)]
pub struct StandardSource {
    /// Every material.
    pub materials: BTreeMap<Code, Material>,
    /// Every BOM, by material.
    pub boms: BTreeMap<Code, Bom>,
    /// Every routing, by material.
    pub routings: BTreeMap<Code, Routing>,
    /// Active equipment.
    pub equipment: Vec<Equipment>,
    /// Hourly rate per worker type.
    pub labour_rates: BTreeMap<Code, Decimal>,
    /// Overhead rule per site.
    pub overhead: BTreeMap<String, Overhead>,
}

impl StandardSource {
    /// Reads the tenant's master data.
    pub async fn load(store: &Store, tenant: TenantId) -> Result<Self, HubError> {
        Ok(Self::from_master(&CostingMaster::load(store, tenant).await?))
    }

    /// The standard's view of `master`.
    pub fn from_master(master: &CostingMaster) -> Self {
        Self {
            materials: master
                .materials
                .iter()
                .map(|m| (m.code.clone(), m.clone()))
                .collect(),
            boms: master
                .boms
                .iter()
                .map(|b| (b.material.clone(), b.clone()))
                .collect(),
            routings: master
                .routings
                .iter()
                .map(|r| (r.material.clone(), r.clone()))
                .collect(),
            equipment: master
                .equipment
                .iter()
                .filter(|e| !e.archived)
                .map(|e| e.record.clone())
                .collect(),
            labour_rates: master
                .worker_types
                .iter()
                .map(|t| (t.code.clone(), t.hourly_rate))
                .collect(),
            overhead: master.overhead(),
        }
    }

    /// The roll-up's input on `day` at `site` (see the module doc).
    pub fn input(&self, day: Date, site: Option<&str>) -> StandardInput {
        let materials = self
            .materials
            .values()
            .map(|m| (m.code.clone(), self.make(m, day)))
            .collect();
        StandardInput {
            materials,
            labour_rates: self.labour_rates.clone(),
            machine_rates: machine_rates(&self.equipment, site),
            overhead: site.and_then(|s| self.overhead.get(s).copied()),
        }
    }

    fn make(&self, material: &Material, day: Date) -> Make {
        let bom = self.boms.get(&material.code).and_then(|b| b.version_on(day));
        let routing = self.routings.get(&material.code).and_then(|r| r.version(None));
        if bom.is_none() && routing.is_none() {
            return Make::Purchased(material.standard_cost);
        }
        let operations = routing.map_or(&[][..], |r| &r.operations[..]);
        match self.recipe(operations, bom) {
            Ok(recipe) => Make::Made(recipe),
            Err(reason) => Make::Unresolved(reason),
        }
    }

    /// The recipe of `operations` with `bom`'s lines as components (else
    /// the operations' own inputs).
    fn recipe(&self, operations: &[RoutingOperation], bom: Option<&BomVersion>) -> Result<Recipe, String> {
        let lines: Vec<(&Code, Decimal, &Code)> = match bom {
            Some(v) => v
                .lines
                .iter()
                .map(|l| (&l.component, l.quantity, &l.unit))
                .collect(),
            None => operations
                .iter()
                .flat_map(|op| &op.inputs)
                .map(|i| (&i.material, i.quantity_per_unit, &i.unit))
                .collect(),
        };
        let mut components: Vec<ComponentLine> = Vec::new();
        for (material, quantity, unit) in lines {
            let quantity_per_unit = self.to_base(material, quantity, unit)?;
            match components.iter_mut().find(|c| &c.material == material) {
                Some(c) => {
                    c.quantity_per_unit = c
                        .quantity_per_unit
                        .checked_add(quantity_per_unit)
                        .ok_or_else(|| format!("component {material}: its quantity is out of range"))?;
                }
                None => components.push(ComponentLine {
                    material: material.clone(),
                    quantity_per_unit,
                }),
            }
        }
        Ok(Recipe {
            components,
            operations: operations.iter().map(std_operation).collect(),
        })
    }

    fn to_base(&self, material: &Code, quantity: Decimal, unit: &Code) -> Result<Decimal, String> {
        let record = self
            .materials
            .get(material)
            .ok_or_else(|| format!("component {material} is not in master data"))?;
        let factor = record.base_units_per(unit).ok_or_else(|| {
            format!(
                "component {material} is counted in {unit}, which is neither its base unit {} nor one of its alternative units",
                record.base_unit
            )
        })?;
        quantity.checked_mul(factor).ok_or_else(|| {
            format!("component {material}: {quantity} {unit} is out of range in its base unit")
        })
    }

    /// What production order `order` makes one unit from (see the module
    /// doc); `day` picks the versions of a draft that names none.
    pub fn order_recipe(&self, order: &ProductionOrder, day: Date) -> Result<Recipe, String> {
        if !order.operations.is_empty() {
            return self.recipe(&order.operations, None);
        }
        let routing = self
            .routings
            .get(&order.material)
            .ok_or_else(|| format!("material {} has no routing", order.material))?;
        let version = routing
            .version(order.routing_version.as_ref())
            .ok_or_else(|| format!("the routing of {} has no such version", order.material))?;
        let bom = self
            .boms
            .get(&order.material)
            .and_then(|b| match &order.bom_version {
                Some(v) => b.versions.iter().find(|x| &x.version == v),
                None => b.version_on(day),
            });
        self.recipe(&version.operations, bom)
    }
}

fn std_operation(op: &RoutingOperation) -> StdOperation {
    StdOperation {
        operation: op.operation,
        name: op.name.clone(),
        equipment_type: op.equipment_type.clone(),
        worker_type: op.worker_type.clone(),
        setup_minutes: op.setup_minutes,
        run_minutes_per_unit: op.run_minutes_per_unit,
    }
}

/// The standard machine rate per equipment type (see the module doc).
pub fn machine_rates(equipment: &[Equipment], site: Option<&str>) -> BTreeMap<Code, Decimal> {
    let mean = |at_site: bool| {
        let mut sums: BTreeMap<Code, (Decimal, u32)> = BTreeMap::new();
        for e in equipment {
            if !at_site || site.is_some_and(|s| e.site.as_str() == s) {
                let entry = sums.entry(e.equipment_type.clone()).or_default();
                // Saturates rather than panics on rates stored before they
                // were bounded; the roll-up then refuses the huge figure.
                entry.0 = entry.0.saturating_add(e.hourly_rate);
                entry.1 += 1;
            }
        }
        sums.into_iter()
            .map(|(t, (sum, n))| (t, sum / Decimal::from(n)))
            .collect::<BTreeMap<_, _>>()
    };
    let mut rates = mean(false);
    if site.is_some() {
        rates.extend(mean(true));
    }
    rates
}

/// The day an order's standard is taken on: the UTC day it was released,
/// else `today`.
pub fn order_day(order: &ProductionOrder, today: Date) -> Date {
    order.released_at.map_or(today, |t| t.to_datetime().date())
}

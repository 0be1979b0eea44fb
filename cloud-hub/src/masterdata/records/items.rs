//! Units of measure, materials and lots.

use super::iso_date;
use super::manufacturer::Manufacturer;
use crate::masterdata::kind::{MasterKind, Reference, distinct, not_blank, not_negative};
use mes_protocols::{Code, FieldError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

/// A unit of measure (`pcs`, `kg`, `m`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Its code.
    pub code: Code,
    /// Its name (`kilogram`).
    pub name: String,
    /// Decimal places quantities in this unit keep (0 for pieces, 3 for
    /// kilograms); quantities converted into it are rounded half away from
    /// zero to this many places. 0 to 6.
    #[serde(default)]
    pub decimals: u32,
}

impl MasterKind for Unit {
    const KIND: &'static str = "unit";
    const PATH: &'static str = "units";
    const TITLE: &'static str = "Unit of measure";

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)?;
        if self.decimals > 6 {
            return Err(FieldError::new("decimals", "must be 0 to 6"));
        }
        Ok(())
    }
}

/// A material (the same type the file import reads).
pub type Material = crate::masterdata::import::MaterialRow;

impl Material {
    /// Base units in one `unit` of this material: 1 for its base unit, the
    /// factor of one of its alternative units, `None` for any other unit.
    pub fn base_units_per(&self, unit: &Code) -> Option<rust_decimal::Decimal> {
        if *unit == self.base_unit {
            return Some(rust_decimal::Decimal::ONE);
        }
        self.alt_units.iter().find(|a| a.unit == *unit).map(|a| a.factor)
    }
}

impl MasterKind for Material {
    const KIND: &'static str = "material";
    const PATH: &'static str = "materials";
    const TITLE: &'static str = "Material";
    const FILTERS: &'static [&'static str] = &["kind", "base_unit"];

    fn code(&self) -> &Code {
        &self.code
    }

    fn check(&self) -> Result<(), FieldError> {
        not_blank("name", &self.name)?;
        not_negative("standard_cost", self.standard_cost, mes_protocols::limits::PRICE)?;
        if self.standard_cost.scale() > 4 {
            return Err(FieldError::new("standard_cost", "has more than 4 decimal places"));
        }
        distinct("alt_units", &self.alt_units, |u| u.unit.clone())?;
        for (i, alt) in self.alt_units.iter().enumerate() {
            if alt.unit == self.base_unit {
                return Err(FieldError::new(
                    format!("alt_units[{i}].unit"),
                    "is the base unit; an alternative unit must differ from it",
                ));
            }
            crate::masterdata::kind::positive(
                &format!("alt_units[{i}].factor"),
                alt.factor,
                mes_protocols::limits::FACTOR,
            )?;
        }
        Ok(())
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![Reference::new(Unit::KIND, &self.base_unit, "base_unit")];
        refs.extend(
            self.alt_units
                .iter()
                .enumerate()
                .map(|(i, u)| Reference::new(Unit::KIND, &u.unit, format!("alt_units[{i}].unit"))),
        );
        refs
    }
}

/// A lot (batch) of a material: the factory's own lot number, unique per
/// tenant. A supplier's lot number is kept beside it, so two suppliers'
/// equal lot numbers cannot collide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lot {
    /// The lot number.
    pub code: Code,
    /// The material it is a lot of.
    pub material: Code,
    /// Last day it may be used; none = does not expire.
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<super::IsoDateText>")]
    pub expires_on: Option<Date>,
    /// Blocked by quality: may not be consumed or shipped.
    #[serde(default)]
    pub blocked: bool,
    /// The supplier's lot number, for bought lots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_lot: Option<String>,
    /// Who made it (judged against the material's approval list); from
    /// the goods receipt or the lot record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<Code>,
    /// The manufacturer's own lot number (on a GS1 label of the maker:
    /// AI 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_lot: Option<String>,
    /// The manufacturer's part number (GS1 AI 240).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_part: Option<String>,
}

impl MasterKind for Lot {
    const MODULE: crate::store::rights::Module = crate::store::rights::Module::Stock;
    const KIND: &'static str = "lot";
    const PATH: &'static str = "lots";
    const TITLE: &'static str = "Lot";
    const FILTERS: &'static [&'static str] = &["material"];

    fn code(&self) -> &Code {
        &self.code
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs = vec![Reference::new(Material::KIND, &self.material, "material")];
        if let Some(maker) = &self.manufacturer {
            refs.push(Reference::new(Manufacturer::KIND, maker, "manufacturer"));
        }
        refs
    }
}

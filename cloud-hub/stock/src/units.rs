//! Units of measure of a material: converting what an operator entered
//! (`2 box`, `1.5 kg`) into the material's base unit, the only unit the
//! ledger knows.
//!
//! Rounding rule (the one rule for every conversion): the exact product
//! `value × factor` is rounded to the base unit's scale (a number of decimal
//! places fixed per material, e.g. 3 for `kg`, 0 for `pcs`) with round half
//! to even (banker's rounding, `RoundingStrategy::MidpointNearestEven`).
//! A quantity already in the base unit is rounded the same way, so every
//! ledger quantity has at most `scale` decimal places and sums are exact.

use mes_protocols::{Code, Quantity};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest base-unit scale a material may have (rust_decimal holds 28
/// fractional digits; 12 leaves room for products and sums).
pub const MAX_SCALE: u32 = 12;

/// Why a quantity could not be converted, or a unit definition is invalid.
/// Every variant names the material and the unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// The material has no such unit (neither base nor alternative).
    #[error("material {material}: unknown unit {unit:?} (base unit is {base:?})")]
    UnknownUnit {
        /// The material.
        material: Code,
        /// The unit that was asked for.
        unit: Code,
        /// The material's base unit, to help whoever fixes the master data.
        base: Code,
    },
    /// No unit definition exists for the material at all.
    #[error("material {material}: no units defined (unknown material)")]
    UnknownMaterial {
        /// The material.
        material: Code,
    },
    /// A conversion factor is zero or negative.
    #[error("material {material}, unit {unit}: conversion factor {factor} must be positive")]
    NonPositiveFactor {
        /// The material.
        material: Code,
        /// The alternative unit.
        unit: Code,
        /// The rejected factor.
        factor: Decimal,
    },
    /// The base unit's scale is larger than [`MAX_SCALE`].
    #[error("material {material}, base unit {unit}: scale {scale} exceeds {MAX_SCALE}")]
    ScaleTooLarge {
        /// The material.
        material: Code,
        /// The base unit.
        unit: Code,
        /// The rejected scale.
        scale: u32,
    },
    /// `value × factor` does not fit in a decimal.
    #[error("material {material}: {value} {unit} overflows when converted to the base unit")]
    Overflow {
        /// The material.
        material: Code,
        /// The unit of the value.
        unit: Code,
        /// The value that overflowed.
        value: Decimal,
    },
}

/// How one material is measured: a base unit with a fixed scale and any
/// number of alternative units, each an exact decimal multiple of the base
/// (`1 box = 12 pcs`, `1 g = 0.001 kg`). Built only through [`MaterialUnits::new`]
/// and [`MaterialUnits::with_unit`], so factors are always positive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialUnits {
    material: Code,
    base: Code,
    scale: u32,
    alternatives: BTreeMap<Code, Decimal>,
}

impl MaterialUnits {
    /// A material measured in `base`, whose quantities keep `scale` decimal
    /// places (at most [`MAX_SCALE`]).
    pub fn new(material: Code, base: Code, scale: u32) -> Result<Self, UnitError> {
        if scale > MAX_SCALE {
            return Err(UnitError::ScaleTooLarge {
                material,
                unit: base,
                scale,
            });
        }
        Ok(Self {
            material,
            base,
            scale,
            alternatives: BTreeMap::new(),
        })
    }

    /// Adds an alternative unit: one `unit` is `factor` base units. A unit
    /// equal to the base unit, or defined twice, is replaced by the new
    /// definition (the base unit itself always has factor 1).
    pub fn with_unit(mut self, unit: Code, factor: Decimal) -> Result<Self, UnitError> {
        if factor <= Decimal::ZERO {
            return Err(UnitError::NonPositiveFactor {
                material: self.material,
                unit,
                factor,
            });
        }
        if unit != self.base {
            self.alternatives.insert(unit, factor);
        }
        Ok(self)
    }

    /// The material these units belong to.
    pub fn material(&self) -> &Code {
        &self.material
    }

    /// The base unit: every ledger quantity of this material is in it.
    pub fn base(&self) -> &Code {
        &self.base
    }

    /// Decimal places kept in the base unit.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// How many base units one `unit` is, or `None` for an unknown unit.
    pub fn factor(&self, unit: &Code) -> Option<Decimal> {
        if *unit == self.base {
            Some(Decimal::ONE)
        } else {
            self.alternatives.get(unit).copied()
        }
    }

    /// Rounds a base-unit value to this material's scale (half to even).
    pub fn round(&self, value: Decimal) -> Decimal {
        value.round_dp_with_strategy(self.scale, RoundingStrategy::MidpointNearestEven)
    }

    /// `quantity` in the base unit, rounded by the module's rule.
    pub fn to_base(&self, quantity: &Quantity) -> Result<Decimal, UnitError> {
        let factor = self
            .factor(&quantity.unit)
            .ok_or_else(|| UnitError::UnknownUnit {
                material: self.material.clone(),
                unit: quantity.unit.clone(),
                base: self.base.clone(),
            })?;
        let exact = quantity
            .value
            .checked_mul(factor)
            .ok_or_else(|| UnitError::Overflow {
                material: self.material.clone(),
                unit: quantity.unit.clone(),
                value: quantity.value,
            })?;
        Ok(self.round(exact))
    }
}

/// The units of every material the ledger may see, by material code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitCatalog {
    materials: BTreeMap<Code, MaterialUnits>,
}

impl UnitCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a material's units.
    pub fn insert(&mut self, units: MaterialUnits) {
        self.materials.insert(units.material.clone(), units);
    }

    /// The units of `material`.
    pub fn get(&self, material: &Code) -> Result<&MaterialUnits, UnitError> {
        self.materials
            .get(material)
            .ok_or_else(|| UnitError::UnknownMaterial {
                material: material.clone(),
            })
    }

    /// `quantity` of `material` in its base unit (see the module's rounding rule).
    pub fn to_base(&self, material: &Code, quantity: &Quantity) -> Result<Decimal, UnitError> {
        self.get(material)?.to_base(quantity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{code, dec};

    fn steel() -> MaterialUnits {
        MaterialUnits::new(code("steel"), code("kg"), 3)
            .and_then(|u| u.with_unit(code("g"), dec("0.001")))
            .and_then(|u| u.with_unit(code("t"), dec("1000")))
            .expect("valid units")
    }

    #[test]
    fn converts_alternative_units_exactly() {
        let u = steel();
        assert_eq!(u.to_base(&Quantity::new(dec("2.5"), code("t"))), Ok(dec("2500")));
        assert_eq!(
            u.to_base(&Quantity::new(dec("1234"), code("g"))),
            Ok(dec("1.234"))
        );
        assert_eq!(u.to_base(&Quantity::new(dec("0.1"), code("kg"))), Ok(dec("0.1")));
    }

    #[test]
    fn rounds_half_to_even_at_the_base_scale() {
        let u = steel();
        // 0.5 g = 0.0005 kg: the midpoint between 0.000 and 0.001 goes to the even 0.000.
        assert_eq!(u.to_base(&Quantity::new(dec("0.5"), code("g"))), Ok(dec("0.000")));
        // 1.5 g = 0.0015 kg: the midpoint goes to the even 0.002.
        assert_eq!(u.to_base(&Quantity::new(dec("1.5"), code("g"))), Ok(dec("0.002")));
        assert_eq!(
            u.to_base(&Quantity::new(dec("1.00049"), code("kg"))),
            Ok(dec("1.000"))
        );
    }

    #[test]
    fn unknown_unit_names_material_and_unit() {
        let err = steel()
            .to_base(&Quantity::new(dec("1"), code("box")))
            .expect_err("box is unknown");
        let text = err.to_string();
        assert!(
            text.contains("steel") && text.contains("box") && text.contains("kg"),
            "{text}"
        );
    }

    #[test]
    fn unknown_material_and_bad_factor_are_errors() {
        let catalog = UnitCatalog::new();
        let err = catalog.to_base(&code("glue"), &Quantity::new(dec("1"), code("l")));
        assert_eq!(
            err,
            Err(UnitError::UnknownMaterial {
                material: code("glue")
            })
        );
        let bad = MaterialUnits::new(code("bolt"), code("pcs"), 0)
            .and_then(|u| u.with_unit(code("box"), Decimal::ZERO));
        assert!(matches!(bad, Err(UnitError::NonPositiveFactor { .. })));
        assert!(matches!(
            MaterialUnits::new(code("bolt"), code("pcs"), 13),
            Err(UnitError::ScaleTooLarge { scale: 13, .. })
        ));
    }
}

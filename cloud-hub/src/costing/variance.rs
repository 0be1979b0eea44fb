//! Variances of a production order's actual cost from its standard (pure).
//!
//! With good = the order's good output received, scrap = the scrap its
//! runs reported, Q = good + scrap (units made), and the order's standard
//! per unit (`costing::standard`, single-level view, lot = order quantity):
//! - material price = Σ inputs (actual value − actual quantity × standard
//!   price), the standard price being the input's standard unit cost;
//! - material usage = Σ inputs (actual quantity − standard quantity per
//!   unit × Q) × standard price (an input not in the standard is all usage;
//!   a standard input never issued is all negative usage);
//! - labour = actual labour − standard labour per unit × Q; machine and
//!   overhead likewise;
//! - scrap = scrap × standard unit cost.
//!
//! Exactly, these add up to actual total − standard unit cost × good.
//! Rounding: each input's price and usage variance is rounded to cents
//! (half away from zero, `costing::money`) and the material elements are
//! their sums; labour, machine, overhead and scrap are rounded once; the
//! standard cost of the good output is money(standard unit cost × good)
//! and the total variance = actual total − that. Whatever the roundings
//! leave between the elements and the total (a few cents at most) is added
//! to the element largest in size before it (first of price, usage, labour,
//! machine, overhead, scrap on a tie) and reported as
//! `rounding_residual`, so the elements add up to the total exactly.

use super::engine::OrderCost;
use super::money::{self, money};
use super::standard::StandardCost;
use crate::arith::{self, OutOfRange};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// One input material's variances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct InputVariance {
    /// The material.
    pub material: String,
    /// Issued to the order (net of returns, all lots), base units.
    pub actual_quantity: Decimal,
    /// Its value at valuation.
    pub actual_value: Decimal,
    /// Standard quantity for the units made: per unit × Q.
    pub standard_quantity: Decimal,
    /// Standard price (its standard unit cost, 4 decimals shown).
    pub standard_price: Decimal,
    /// actual value − actual quantity × standard price (cents).
    pub price: Decimal,
    /// (actual quantity − standard quantity) × standard price (cents).
    pub usage: Decimal,
}

/// A production order's variances by element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Variances {
    /// Good output received, base units.
    pub good_quantity: Decimal,
    /// Scrap reported.
    pub scrap_quantity: Decimal,
    /// good + scrap.
    pub made_quantity: Decimal,
    /// The standard unit cost (4 decimals shown; figures use it exactly).
    pub standard_unit_cost: Decimal,
    /// money(standard unit cost × good).
    pub standard_cost_of_good: Decimal,
    /// The order's actual total.
    pub actual_total: Decimal,
    /// Material price variance.
    pub material_price: Decimal,
    /// Material usage variance.
    pub material_usage: Decimal,
    /// Labour variance.
    pub labour: Decimal,
    /// Machine variance.
    pub machine: Decimal,
    /// Overhead variance.
    pub overhead: Decimal,
    /// Scrap variance.
    pub scrap: Decimal,
    /// actual total − standard cost of good = the sum of the elements.
    pub total: Decimal,
    /// The cents added to one element so the elements add up to `total`.
    pub rounding_residual: Decimal,
    /// The element that took the residual (none when it is zero).
    pub residual_to: Option<String>,
    /// Per input material.
    pub inputs: Vec<InputVariance>,
}

/// The variances of `actual` against `standard` (the order's standard,
/// lot = order quantity). `price_of` gives the standard price of an input
/// that is not a component of the standard; an input it has no price for
/// is priced at zero (its whole value is then price variance). Out of
/// range when a figure leaves the range of a decimal.
pub fn variances(
    actual: &OrderCost,
    standard: &StandardCost,
    price_of: &BTreeMap<String, Decimal>,
) -> Result<Variances, OutOfRange> {
    let made = arith::add(actual.good, actual.scrap)?;
    // (actual qty, actual value, std qty per unit, std price) per material.
    let mut lines: BTreeMap<String, (Decimal, Decimal, Decimal, Decimal)> = BTreeMap::new();
    for c in &standard.components {
        let line = lines.entry(c.standard.material.clone()).or_default();
        arith::add_to(&mut line.2, c.quantity_per_unit)?;
        line.3 = c.standard.unit_cost;
    }
    for input in &actual.inputs {
        let known = lines.contains_key(&input.material);
        let line = lines.entry(input.material.clone()).or_default();
        arith::add_to(&mut line.0, input.quantity)?;
        arith::add_to(&mut line.1, input.value)?;
        if !known {
            line.3 = price_of.get(&input.material).copied().unwrap_or_default();
        }
    }
    let inputs: Vec<InputVariance> = lines
        .into_iter()
        .map(|(material, (qty, value, per_unit, price))| {
            let standard_quantity = arith::mul(per_unit, made)?;
            Ok(InputVariance {
                material,
                actual_quantity: qty,
                actual_value: value,
                standard_quantity,
                standard_price: money::unit_cost(price),
                price: money(arith::mul(qty, price).and_then(|v| arith::sub(value, v))?),
                usage: money(arith::sub(qty, standard_quantity).and_then(|q| arith::mul(q, price))?),
            })
        })
        .collect::<Result<_, OutOfRange>>()?;
    // actual − standard per unit × made.
    let against =
        |actual: Decimal, per_unit: Decimal| arith::mul(per_unit, made).and_then(|s| arith::sub(actual, s));
    let unit = &standard.unit;
    let mut elements = [
        (
            "material_price",
            arith::sum(inputs.iter().map(|i| i.price))?,
            Decimal::ZERO,
        ),
        (
            "material_usage",
            arith::sum(inputs.iter().map(|i| i.usage))?,
            Decimal::ZERO,
        ),
        ("labour", Decimal::ZERO, against(actual.labour, unit.labour)?),
        ("machine", Decimal::ZERO, against(actual.machine, unit.machine)?),
        (
            "overhead",
            Decimal::ZERO,
            against(actual.overhead, unit.overhead)?,
        ),
        (
            "scrap",
            Decimal::ZERO,
            arith::mul(actual.scrap, standard.unit_cost)?,
        ),
    ];
    for e in &mut elements[2..] {
        e.1 = money(e.2);
    }
    // The exact size of each element, to pick who takes the residual.
    for e in &mut elements[..2] {
        e.2 = e.1;
    }
    let standard_cost_of_good = money(arith::mul(standard.unit_cost, actual.good)?);
    let total = arith::sub(actual.total, standard_cost_of_good)?;
    let residual = arith::sub(total, arith::sum(elements.iter().map(|e| e.1))?)?;
    let mut residual_to = None;
    if !residual.is_zero() {
        let mut largest = 0;
        for (i, e) in elements.iter().enumerate() {
            if e.2.abs() > elements[largest].2.abs() {
                largest = i;
            }
        }
        arith::add_to(&mut elements[largest].1, residual)?;
        residual_to = Some(elements[largest].0.to_string());
    }
    Ok(Variances {
        good_quantity: actual.good,
        scrap_quantity: actual.scrap,
        made_quantity: made,
        standard_unit_cost: money::unit_cost(standard.unit_cost),
        standard_cost_of_good,
        actual_total: actual.total,
        material_price: elements[0].1,
        material_usage: elements[1].1,
        labour: elements[2].1,
        machine: elements[3].1,
        overhead: elements[4].1,
        scrap: elements[5].1,
        total,
        rounding_residual: residual,
        residual_to,
        inputs,
    })
}

#[cfg(test)]
#[path = "variance_tests.rs"]
mod tests;

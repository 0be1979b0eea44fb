//! The material shortage report: for every open production order (released
//! or in progress), what its operations still need of each input, what the
//! site's stock covers, what is missing, and which open purchase orders
//! bring it and when.
//!
//! Rules:
//! - Need of an order line = quantity per unit × order quantity (in the
//!   routing's unit, converted to the base unit) less what was already
//!   issued to the order (never below zero).
//! - Per site and material, orders take supply in order of due date
//!   (orders without one last), then release instant, then order number.
//! - Supply is the on-hand stock now (a negative balance counts as none),
//!   then the open quantity of each open purchase order line for the site
//!   (ordered less received against that order, base units) in order of
//!   expected date, then order and line number.
//! - A line's `missing` is what stock does not cover; `available_on` is the
//!   date of the last purchase line it needs (none while some of it is
//!   covered by nothing: `uncovered`). Planned production of the material
//!   is not counted as supply.

use crate::arith::{self, OutOfRange};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use time::Date;

/// One open order's need of one material (base units).
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// The production order.
    pub order: String,
    /// Its site.
    pub site: String,
    /// The material.
    pub material: String,
    /// Needed in total.
    pub required: Decimal,
    /// Already issued to the order.
    pub issued: Decimal,
    /// Due date, if any.
    pub due: Option<Date>,
    /// Released at (unix ms).
    pub released_at: i64,
}

/// An open purchase order line's remaining quantity (base units).
#[derive(Debug, Clone, PartialEq)]
pub struct Supply {
    /// The purchase order.
    pub purchase_order: String,
    /// Its line.
    pub line: u32,
    /// Its site.
    pub site: String,
    /// The material.
    pub material: String,
    /// Still to come.
    pub open: Decimal,
    /// When.
    pub expected_on: Date,
}

/// Part of a line covered by a purchase order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Coverage {
    /// The purchase order.
    pub purchase_order: String,
    /// Its line.
    pub line: u32,
    /// Expected on (YYYY-MM-DD).
    pub expected_on: String,
    /// Quantity of it taken by this line.
    pub quantity: Decimal,
}

/// One material line of an order in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ShortageLine {
    /// The production order.
    pub order: String,
    /// The site.
    pub site: String,
    /// The material.
    pub material: String,
    /// Needed in total.
    pub required: Decimal,
    /// Already issued.
    pub issued: Decimal,
    /// Still needed.
    pub remaining: Decimal,
    /// Covered by stock on hand.
    pub from_stock: Decimal,
    /// Not covered by stock.
    pub missing: Decimal,
    /// Purchase order lines that cover the missing part.
    pub covered_by: Vec<Coverage>,
    /// Missing and covered by nothing.
    pub uncovered: Decimal,
    /// When all of it is available (none while something is uncovered).
    pub available_on: Option<String>,
}

/// One material of a site in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MaterialShortage {
    /// The material.
    pub material: String,
    /// The site.
    pub site: String,
    /// On hand now.
    pub on_hand: Decimal,
    /// Still needed by open orders.
    pub demand: Decimal,
    /// Open on purchase orders.
    pub on_order: Decimal,
    /// Demand not covered by stock.
    pub missing: Decimal,
    /// Missing and covered by nothing.
    pub uncovered: Decimal,
    /// What becomes available when: each purchase line with the stock
    /// (on hand + arrivals) available after it, before demand.
    pub arrivals: Vec<Arrival>,
}

/// A purchase line's arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Arrival {
    /// Expected on (YYYY-MM-DD).
    pub expected_on: String,
    /// The purchase order.
    pub purchase_order: String,
    /// Its line.
    pub line: u32,
    /// Quantity.
    pub quantity: Decimal,
    /// On hand plus everything arrived up to and including this one.
    pub cumulative: Decimal,
}

/// The report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ShortageReport {
    /// Every open order's material lines with something missing, by order.
    pub orders: Vec<ShortageLine>,
    /// Every material with something missing, by site and material.
    pub materials: Vec<MaterialShortage>,
}

fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Builds the report from the needs, on-hand stock per (site, material)
/// and open purchase lines (see the module doc for the rules). A figure
/// out of the range of a decimal (stored before values were bounded) is
/// an error, never a panic.
pub fn shortages(
    mut needs: Vec<Need>,
    on_hand: &BTreeMap<(String, String), Decimal>,
    mut supplies: Vec<Supply>,
) -> Result<ShortageReport, OutOfRange> {
    needs.sort_by(|a, b| {
        (
            &a.site,
            &a.material,
            a.due.is_none(),
            a.due,
            a.released_at,
            &a.order,
        )
            .cmp(&(
                &b.site,
                &b.material,
                b.due.is_none(),
                b.due,
                b.released_at,
                &b.order,
            ))
    });
    supplies.sort_by(|a, b| {
        (&a.site, &a.material, a.expected_on, &a.purchase_order, a.line).cmp(&(
            &b.site,
            &b.material,
            b.expected_on,
            &b.purchase_order,
            b.line,
        ))
    });
    let mut by_key: BTreeMap<(String, String), Vec<Supply>> = BTreeMap::new();
    for s in supplies {
        by_key
            .entry((s.site.clone(), s.material.clone()))
            .or_default()
            .push(s);
    }
    let mut lines = Vec::new();
    let mut materials: BTreeMap<(String, String), MaterialShortage> = BTreeMap::new();
    let mut stock: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut taken: BTreeMap<(String, String), Vec<Decimal>> = BTreeMap::new();
    for need in needs {
        let key = (need.site.clone(), need.material.clone());
        let remaining = arith::sub(need.required, need.issued)?.max(Decimal::ZERO);
        if remaining.is_zero() {
            continue;
        }
        let left = stock
            .entry(key.clone())
            .or_insert_with(|| on_hand.get(&key).copied().unwrap_or_default().max(Decimal::ZERO));
        let from_stock = remaining.min(*left);
        *left = arith::sub(*left, from_stock)?;
        let missing = arith::sub(remaining, from_stock)?;
        let mut covered_by = Vec::new();
        let mut still = missing;
        let list = by_key.get(&key).map_or(&[][..], Vec::as_slice);
        let used = taken
            .entry(key.clone())
            .or_insert_with(|| vec![Decimal::ZERO; list.len()]);
        for (i, s) in list.iter().enumerate() {
            if still.is_zero() {
                break;
            }
            let take = arith::sub(s.open, used[i])?.min(still);
            if take > Decimal::ZERO {
                arith::add_to(&mut used[i], take)?;
                still = arith::sub(still, take)?;
                covered_by.push(Coverage {
                    purchase_order: s.purchase_order.clone(),
                    line: s.line,
                    expected_on: date_text(s.expected_on),
                    quantity: take,
                });
            }
        }
        if !materials.contains_key(&key) {
            let on_order = arith::sum(list.iter().map(|s| s.open))?;
            materials.insert(
                key.clone(),
                MaterialShortage {
                    material: need.material.clone(),
                    site: need.site.clone(),
                    on_hand: on_hand.get(&key).copied().unwrap_or_default(),
                    demand: Decimal::ZERO,
                    on_order,
                    missing: Decimal::ZERO,
                    uncovered: Decimal::ZERO,
                    arrivals: Vec::new(),
                },
            );
        }
        let summary = materials
            .get_mut(&key)
            .expect("the material's summary was inserted just above");
        arith::add_to(&mut summary.demand, remaining)?;
        arith::add_to(&mut summary.missing, missing)?;
        arith::add_to(&mut summary.uncovered, still)?;
        if missing.is_zero() {
            continue;
        }
        lines.push(ShortageLine {
            order: need.order,
            site: need.site,
            material: need.material,
            required: need.required,
            issued: need.issued,
            remaining,
            from_stock,
            missing,
            available_on: if still.is_zero() {
                covered_by.last().map(|c| c.expected_on.clone())
            } else {
                None
            },
            covered_by,
            uncovered: still,
        });
    }
    let mut short = Vec::new();
    for (key, mut m) in materials {
        if m.missing <= Decimal::ZERO {
            continue;
        }
        let mut cumulative = m.on_hand.max(Decimal::ZERO);
        for s in by_key.get(&key).map_or(&[][..], Vec::as_slice) {
            arith::add_to(&mut cumulative, s.open)?;
            m.arrivals.push(Arrival {
                expected_on: date_text(s.expected_on),
                purchase_order: s.purchase_order.clone(),
                line: s.line,
                quantity: s.open,
                cumulative,
            });
        }
        short.push(m);
    }
    lines.sort_by(|a, b| (&a.order, &a.material).cmp(&(&b.order, &b.material)));
    Ok(ShortageReport {
        orders: lines,
        materials: short,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(order: &str, required: Decimal, issued: Decimal) -> Need {
        Need {
            order: order.into(),
            site: "S".into(),
            material: "M".into(),
            required,
            issued,
            due: None,
            released_at: 0,
        }
    }

    fn supply(line: u32, open: Decimal) -> Supply {
        Supply {
            purchase_order: "PO".into(),
            line,
            site: "S".into(),
            material: "M".into(),
            open,
            expected_on: Date::from_calendar_date(2026, time::Month::January, 10).expect("a date"),
        }
    }

    /// Needs, issues and open purchase lines whose sums leave the range of
    /// a decimal (stored before values were bounded) are an error, not a
    /// panic (before: `-`, `+=` and `Sum` overflowed).
    #[test]
    fn sums_out_of_range_are_an_error() {
        let max = Decimal::MAX;
        let none = BTreeMap::new();
        // required − issued
        assert_eq!(
            shortages(vec![need("A", max, -max)], &none, vec![]),
            Err(OutOfRange)
        );
        // the demand of two orders
        assert_eq!(
            shortages(
                vec![need("A", max, Decimal::ZERO), need("B", max, Decimal::ZERO)],
                &none,
                vec![]
            ),
            Err(OutOfRange)
        );
        // the open quantity of two purchase lines
        assert_eq!(
            shortages(
                vec![need("A", Decimal::ONE, Decimal::ZERO)],
                &none,
                vec![supply(1, max), supply(2, max)]
            ),
            Err(OutOfRange)
        );
        let report = shortages(
            vec![need("A", Decimal::TEN, Decimal::ZERO)],
            &none,
            vec![supply(1, Decimal::from(4))],
        )
        .expect("in range");
        assert_eq!(report.orders[0].missing, Decimal::TEN);
        assert_eq!(report.orders[0].uncovered, Decimal::from(6));
    }
}

//! Sales amount statistics by period, customer and product, from sales
//! orders (the order book: what customers ordered, by the day they ordered
//! it; cancelled orders do not count).
//!
//! A line's amount is quantity × price, rounded to cents half away from
//! zero (`costing::money`); sums are of rounded line amounts. Quantities
//! are in the material's base unit when the line's unit converts to it,
//! else as entered (the row's `unit` says which). Periods: `day`
//! (YYYY-MM-DD), `week` (ISO week, YYYY-Www), `month` (YYYY-MM), `year`.

use crate::arith;
use crate::costing::money;
use crate::error::HubError;
use crate::masterdata::records::{Material, OrderStatus, SalesOrder};
use mes_protocols::Code;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use time::Date;

/// How rows are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    /// A calendar day.
    Day,
    /// An ISO week.
    Week,
    /// A calendar month.
    #[default]
    Month,
    /// A calendar year.
    Year,
}

impl Period {
    /// The period named `raw` (`day`, `week`, `month`, `year`).
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "day" => Period::Day,
            "week" => Period::Week,
            "month" => Period::Month,
            "year" => Period::Year,
            _ => return None,
        })
    }

    /// The label of the period holding `date`.
    pub fn label(self, date: Date) -> String {
        match self {
            Period::Day => format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            ),
            Period::Week => {
                let (year, week, _) = date.to_iso_week_date();
                format!("{year:04}-W{week:02}")
            }
            Period::Month => format!("{:04}-{:02}", date.year(), u8::from(date.month())),
            Period::Year => format!("{:04}", date.year()),
        }
    }
}

/// One (period, customer, product) group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SalesRow {
    /// The period's label.
    pub period: String,
    /// The customer.
    pub customer: String,
    /// The product (material).
    pub material: String,
    /// Quantity ordered.
    pub quantity: Decimal,
    /// Its unit.
    pub unit: String,
    /// Amount.
    pub amount: Decimal,
    /// Order lines counted.
    pub lines: usize,
}

/// The statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SalesReport {
    /// Rows by period, customer, product.
    pub rows: Vec<SalesRow>,
    /// Amount per period.
    pub by_period: BTreeMap<String, Decimal>,
    /// Amount per customer.
    pub by_customer: BTreeMap<String, Decimal>,
    /// Amount per product.
    pub by_product: BTreeMap<String, Decimal>,
    /// Total amount.
    pub total: Decimal,
}

/// The statistics of `orders` ordered between `from` and `to` (inclusive,
/// each optional), grouped by `period`. A line whose amount or quantity
/// (or a sum of them) leaves the range of a decimal is an error naming
/// the order and line; nothing panics.
pub fn sales_statistics(
    orders: &[SalesOrder],
    materials: &BTreeMap<Code, Material>,
    period: Period,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<SalesReport, HubError> {
    let mut groups: BTreeMap<(String, String, String, String), SalesRow> = BTreeMap::new();
    let mut report = SalesReport::default();
    for order in orders {
        if order.status == OrderStatus::Cancelled
            || from.is_some_and(|f| order.ordered_on < f)
            || to.is_some_and(|t| order.ordered_on > t)
        {
            continue;
        }
        let label = period.label(order.ordered_on);
        for line in &order.lines {
            let out_of_range = |_| HubError::InvalidState {
                kind: "sales order",
                code: order.code.to_string(),
                reason: format!(
                    "line {}: its quantity or amount, or a total it adds to, is out of the range of a decimal",
                    line.line
                ),
            };
            let (quantity, unit) = match materials.get(&line.material) {
                Some(m) => match m.base_units_per(&line.unit) {
                    Some(factor) => (
                        arith::mul(line.quantity, factor).map_err(out_of_range)?,
                        m.base_unit.to_string(),
                    ),
                    None => (line.quantity, line.unit.to_string()),
                },
                None => (line.quantity, line.unit.to_string()),
            };
            let amount = money(arith::mul(line.quantity, line.price).map_err(out_of_range)?);
            let key = (
                label.clone(),
                order.customer.to_string(),
                line.material.to_string(),
                unit.clone(),
            );
            let row = groups.entry(key).or_insert_with(|| SalesRow {
                period: label.clone(),
                customer: order.customer.to_string(),
                material: line.material.to_string(),
                quantity: Decimal::ZERO,
                unit,
                amount: Decimal::ZERO,
                lines: 0,
            });
            arith::add_to(&mut row.quantity, quantity).map_err(out_of_range)?;
            arith::add_to(&mut row.amount, amount).map_err(out_of_range)?;
            row.lines += 1;
            let by_period = report.by_period.entry(label.clone()).or_default();
            arith::add_to(by_period, amount).map_err(out_of_range)?;
            let by_customer = report.by_customer.entry(order.customer.to_string()).or_default();
            arith::add_to(by_customer, amount).map_err(out_of_range)?;
            let by_product = report.by_product.entry(line.material.to_string()).or_default();
            arith::add_to(by_product, amount).map_err(out_of_range)?;
            arith::add_to(&mut report.total, amount).map_err(out_of_range)?;
        }
    }
    report.rows = groups.into_values().collect();
    Ok(report)
}

/// The rows as CSV (header `period,customer,material,quantity,unit,amount,lines`;
/// amounts with two decimals).
pub fn to_csv(report: &SalesReport) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "period", "customer", "material", "quantity", "unit", "amount", "lines",
    ])?;
    for r in &report.rows {
        let text = |cell: &str| crate::csv_cell::escape(cell).into_owned();
        w.write_record([
            r.period.as_str(),
            &text(r.customer.as_str()),
            &text(r.material.as_str()),
            &r.quantity.normalize().to_string(),
            &text(r.unit.as_str()),
            &format!("{:.2}", r.amount),
            &r.lines.to_string(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(code: &str, customer: &str, on: &str, status: &str, lines: serde_json::Value) -> SalesOrder {
        serde_json::from_value(json!({"code": code, "customer": customer, "ordered_on": on,
            "status": status, "lines": lines}))
        .expect("test orders are valid")
    }

    fn materials() -> BTreeMap<Code, Material> {
        let m: Material = serde_json::from_value(json!({"code": "BOLT", "name": "Bolt", "kind": "raw",
            "base_unit": "pcs", "alt_units": [{"unit": "box", "factor": "100"}], "lot_tracked": false,
            "standard_cost": "0.05"}))
        .expect("test material is valid");
        [(m.code.clone(), m)].into_iter().collect()
    }

    /// SO-1 (ACME, 2026-01-10): 3 box BOLT @ 4.995 = 14.985 → 14.99 (300
    /// pcs) and 2 FG @ 10 = 20.00. SO-2 (ACME, 2026-01-20): 1 FG @ 10.
    /// SO-3 (BETA, 2026-02-01): 5 FG @ 9.5 = 47.50. SO-4 cancelled.
    /// January ACME: BOLT 300 pcs 14.99; FG 3 pcs 30.00. February BETA FG
    /// 47.50. Total 92.49.
    #[test]
    fn amounts_group_by_period_customer_and_product() {
        let orders = vec![
            order(
                "SO-1",
                "ACME",
                "2026-01-10",
                "open",
                json!([{"line": 1, "material": "BOLT", "quantity": "3", "unit": "box", "price": "4.995",
                        "due": "2026-02-01"},
                       {"line": 2, "material": "FG", "quantity": "2", "unit": "pcs", "price": "10",
                        "due": "2026-02-01"}]),
            ),
            order(
                "SO-2",
                "ACME",
                "2026-01-20",
                "closed",
                json!([{"line": 1, "material": "FG", "quantity": "1", "unit": "pcs", "price": "10",
                        "due": "2026-02-01"}]),
            ),
            order(
                "SO-3",
                "BETA",
                "2026-02-01",
                "open",
                json!([{"line": 1, "material": "FG", "quantity": "5", "unit": "pcs", "price": "9.5",
                        "due": "2026-03-01"}]),
            ),
            order(
                "SO-4",
                "BETA",
                "2026-02-02",
                "cancelled",
                json!([{"line": 1, "material": "FG", "quantity": "50", "unit": "pcs", "price": "9.5",
                        "due": "2026-03-01"}]),
            ),
        ];
        let report = sales_statistics(&orders, &materials(), Period::Month, None, None).expect("in range");
        let csv = to_csv(&report).expect("CSV writes");
        assert_eq!(
            csv,
            "period,customer,material,quantity,unit,amount,lines\n\
             2026-01,ACME,BOLT,300,pcs,14.99,1\n\
             2026-01,ACME,FG,3,pcs,30.00,2\n\
             2026-02,BETA,FG,5,pcs,47.50,1\n"
        );
        assert_eq!(report.total.to_string(), "92.49");
        assert_eq!(report.by_customer["ACME"].to_string(), "44.99");
        let week = sales_statistics(&orders, &materials(), Period::Week, None, None).expect("in range");
        assert_eq!(
            week.by_period.keys().collect::<Vec<_>>(),
            ["2026-W02", "2026-W04", "2026-W05"]
        );
        let feb = sales_statistics(
            &orders,
            &materials(),
            Period::Year,
            mes_protocols::downlink::parse_date("2026-02-01").ok(),
            None,
        )
        .expect("in range");
        assert_eq!(feb.total.to_string(), "47.50");
    }

    #[test]
    fn a_line_past_the_decimal_range_is_an_error_naming_it_not_a_panic() {
        // Stored before prices and quantities were bounded at entry.
        let orders = vec![order(
            "SO-9",
            "ACME",
            "2026-01-10",
            "open",
            json!([{"line": 1, "material": "FG", "quantity": "100000000000000000000", "unit": "pcs",
                    "price": "100000000000000000000", "due": "2026-03-01"}]),
        )];
        let refused = sales_statistics(&orders, &materials(), Period::Month, None, None);
        assert!(
            matches!(&refused, Err(HubError::InvalidState { code, .. }) if code == "SO-9"),
            "{refused:?}"
        );
    }
}

//! Engineering changes that use up old stock: a BOM version whose line is
//! marked `use_up_old_stock` replaces a component of the previous version,
//! but production keeps consuming the old component while stock of it is
//! available, and switches to the new one only for what that stock cannot
//! cover. Pure: callers pass in what is available.
//!
//! Rule: for an order of `quantity` parent units released on a day when
//! the new version applies, each use-up line splits the order: the first
//! `covered = min(quantity, ⌊available_old / old_per_unit⌋)` units use the
//! old component, the rest the new one. Whole parent units only: a
//! remainder of old stock too small for one unit stays in stock (and is
//! shown as what is left after the switch).

pub use super::records::structure::{check_line, previous_version, replaced_component};
use super::records::{Bom, BomVersion};
use mes_protocols::Code;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

/// One use-up line's changeover for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Changeover {
    /// The old component, used up first.
    pub old_component: Code,
    /// Its quantity per parent unit (in `old_unit`).
    pub old_per_unit: Decimal,
    /// Unit of `old_per_unit`.
    pub old_unit: Code,
    /// Old stock available before the order.
    pub old_available: Decimal,
    /// Parent units made with the old component.
    pub units_on_old: Decimal,
    /// Old stock left after the switch.
    pub old_left_after: Decimal,
    /// The new component.
    pub new_component: Code,
    /// Its quantity per parent unit (in `new_unit`).
    pub new_per_unit: Decimal,
    /// Unit of `new_per_unit`.
    pub new_unit: Code,
    /// Parent units made with the new component.
    pub units_on_new: Decimal,
    /// New stock available before the order.
    pub new_available: Decimal,
    /// New stock left after the order (negative: short).
    pub new_left_after: Decimal,
}

/// What an order of `quantity` consumes under `version`: component lines
/// with their total quantity (in the line's unit), the use-up lines split
/// by [`Changeover`]. `available` gives a component's available stock in
/// the unit its line uses (callers convert).
pub fn plan_consumption(
    bom: &Bom,
    version: &BomVersion,
    quantity: Decimal,
    available: &dyn Fn(&Code, &Code) -> Decimal,
) -> (Vec<(Code, Decimal, Code)>, Vec<Changeover>) {
    let mut totals: Vec<(Code, Decimal, Code)> = Vec::new();
    let mut changeovers = Vec::new();
    let previous = previous_version(bom, version);
    let index = bom.versions.iter().position(|v| v == version);
    for (j, line) in version.lines.iter().enumerate() {
        let old = match (line.use_up_old_stock, previous, index) {
            (true, Some(prev), Some(i)) => replaced_component(bom, i, j)
                .ok()
                .and_then(|c| prev.lines.iter().find(|p| p.component == c)),
            _ => None,
        };
        let Some(old) = old else {
            totals.push((
                line.component.clone(),
                line.quantity * quantity,
                line.unit.clone(),
            ));
            continue;
        };
        let old_available = available(&old.component, &old.unit).max(Decimal::ZERO);
        let covered = if old.quantity > Decimal::ZERO {
            (old_available / old.quantity).floor().min(quantity)
        } else {
            Decimal::ZERO
        };
        let on_new = quantity - covered;
        let new_available = available(&line.component, &line.unit);
        if covered > Decimal::ZERO {
            totals.push((old.component.clone(), old.quantity * covered, old.unit.clone()));
        }
        if on_new > Decimal::ZERO {
            totals.push((line.component.clone(), line.quantity * on_new, line.unit.clone()));
        }
        changeovers.push(Changeover {
            old_component: old.component.clone(),
            old_per_unit: old.quantity,
            old_unit: old.unit.clone(),
            old_available,
            units_on_old: covered,
            old_left_after: old_available - old.quantity * covered,
            new_component: line.component.clone(),
            new_per_unit: line.quantity,
            new_unit: line.unit.clone(),
            units_on_new: on_new,
            new_available,
            new_left_after: new_available - line.quantity * on_new,
        });
    }
    (totals, changeovers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn code(s: &str) -> Code {
        Code::parse(s).expect("valid")
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("valid")
    }

    fn bom() -> Bom {
        serde_json::from_value(serde_json::json!({"material": "LAMP", "versions": [
            {"version": "A", "valid_from": "2026-01-01", "valid_to": "2026-10-31", "lines": [
                {"component": "BULB-OLD", "quantity": "2", "unit": "pcs"},
                {"component": "BASE", "quantity": "1", "unit": "pcs"}]},
            {"version": "B", "valid_from": "2026-11-01", "lines": [
                {"component": "BULB-LED", "quantity": "1", "unit": "pcs", "use_up_old_stock": true},
                {"component": "BASE", "quantity": "1", "unit": "pcs"}]}]}))
        .expect("fixture BOM is valid")
    }

    #[test]
    fn the_replaced_component_is_inferred_or_named() {
        let b = bom();
        assert_eq!(replaced_component(&b, 1, 0), Ok(code("BULB-OLD")));
        assert!(
            replaced_component(&b, 0, 0).is_err(),
            "the first version replaces nothing"
        );
        let mut named = bom();
        named.versions[1].lines[0].replaces = Some(code("NOPE"));
        assert!(matches!(replaced_component(&named, 1, 0), Err(e) if e.contains("no component NOPE")));
    }

    #[test]
    fn old_stock_covers_whole_units_first_then_the_new_component() {
        let b = bom();
        // 15 old bulbs cover 7 lamps (2 each), 1 bulb is left; the other 3
        // of 10 lamps take 1 LED each: 20 LEDs − 3 = 17 left.
        let available = |c: &Code, _: &Code| match c.as_str() {
            "BULB-OLD" => dec("15"),
            "BULB-LED" => dec("20"),
            _ => dec("100"),
        };
        let (totals, changes) = plan_consumption(&b, &b.versions[1], dec("10"), &available);
        assert_eq!(
            totals,
            vec![
                (code("BULB-OLD"), dec("14"), code("pcs")),
                (code("BULB-LED"), dec("3"), code("pcs")),
                (code("BASE"), dec("10"), code("pcs")),
            ]
        );
        let c = &changes[0];
        assert_eq!(
            (c.units_on_old, c.old_left_after, c.units_on_new, c.new_left_after),
            (dec("7"), dec("1"), dec("3"), dec("17"))
        );
    }

    #[test]
    fn without_old_stock_the_new_component_is_used_at_once() {
        let b = bom();
        let (totals, changes) = plan_consumption(&b, &b.versions[1], dec("4"), &|_, _| Decimal::ZERO);
        assert_eq!(totals[0], (code("BULB-LED"), dec("4"), code("pcs")));
        assert_eq!(changes[0].units_on_old, Decimal::ZERO);
    }
}

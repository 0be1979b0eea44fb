//! The roll-up on the worked example's two-level product, figures by hand.

use super::*;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test decimals are valid")
}

fn c(s: &str) -> Code {
    Code::parse(s).expect("test codes are valid")
}

fn op(equipment_type: &str, setup: &str, run: &str) -> StdOperation {
    StdOperation {
        operation: 10,
        name: "op".into(),
        equipment_type: c(equipment_type),
        worker_type: c("OP"),
        setup_minutes: d(setup),
        run_minutes_per_unit: d(run),
    }
}

fn made(components: &[(&str, &str)], operations: Vec<StdOperation>) -> Make {
    Make::Made(Recipe {
        components: components
            .iter()
            .map(|(m, q)| ComponentLine {
                material: c(m),
                quantity_per_unit: d(q),
            })
            .collect(),
        operations,
    })
}

/// STEEL bought at 1.20/kg; SUB = 2 kg STEEL + PRESS (setup 10, run 1);
/// FG = 2 SUB + ASSY (setup 0, run 2); operators 30/h, PRESS 60/h, ASSY
/// 24/h; overhead 10 % of conversion.
fn shop() -> StandardInput {
    StandardInput {
        materials: BTreeMap::from([
            (c("STEEL"), Make::Purchased(d("1.20"))),
            (c("SUB"), made(&[("STEEL", "2")], vec![op("PRESS", "10", "1")])),
            (c("FG"), made(&[("SUB", "2")], vec![op("ASSY", "0", "2")])),
        ]),
        labour_rates: BTreeMap::from([(c("OP"), d("30"))]),
        machine_rates: BTreeMap::from([(c("PRESS"), d("60")), (c("ASSY"), d("24"))]),
        overhead: Some(Overhead::PercentOfConversion(d("10"))),
    }
}

fn el(material: &str, labour: &str, machine: &str, overhead: &str) -> Elements {
    Elements {
        material: d(material),
        labour: d(labour),
        machine: d(machine),
        overhead: d(overhead),
    }
}

#[test]
fn two_levels_roll_up_with_the_lot_the_parent_needs() {
    // FG lot 5 needs SUB lot 10: SUB minutes 10/10 + 1 = 2 → labour 1.00,
    // machine 2.00, overhead 0.30, material 2 × 1.20 = 2.40: 5.70.
    // FG: material 2 × 5.70 = 11.40; minutes 2 → labour 1.00, machine
    // 0.80, overhead 0.18: 13.38. Rolled up: material 4.80, labour 3.00,
    // machine 4.80, overhead 0.78: 13.38.
    let fg = standard_cost(&shop(), &c("FG"), d("5")).expect("rolls up");
    assert_eq!(fg.unit, el("11.40", "1.00", "0.80", "0.18"));
    assert_eq!(fg.rolled_up, el("4.80", "3.00", "4.80", "0.78"));
    assert_eq!(fg.unit_cost, d("13.38"));
    let sub = &fg.components[0];
    assert_eq!(sub.standard.lot_size, d("10"));
    assert_eq!(sub.standard.unit, el("2.40", "1.00", "2.00", "0.30"));
    assert_eq!(sub.cost_per_unit, d("11.40"));
    assert!(!sub.standard.components[0].standard.made);
    assert_eq!(fg.unit_cost_of("SUB"), Some(d("5.70")));
}

#[test]
fn setup_is_spread_over_the_lot() {
    // SUB lot 20: 10/20 + 1 = 1.5 min → 0.75 + 1.50 + 0.225 + 2.40 = 4.875;
    // lot 1: 11 min → 5.50 + 11.00 + 1.65 + 2.40 = 20.55.
    let input = shop();
    let at = |lot: &str| standard_cost(&input, &c("SUB"), d(lot)).expect("rolls up");
    assert_eq!(at("20").unit_cost, d("4.875"));
    assert_eq!(at("20").operations[0].minutes_per_unit, d("1.5"));
    assert_eq!(at("1").unit_cost, d("20.55"));
    // Conversion costs (0.50 + 1.00) × 1.10 = 1.65 a minute. Lot 7:
    // (10/7 + 1) × 1.65 = 28.05/7 = 4.00714… + 2.40 = 6.40714… → 6.4071
    // as reported, exact inside.
    assert_eq!(at("7").reported().unit_cost, d("6.4071"));
    assert_eq!(crate::costing::money(at("7").unit_cost * d("7")), d("44.85"));
}

#[test]
fn a_purchased_material_is_its_master_data_standard() {
    let steel = standard_cost(&shop(), &c("STEEL"), d("1")).expect("rolls up");
    assert_eq!((steel.made, steel.unit_cost), (false, d("1.20")));
    assert!(steel.operations.is_empty());
}

#[test]
fn overhead_per_machine_hour_counts_this_levels_minutes() {
    // SUB lot 10: 2 machine minutes × 12/h / 60 = 0.40.
    let mut input = shop();
    input.overhead = Some(Overhead::PerMachineHour(d("12")));
    let sub = standard_cost(&input, &c("SUB"), d("10")).expect("rolls up");
    assert_eq!(sub.unit.overhead, d("0.40"));
}

#[test]
fn a_bom_cycle_is_an_error_naming_the_path() {
    let mut input = shop();
    input.materials.insert(c("STEEL"), made(&[("FG", "1")], vec![]));
    let err = standard_cost(&input, &c("FG"), d("5")).expect_err("a cycle never settles");
    assert_eq!(
        err,
        StandardError::Cycle {
            path: vec!["FG".into(), "SUB".into(), "STEEL".into(), "FG".into()]
        }
    );
    assert_eq!(err.to_string(), "BOM cycle: FG → SUB → STEEL → FG");
}

#[test]
fn a_shared_component_is_not_a_cycle() {
    // KIT = 1 SUB + 1 FG (which holds 2 SUB): SUB appears twice, on two
    // branches, with lots 4 and 8.
    let mut input = shop();
    input
        .materials
        .insert(c("KIT"), made(&[("SUB", "1"), ("FG", "1")], vec![]));
    let kit = standard_cost(&input, &c("KIT"), d("4")).expect("no cycle");
    assert_eq!(kit.components[0].standard.lot_size, d("4"));
    assert_eq!(kit.components[1].standard.components[0].standard.lot_size, d("8"));
}

#[test]
fn missing_rates_and_materials_are_named() {
    let mut input = shop();
    input.machine_rates.remove(&c("ASSY"));
    let err = standard_cost(&input, &c("FG"), d("5")).expect_err("no machine rate");
    assert!(err.to_string().contains("equipment type ASSY"), "{err}");
    input.labour_rates.clear();
    let err = standard_cost(&input, &c("SUB"), d("5")).expect_err("no labour rate");
    assert!(err.to_string().contains("worker type OP"), "{err}");
    let err = standard_cost(&shop(), &c("NOPE"), d("5")).expect_err("unknown");
    assert_eq!(err, StandardError::UnknownMaterial("NOPE".into()));
    let err = standard_cost(&shop(), &c("FG"), d("0")).expect_err("lot zero");
    assert_eq!(err, StandardError::LotSize(d("0")));
}

#[test]
fn an_orders_own_recipe_replaces_the_materials() {
    // The order's copied operations: 3 kg STEEL per SUB, setup 20.
    // Lot 10: 3.60 + (2 + 1) min → 1.50 + 3.00, overhead 0.45: 8.55.
    let recipe = Recipe {
        components: vec![ComponentLine {
            material: c("STEEL"),
            quantity_per_unit: d("3"),
        }],
        operations: vec![op("PRESS", "20", "1")],
    };
    let sub = standard_cost_of_recipe(&shop(), &c("SUB"), &recipe, d("10")).expect("rolls up");
    assert_eq!(sub.unit_cost, d("8.55"));
}

#[test]
fn run_minutes_past_the_decimal_range_are_an_error_not_a_panic() {
    // Routings stored before minutes were bounded at entry (issue 12: 7e28
    // run minutes made the standard cost drop the connection).
    let mut input = shop();
    input.materials.insert(
        c("SUB"),
        made(
            &[("STEEL", "2")],
            vec![op("PRESS", "10", "70000000000000000000000000000")],
        ),
    );
    let err = standard_cost(&input, &c("FG"), d("5")).err();
    assert_eq!(err, Some(StandardError::OutOfRange("SUB".into())));
}

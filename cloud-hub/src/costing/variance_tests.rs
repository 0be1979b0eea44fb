//! Variances by hand on the worked example's MO-A, and the property that
//! they add up to actual − standard × good on random orders.

use super::*;
use crate::costing::engine::InputCost;
use crate::costing::settings::Overhead;
use crate::costing::standard::{ComponentLine, Make, Recipe, StandardInput, StdOperation, standard_cost};
use mes_protocols::Code;
use proptest::prelude::*;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test decimals are valid")
}

fn c(s: &str) -> Code {
    Code::parse(s).expect("test codes are valid")
}

/// SUB = `per_unit` kg STEEL (standard `price`) + one PRESS operation
/// (setup 10, run 1 min; operator 30/h, press 60/h); overhead 10 %.
fn input(per_unit: Decimal, price: Decimal, setup: Decimal) -> StandardInput {
    StandardInput {
        materials: BTreeMap::from([
            (c("STEEL"), Make::Purchased(price)),
            (
                c("SUB"),
                Make::Made(Recipe {
                    components: vec![ComponentLine {
                        material: c("STEEL"),
                        quantity_per_unit: per_unit,
                    }],
                    operations: vec![StdOperation {
                        operation: 10,
                        name: "Press".into(),
                        equipment_type: c("PRESS"),
                        worker_type: c("OP"),
                        setup_minutes: setup,
                        run_minutes_per_unit: d("1"),
                    }],
                }),
            ),
        ]),
        labour_rates: BTreeMap::from([(c("OP"), d("30"))]),
        machine_rates: BTreeMap::from([(c("PRESS"), d("60"))]),
        overhead: Some(Overhead::PercentOfConversion(d("10"))),
    }
}

fn actual(
    inputs: &[(&str, Decimal, Decimal)],
    conv: [Decimal; 3],
    good: Decimal,
    scrap: Decimal,
) -> OrderCost {
    let inputs: Vec<InputCost> = inputs
        .iter()
        .map(|(m, q, v)| InputCost {
            material: (*m).to_string(),
            lot: None,
            quantity: *q,
            value: *v,
        })
        .collect();
    let materials: Decimal = inputs.iter().map(|i| i.value).sum();
    OrderCost {
        order: "MO".into(),
        good,
        scrap,
        materials,
        labour: conv[0],
        machine: conv[1],
        overhead: conv[2],
        total: materials + conv[0] + conv[1] + conv[2],
        inputs,
        ..OrderCost::default()
    }
}

#[test]
fn worked_example_mo_a_after_the_late_event() {
    // Standard SUB, lot 20: 2 × 1.20 = 2.40 material; 10/20 + 1 = 1.5 min
    // → labour 0.75, machine 1.50, overhead 0.225; 4.875 per unit.
    // Actual: 50 kg for 54.29, labour 15.00, machine 25.00, overhead 4.00
    // = 98.29; good 18, scrap 2, Q = 20.
    // price 54.29 − 50 × 1.20 = −5.71; usage (50 − 40) × 1.20 = 12.00;
    // labour 15 − 15 = 0; machine 25 − 30 = −5.00; overhead 4 − 4.5 =
    // −0.50; scrap 2 × 4.875 = 9.75; sum 10.54 = 98.29 − 4.875 × 18 (87.75).
    let std = standard_cost(&input(d("2"), d("1.20"), d("10")), &c("SUB"), d("20")).expect("rolls up");
    let a = actual(
        &[("STEEL", d("50"), d("54.29"))],
        [d("15.00"), d("25.00"), d("4.00")],
        d("18"),
        d("2"),
    );
    let v = variances(&a, &std, &BTreeMap::new()).expect("in range");
    assert_eq!(
        [
            v.material_price,
            v.material_usage,
            v.labour,
            v.machine,
            v.overhead,
            v.scrap
        ],
        [
            d("-5.71"),
            d("12.00"),
            d("0.00"),
            d("-5.00"),
            d("-0.50"),
            d("9.75")
        ]
    );
    assert_eq!((v.standard_cost_of_good, v.total), (d("87.75"), d("10.54")));
    assert_eq!((v.rounding_residual, v.residual_to), (Decimal::ZERO, None));
}

#[test]
fn an_input_outside_the_standard_is_all_usage_and_a_missing_one_negative_usage() {
    // Standard: 2 kg STEEL per unit; made 10, none issued: usage −20 × 1.20
    // = −24.00. BOLT (not in the standard, price 0.05): 40 issued for 2.40:
    // price 2.40 − 2.00 = 0.40, usage 40 × 0.05 = 2.00.
    let std = standard_cost(&input(d("2"), d("1.20"), d("0")), &c("SUB"), d("10")).expect("rolls up");
    let a = actual(
        &[("BOLT", d("40"), d("2.40"))],
        [Decimal::ZERO; 3],
        d("10"),
        Decimal::ZERO,
    );
    let v = variances(&a, &std, &BTreeMap::from([("BOLT".to_string(), d("0.05"))])).expect("in range");
    let by: BTreeMap<&str, (Decimal, Decimal)> = v
        .inputs
        .iter()
        .map(|i| (i.material.as_str(), (i.price, i.usage)))
        .collect();
    assert_eq!(by["STEEL"], (d("0.00"), d("-24.00")));
    assert_eq!(by["BOLT"], (d("0.40"), d("2.00")));
}

#[test]
fn a_rounding_residual_goes_to_the_largest_element() {
    // STEEL at a standard 0.005; 1 kg issued for 0.01, nothing made yet
    // (Q = 0). Exact: price 0.01 − 0.005 = 0.005 → 0.01; usage 1 × 0.005 =
    // 0.005 → 0.01; total 0.01 − 0.00 = 0.01. The rounded elements say
    // 0.02: −0.01 goes to the largest (price and usage tie at 0.01: price).
    let std = standard_cost(&input(d("1"), d("0.005"), d("0")), &c("SUB"), d("1")).expect("rolls up");
    let a = actual(
        &[("STEEL", d("1"), d("0.01"))],
        [Decimal::ZERO; 3],
        Decimal::ZERO,
        Decimal::ZERO,
    );
    let v = variances(&a, &std, &BTreeMap::new()).expect("in range");
    assert_eq!(
        (v.material_price, v.material_usage, v.total),
        (d("0.00"), d("0.01"), d("0.01"))
    );
    assert_eq!(
        (v.rounding_residual, v.residual_to.as_deref()),
        (d("-0.01"), Some("material_price"))
    );
}

fn cents() -> impl Strategy<Value = Decimal> {
    (0_i64..100_000).prop_map(|c| Decimal::new(c, 2))
}

proptest! {
    /// For random standards and actuals, the elements add up to actual
    /// total − money(standard unit cost × good) exactly, and the residual
    /// that makes them so is no more than the roundings can leave.
    #[test]
    fn variances_add_up_to_actual_less_standard_of_good(
        per_unit in (1_i64..5_000).prop_map(|q| Decimal::new(q, 3)),
        price in (1_i64..100_000).prop_map(|p| Decimal::new(p, 4)),
        setup in (0_i64..600).prop_map(|s| Decimal::new(s, 1)),
        lot in (1_i64..1_000).prop_map(|l| Decimal::new(l, 1)),
        steel in (0_i64..100_000).prop_map(|q| Decimal::new(q, 3)),
        extra in proptest::option::of((1_i64..1_000, cents())),
        value in cents(),
        conv in [cents(), cents(), cents()],
        good in (0_i64..500).prop_map(|g| Decimal::new(g, 1)),
        scrap in (0_i64..100).prop_map(|s| Decimal::new(s, 1)),
    ) {
        let std = standard_cost(&input(per_unit, price, setup), &c("SUB"), lot).expect("rolls up");
        let mut inputs = vec![("STEEL", steel, value)];
        if let Some((q, v)) = extra {
            inputs.push(("BOLT", Decimal::from(q), v));
        }
        let a = actual(&inputs, conv, good, scrap);
        let prices = BTreeMap::from([("BOLT".to_string(), d("0.0537"))]);
        let v = variances(&a, &std, &prices).expect("in range");
        let sum = v.material_price + v.material_usage + v.labour + v.machine + v.overhead + v.scrap;
        prop_assert_eq!(sum, v.total);
        prop_assert_eq!(v.total, a.total - money(std.unit_cost * good));
        // Each rounded figure is within half a cent: 2 per input, 4
        // conversion and scrap elements, and the standard of good.
        let bound = Decimal::new(5, 3) * Decimal::from(2 * v.inputs.len() + 5);
        prop_assert!(v.rounding_residual.abs() <= bound, "residual {} > {}", v.rounding_residual, bound);
        prop_assert_eq!(v.made_quantity, good + scrap);
    }
}

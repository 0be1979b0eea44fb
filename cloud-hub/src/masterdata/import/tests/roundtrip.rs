//! import(export(rows)) == rows, for arbitrary valid sets of rows.

use std::collections::BTreeMap;

use mes_protocols::code::Code;
use proptest::prelude::*;
use rust_decimal::Decimal;
use time::{Date, Duration};

use super::super::{
    AltUnit, BomRow, MaterialKind, MaterialRow, RoutingInput, RoutingRow, Source, boms_to_csv, import_boms,
    import_materials, import_routings, materials_to_csv, routings_to_csv,
};

/// Codes with the characters CSV must quote (comma, quote) and inner spaces.
fn code() -> impl Strategy<Value = Code> {
    "[A-Za-z0-9]([A-Za-z0-9 ,\"._/-]{0,10}[A-Za-z0-9])?"
        .prop_filter_map("valid code", |s| Code::parse(&s).ok())
}

fn unit() -> impl Strategy<Value = Code> {
    "[a-z]{1,4}".prop_filter_map("valid unit", |s| Code::parse(&s).ok())
}

fn decimal(min: i64, max_scale: u32) -> impl Strategy<Value = Decimal> {
    (min..10_000_000_i64, 0..=max_scale).prop_map(|(m, s)| Decimal::new(m, s))
}

fn kind() -> impl Strategy<Value = MaterialKind> {
    prop_oneof![
        Just(MaterialKind::Raw),
        Just(MaterialKind::SemiFinished),
        Just(MaterialKind::Finished)
    ]
}

fn materials() -> impl Strategy<Value = Vec<MaterialRow>> {
    let name = "[A-Za-z0-9][A-Za-z0-9 ,\"]{0,15}".prop_map(|s| s.trim().to_string());
    let alt = prop::collection::btree_map(unit(), decimal(1, 6), 0..3);
    let fields = (name, kind(), unit(), alt, any::<bool>(), decimal(0, 4));
    prop::collection::btree_map(code(), fields, 0..8).prop_map(|m| {
        m.into_iter()
            .map(
                |(code, (name, kind, base_unit, alt, lot_tracked, standard_cost))| MaterialRow {
                    code,
                    name,
                    kind,
                    alt_units: alt
                        .into_iter()
                        .filter(|(u, _)| *u != base_unit)
                        .map(|(unit, factor)| AltUnit { unit, factor })
                        .collect(),
                    base_unit,
                    lot_tracked,
                    standard_cost,
                },
            )
            .collect()
    })
}

fn day(offset: i64) -> Date {
    Date::from_julian_day(2_451_545).expect("2000-01-01 is a valid date") + Duration::days(offset)
}

fn boms() -> impl Strategy<Value = Vec<BomRow>> {
    let line = (decimal(1, 6), unit(), any::<bool>());
    let version = (1_i64..400, prop::collection::btree_map(code(), line, 1..4));
    let parent = (0_i64..5000, prop::collection::vec(version, 1..4), any::<bool>());
    prop::collection::btree_map(code(), parent, 0..4).prop_map(|parents| {
        let mut rows = Vec::new();
        for (parent, (start, versions, last_open)) in parents {
            let mut from = day(start);
            let count = versions.len();
            for (n, (len, lines)) in versions.into_iter().enumerate() {
                let to = from + Duration::days(len - 1);
                let valid_to = if last_open && n + 1 == count {
                    None
                } else {
                    Some(to)
                };
                let version = Code::parse(&(n + 1).to_string()).ok();
                for (component, (quantity, unit, use_up_old_stock)) in lines {
                    if component == parent {
                        continue;
                    }
                    let Some(version) = version.clone() else { continue };
                    let (parent, valid_from) = (parent.clone(), from);
                    rows.push(BomRow {
                        parent,
                        version,
                        valid_from,
                        valid_to,
                        component,
                        quantity,
                        unit,
                        use_up_old_stock,
                    });
                }
                from = to + Duration::days(1);
            }
        }
        rows
    })
}

type Op = (
    Code,
    Decimal,
    Decimal,
    Code,
    Option<Code>,
    BTreeMap<Code, (Decimal, Code)>,
);

fn routings() -> impl Strategy<Value = Vec<RoutingRow>> {
    let inputs = prop::collection::btree_map(code(), (decimal(1, 6), unit()), 0..3);
    let op = (
        code(),
        decimal(0, 2),
        decimal(0, 4),
        code(),
        prop::option::of(code()),
        inputs,
    );
    let versions = prop::collection::vec(prop::collection::vec(op, 1..4), 1..3);
    prop::collection::btree_map(code(), versions, 0..3).prop_map(|materials| {
        let mut rows = Vec::new();
        for (material, versions) in materials {
            for (v, ops) in versions.into_iter().enumerate() {
                let Ok(version) = Code::parse(&format!("R{}", v + 1)) else { continue };
                for (i, op) in ops.into_iter().enumerate() {
                    let (equipment_type, setup_minutes, run_minutes_per_unit, worker_type, output, inputs): Op = op;
                    let base = RoutingRow {
                        material: material.clone(),
                        version: version.clone(),
                        operation: 10 * (i as u32 + 1),
                        equipment_type,
                        setup_minutes,
                        run_minutes_per_unit,
                        worker_type,
                        input: None,
                        output,
                    };
                    if inputs.is_empty() {
                        rows.push(base.clone());
                    }
                    for (material, (quantity, unit)) in inputs {
                        rows.push(RoutingRow { input: Some(RoutingInput { material, quantity, unit }), ..base.clone() });
                    }
                }
            }
        }
        rows
    })
}

proptest! {
    #[test]
    fn materials_round_trip(rows in materials()) {
        let csv = materials_to_csv(&rows);
        prop_assert_eq!(import_materials(Source::Csv(csv.as_bytes())), Ok(rows), "{}", csv);
    }

    #[test]
    fn boms_round_trip(rows in boms()) {
        let csv = boms_to_csv(&rows);
        prop_assert_eq!(import_boms(Source::Csv(csv.as_bytes()), &|_| true), Ok(rows), "{}", csv);
    }

    #[test]
    fn routings_round_trip(rows in routings()) {
        let csv = routings_to_csv(&rows);
        prop_assert_eq!(import_routings(Source::Csv(csv.as_bytes()), &|_| true), Ok(rows), "{}", csv);
    }
}

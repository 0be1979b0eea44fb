//! Flat file rows ↔ the records the hub keeps: BOM lines grouped into one
//! [`Bom`] per parent with its versions, routing rows grouped into one
//! [`Routing`] per material with its versions and operations; and back, for
//! export. Materials need nothing: a [`Material`](super::records::Material)
//! is a [`MaterialRow`](super::import::MaterialRow).
//!
//! Grouping keeps first-appearance order (a routing's last version is the
//! one production orders take by default), except that operations are
//! sorted by number as a routing requires. `records → rows → records` gives
//! the same records.
//!
//! Fields a file does not carry (an operation's `name` and `splittable`,
//! and whatever later versions of the records add) take their defaults
//! here; [`bom_keeping_unfiled`] and [`routing_keeping_unfiled`] carry
//! them over from the record a file's record replaces.

use super::import::{BomRow, RoutingInput as InputRow, RoutingRow};
use super::records::{Bom, BomLine, BomVersion, Routing, RoutingInput, RoutingOperation, RoutingVersion};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The BOMs of `rows`, one per parent, in order of first appearance.
pub fn boms_from_rows(rows: &[BomRow]) -> Vec<Bom> {
    let mut boms: Vec<Bom> = Vec::new();
    for row in rows {
        let bom = match boms.iter().position(|b| b.material == row.parent) {
            Some(i) => &mut boms[i],
            None => {
                boms.push(Bom {
                    material: row.parent.clone(),
                    versions: Vec::new(),
                });
                boms.last_mut().expect("a BOM was just pushed")
            }
        };
        let version = match bom.versions.iter().position(|v| v.version == row.version) {
            Some(i) => &mut bom.versions[i],
            None => {
                bom.versions.push(BomVersion {
                    version: row.version.clone(),
                    valid_from: row.valid_from,
                    valid_to: row.valid_to,
                    lines: Vec::new(),
                });
                bom.versions.last_mut().expect("a version was just pushed")
            }
        };
        version.lines.push(bom_line(row));
    }
    boms
}

/// A line from the columns a file has; every other field at its default
/// (built through serde so that fields added to [`BomLine`] with a default
/// need no change here).
fn bom_line(row: &BomRow) -> BomLine {
    with_defaults(json!({
        "component": row.component,
        "quantity": row.quantity,
        "unit": row.unit,
        "use_up_old_stock": row.use_up_old_stock,
    }))
}

/// The rows of `boms`: one per line, versions and lines in record order.
pub fn bom_rows(boms: &[Bom]) -> Vec<BomRow> {
    let mut rows = Vec::new();
    for bom in boms {
        for version in &bom.versions {
            for line in &version.lines {
                rows.push(BomRow {
                    parent: bom.material.clone(),
                    version: version.version.clone(),
                    valid_from: version.valid_from,
                    valid_to: version.valid_to,
                    component: line.component.clone(),
                    quantity: line.quantity,
                    unit: line.unit.clone(),
                    use_up_old_stock: line.use_up_old_stock,
                });
            }
        }
    }
    rows
}

/// The routings of `rows`, one per material, versions in order of first
/// appearance, operations by number; the rows repeating an operation add
/// its inputs in file order.
pub fn routings_from_rows(rows: &[RoutingRow]) -> Vec<Routing> {
    let mut routings: Vec<Routing> = Vec::new();
    for row in rows {
        let routing = match routings.iter().position(|r| r.material == row.material) {
            Some(i) => &mut routings[i],
            None => {
                routings.push(Routing {
                    material: row.material.clone(),
                    versions: Vec::new(),
                });
                routings.last_mut().expect("a routing was just pushed")
            }
        };
        let version = match routing.versions.iter().position(|v| v.version == row.version) {
            Some(i) => &mut routing.versions[i],
            None => {
                routing.versions.push(RoutingVersion {
                    version: row.version.clone(),
                    operations: Vec::new(),
                });
                routing.versions.last_mut().expect("a version was just pushed")
            }
        };
        let operation = match version
            .operations
            .iter()
            .position(|o| o.operation == row.operation)
        {
            Some(i) => &mut version.operations[i],
            None => {
                version.operations.push(operation(row));
                version
                    .operations
                    .last_mut()
                    .expect("an operation was just pushed")
            }
        };
        if let Some(input) = &row.input {
            operation.inputs.push(RoutingInput {
                material: input.material.clone(),
                quantity_per_unit: input.quantity,
                unit: input.unit.clone(),
            });
        }
    }
    for version in routings.iter_mut().flat_map(|r| r.versions.iter_mut()) {
        version.operations.sort_by_key(|o| o.operation);
    }
    routings
}

/// An operation from the columns a file has, without inputs; `name`,
/// `splittable` and any later field at their defaults (through serde, as
/// [`bom_line`]).
fn operation(row: &RoutingRow) -> RoutingOperation {
    with_defaults(json!({
        "operation": row.operation,
        "equipment_type": row.equipment_type,
        "setup_minutes": row.setup_minutes,
        "run_minutes_per_unit": row.run_minutes_per_unit,
        "worker_type": row.worker_type,
        "output": row.output,
    }))
}

/// The rows of `routings`: one per input of each operation, or one for an
/// operation without inputs; versions and operations in record order.
pub fn routing_rows(routings: &[Routing]) -> Vec<RoutingRow> {
    let mut rows = Vec::new();
    for routing in routings {
        for version in &routing.versions {
            for op in &version.operations {
                let row = |input: Option<InputRow>| RoutingRow {
                    material: routing.material.clone(),
                    version: version.version.clone(),
                    operation: op.operation,
                    equipment_type: op.equipment_type.clone(),
                    setup_minutes: op.setup_minutes,
                    run_minutes_per_unit: op.run_minutes_per_unit,
                    worker_type: op.worker_type.clone(),
                    input,
                    output: op.output.clone(),
                };
                if op.inputs.is_empty() {
                    rows.push(row(None));
                }
                for input in &op.inputs {
                    rows.push(row(Some(InputRow {
                        material: input.material.clone(),
                        quantity: input.quantity_per_unit,
                        unit: input.unit.clone(),
                    })));
                }
            }
        }
    }
    rows
}

/// Fields of a BOM line that a file sets; the others are kept by
/// [`bom_keeping_unfiled`].
const BOM_LINE_FILED: &[&str] = &["component", "quantity", "unit", "use_up_old_stock"];

/// Fields of a routing operation that a file sets.
const OPERATION_FILED: &[&str] = &[
    "operation",
    "equipment_type",
    "setup_minutes",
    "run_minutes_per_unit",
    "worker_type",
    "inputs",
    "output",
];

/// `new` (from a file) as it replaces `old`: each line keeps the fields
/// a file cannot carry from `old`'s line of the same version and component.
pub fn bom_keeping_unfiled(new: Bom, old: &Bom) -> Bom {
    carry_over(new, old, "lines", "component", BOM_LINE_FILED)
}

/// `new` (from a file) as it replaces `old`: each operation keeps its
/// `name`, `splittable` and any other field a file cannot carry from
/// `old`'s operation of the same version and number.
pub fn routing_keeping_unfiled(new: Routing, old: &Routing) -> Routing {
    carry_over(new, old, "operations", "operation", OPERATION_FILED)
}

/// The JSON merge behind both: elements (`lines`/`operations`) of each
/// version of `new` matched by `key` in the same version of `old` take
/// `old`'s fields except the `filed` ones. Elements new to the record keep
/// their defaults.
fn carry_over<T: Serialize + DeserializeOwned>(
    new: T,
    old: &T,
    elements: &str,
    key: &str,
    filed: &[&str],
) -> T {
    let (Ok(mut new_value), Ok(old_value)) = (serde_json::to_value(&new), serde_json::to_value(old)) else {
        return new;
    };
    let old_versions = old_value["versions"].as_array().map_or(&[][..], Vec::as_slice);
    for version in new_value["versions"].as_array_mut().into_iter().flatten() {
        let Some(old_version) = old_versions.iter().find(|v| v["version"] == version["version"]) else {
            continue;
        };
        let old_items = old_version[elements].as_array().map_or(&[][..], Vec::as_slice);
        for item in version[elements].as_array_mut().into_iter().flatten() {
            if let Some(old_item) = old_items.iter().find(|o| o[key] == item[key]) {
                *item = merged(old_item, item, filed);
            }
        }
    }
    // Both halves of every merged element were valid records' fields.
    serde_json::from_value(new_value).unwrap_or(new)
}

/// `old` with the `filed` fields taken from `new` (removed when `new` has
/// none).
fn merged(old: &Value, new: &Value, filed: &[&str]) -> Value {
    let mut out = old.clone();
    if let (Some(out), Some(new)) = (out.as_object_mut(), new.as_object()) {
        for field in filed {
            match new.get(*field) {
                Some(value) => out.insert((*field).to_string(), value.clone()),
                None => out.remove(*field),
            };
        }
    }
    out
}

fn with_defaults<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value)
        .expect("the fields built from a parsed row are the record's required fields")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::masterdata::import::{Source, boms_to_csv, import_boms, import_routings, routings_to_csv};
    use mes_protocols::Code;
    use rust_decimal::Decimal;
    use time::macros::date;

    fn code(s: &str) -> Code {
        Code::parse(s).expect("test codes are valid")
    }

    fn dec(s: &str) -> Decimal {
        s.parse().expect("test decimals are valid")
    }

    fn line(component: &str, quantity: &str, unit: &str, use_up: bool) -> BomLine {
        bom_line(&BomRow {
            parent: code("P"),
            version: code("V"),
            valid_from: date!(2026 - 01 - 01),
            valid_to: None,
            component: code(component),
            quantity: dec(quantity),
            unit: code(unit),
            use_up_old_stock: use_up,
        })
    }

    fn boms() -> Vec<Bom> {
        vec![
            Bom {
                material: code("BIKE"),
                versions: vec![
                    BomVersion {
                        version: code("1"),
                        valid_from: date!(2026 - 01 - 01),
                        valid_to: Some(date!(2026 - 06 - 30)),
                        lines: vec![
                            line("FRAME", "1", "pcs", false),
                            line("BOLT", "12.50", "pcs", false),
                        ],
                    },
                    BomVersion {
                        version: code("2"),
                        valid_from: date!(2026 - 07 - 01),
                        valid_to: None,
                        lines: vec![line("FRAME-2", "1", "pcs", true)],
                    },
                ],
            },
            Bom {
                material: code("FRAME"),
                versions: vec![BomVersion {
                    version: code("A"),
                    valid_from: date!(2025 - 12 - 01),
                    valid_to: None,
                    lines: vec![line("STEEL", "2.5", "kg", false)],
                }],
            },
        ]
    }

    fn op(number: u32, inputs: Vec<RoutingInput>, output: Option<&str>) -> RoutingOperation {
        let mut op = operation(&RoutingRow {
            material: code("M"),
            version: code("V"),
            operation: number,
            equipment_type: code("lathe"),
            setup_minutes: dec("15"),
            run_minutes_per_unit: dec("0.75"),
            worker_type: code("turner"),
            input: None,
            output: output.map(code),
        });
        op.inputs = inputs;
        op
    }

    fn input(material: &str, quantity: &str, unit: &str) -> RoutingInput {
        RoutingInput {
            material: code(material),
            quantity_per_unit: dec(quantity),
            unit: code(unit),
        }
    }

    fn routings() -> Vec<Routing> {
        vec![Routing {
            material: code("SHAFT"),
            versions: vec![
                RoutingVersion {
                    version: code("2"),
                    operations: vec![
                        op(
                            10,
                            vec![input("BAR", "1.2", "kg"), input("OIL", "0.01", "l")],
                            Some("BLANK"),
                        ),
                        op(20, Vec::new(), None),
                    ],
                },
                RoutingVersion {
                    version: code("1"),
                    operations: vec![op(10, vec![input("BAR", "1.3", "kg")], None)],
                },
            ],
        }]
    }

    #[test]
    fn boms_survive_rows_and_csv() {
        let rows = bom_rows(&boms());
        assert_eq!(rows.len(), 4, "one row per line");
        assert_eq!(boms_from_rows(&rows), boms());
        let csv = boms_to_csv(&rows);
        let back = import_boms(Source::Csv(csv.as_bytes()), &|_| true).expect("an export imports");
        assert_eq!(boms_from_rows(&back), boms());
    }

    #[test]
    fn routings_survive_rows_and_csv() {
        let rows = routing_rows(&routings());
        assert_eq!(
            rows.len(),
            4,
            "one row per input, one for an operation without inputs"
        );
        assert_eq!(routings_from_rows(&rows), routings());
        let csv = routings_to_csv(&rows);
        let back = import_routings(Source::Csv(csv.as_bytes()), &|_| true).expect("an export imports");
        assert_eq!(routings_from_rows(&back), routings());
    }

    #[test]
    fn interleaved_rows_group_by_parent_and_operations_sort_by_number() {
        let mut rows = routing_rows(&routings());
        rows.reverse();
        let grouped = routings_from_rows(&rows);
        let v2 = &grouped[0].versions[1];
        assert_eq!(v2.version, code("2"), "versions keep first-appearance order");
        assert_eq!(
            v2.operations.iter().map(|o| o.operation).collect::<Vec<_>>(),
            [10, 20]
        );
        assert_eq!(
            v2.operations[0]
                .inputs
                .iter()
                .map(|i| i.material.as_str())
                .collect::<Vec<_>>(),
            ["OIL", "BAR"],
            "inputs in file order"
        );
        let mut bom_lines = bom_rows(&boms());
        bom_lines.swap(0, 3);
        let grouped = boms_from_rows(&bom_lines);
        assert_eq!(
            grouped.iter().map(|b| b.material.as_str()).collect::<Vec<_>>(),
            ["FRAME", "BIKE"]
        );
        assert_eq!(grouped[1].versions.len(), 2);
    }

    #[test]
    fn defaults_for_what_a_file_cannot_carry() {
        let op = &routings()[0].versions[0].operations[0];
        assert_eq!(op.name, "");
        assert!(op.splittable, "operations are splittable unless told otherwise");
    }

    #[test]
    fn replacing_keeps_names_and_splitting_of_matching_operations() {
        let mut old = routings();
        old[0].versions[0].operations[0].name = "Turn".into();
        old[0].versions[0].operations[0].splittable = false;
        old[0].versions[0].operations[1].name = "Deburr".into();
        // The file changes operation 10's times and drops operation 20 for 30.
        let mut new = routings();
        new[0].versions[0].operations[0].setup_minutes = dec("20");
        new[0].versions[0].operations[1].operation = 30;
        let merged = routing_keeping_unfiled(new[0].clone(), &old[0]);
        let ops = &merged.versions[0].operations;
        assert_eq!((ops[0].name.as_str(), ops[0].splittable), ("Turn", false));
        assert_eq!(ops[0].setup_minutes, dec("20"), "the file's fields win");
        assert_eq!(ops[0].output, Some(code("BLANK")));
        assert_eq!(
            (ops[1].name.as_str(), ops[1].splittable),
            ("", true),
            "a new operation"
        );
        assert_eq!(
            merged.versions[1], new[0].versions[1],
            "version 1 had nothing to keep"
        );
    }

    #[test]
    fn replacing_drops_an_output_the_file_no_longer_names() {
        let old = routings();
        let mut new = routings();
        new[0].versions[0].operations[0].output = None;
        let merged = routing_keeping_unfiled(new[0].clone(), &old[0]);
        assert_eq!(merged.versions[0].operations[0].output, None);
    }

    #[test]
    fn replacing_a_bom_takes_the_files_lines() {
        let old = boms();
        let mut new = boms();
        new[0].versions[0].lines[1].quantity = dec("10");
        new[0].versions[0].lines.remove(0);
        let merged = bom_keeping_unfiled(new[0].clone(), &old[0]);
        assert_eq!(merged, new[0]);
    }
}

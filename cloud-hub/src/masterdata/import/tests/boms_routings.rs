//! BOM and routing CSVs: clean files import fully, bad ones report every
//! bad row and import nothing.

use std::collections::HashSet;

use mes_protocols::code::Code;
use rust_decimal::Decimal;

use super::super::{Source, import_boms, import_routings};
use super::{places, row_errors};

fn known() -> HashSet<Code> {
    ["BRKT-100", "BRKT-RAW", "STEEL-2MM", "SCREW-M4", "PAINT"]
        .iter()
        .filter_map(|c| Code::parse(c).ok())
        .collect()
}

const BOMS: &str = "parent,version,valid_from,valid_to,component,quantity,unit,use_up_old_stock
BRKT-100,1,2026-01-01,2026-06-30,BRKT-RAW,1,pcs,
BRKT-100,1,2026-01-01,2026-06-30,SCREW-M4,4,pcs,no
BRKT-100,2,2026-07-01,,BRKT-RAW,1,pcs,yes
BRKT-100,2,2026-07-01,,PAINT,0.015,l,no
";

#[test]
fn clean_bom_csv_imports_every_line() {
    let known = known();
    let rows = import_boms(Source::Csv(BOMS.as_bytes()), &|c| known.contains(c)).expect("clean BOMs");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].valid_to.map(|d| d.to_string()), Some("2026-06-30".into()));
    assert_eq!(rows[2].valid_to, None);
    assert!(rows[2].use_up_old_stock && !rows[0].use_up_old_stock);
    assert_eq!(rows[3].quantity, Decimal::new(15, 3));
}

#[test]
fn bad_bom_rows_are_all_reported() {
    let csv = "parent,version,valid_from,valid_to,component,quantity,unit,use_up_old_stock
BRKT-100,1,2026-01-01,,BRKT-RAW,1,pcs,
BRKT-100,1,2026-01-02,,NOPE,0,pcs,
BRKT-100,1,2026-01-01,,BRKT-RAW,2,pcs,
BRKT-100,2,2026-02-30,2025-01-01,BRKT-100,-1,pcs,x
BRKT-100,3,2026-03-01,2026-02-01,PAINT,1,l,
BRKT-100,4,2026-05-01,,PAINT,1,l,
";
    let known = known();
    let errors = row_errors(import_boms(Source::Csv(csv.as_bytes()), &|c| known.contains(c)));
    let at = |row, l: &str, n: &str| (row, Some(l.to_string()), n.to_string());
    assert_eq!(
        places(&errors),
        vec![
            at(3, "E", "component"),
            at(3, "F", "quantity"),
            at(4, "E", "component"),
            at(5, "C", "valid_from"),
            at(5, "F", "quantity"),
            at(5, "H", "use_up_old_stock"),
            at(6, "D", "valid_to"),
            at(7, "C", "valid_from"),
        ],
        "{errors:#?}"
    );
    assert!(
        errors[0].reason.contains("not a known material"),
        "{}",
        errors[0].reason
    );
    assert!(
        errors[2].reason.contains("first in row 2"),
        "{}",
        errors[2].reason
    );
    assert!(
        errors[7].reason.contains("overlaps version 1"),
        "{}",
        errors[7].reason
    );
}

const ROUTINGS: &str = "material,version,operation,equipment_type,setup_minutes,run_minutes_per_unit,worker_type,input_material,input_quantity,input_unit,output_material
BRKT-100,1,10,LASER,15,0.5,OPERATOR,STEEL-2MM,0.12,kg,BRKT-RAW
BRKT-100,1,20,PRESS-BRAKE,20,0.75,OPERATOR,BRKT-RAW,1,pcs,
BRKT-100,1,20,PRESS-BRAKE,20,0.75,OPERATOR,SCREW-M4,4,pcs,
BRKT-100,1,30,PAINT-BOOTH,5,1.2,PAINTER,,,,
";

#[test]
fn clean_routing_csv_imports_every_row() {
    let known = known();
    let rows = import_routings(Source::Csv(ROUTINGS.as_bytes()), &|c| known.contains(c)).expect("clean");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].output.as_ref().map(Code::as_str), Some("BRKT-RAW"));
    assert_eq!(rows[1].operation, 20);
    assert_eq!(rows[3].input, None);
    assert_eq!(rows[2].input.as_ref().map(|i| i.quantity), Some(Decimal::from(4)));
}

#[test]
fn bad_routing_rows_are_all_reported() {
    let csv = "material,version,operation,equipment_type,setup_minutes,run_minutes_per_unit,worker_type,input_material,input_quantity,input_unit,output_material
BRKT-100,1,10,LASER,15,0.5,OPERATOR,STEEL-2MM,,kg,
BRKT-100,1,0,LASER,-5,0.5,,,,,
BRKT-100,1,20,LASER,15,x,OPERATOR,STEEL-2MM,1,kg,
BRKT-100,1,20,PRESS,15,1,OPERATOR,STEEL-2MM,1,kg,GHOST
BRKT-100,1,30,PAINT,5,1,PAINTER,,,,
BRKT-100,1,30,PAINT,6,1.0,PAINTER,,,,
";
    let known = known();
    let errors = row_errors(import_routings(Source::Csv(csv.as_bytes()), &|c| {
        known.contains(c)
    }));
    let at = |row, l: &str, n: &str| (row, Some(l.to_string()), n.to_string());
    assert_eq!(
        places(&errors),
        vec![
            at(2, "I", "input_quantity"),
            at(3, "C", "operation"),
            at(3, "E", "setup_minutes"),
            at(3, "G", "worker_type"),
            at(4, "F", "run_minutes_per_unit"),
            at(5, "K", "output_material"),
            at(7, "E", "setup_minutes"),
            at(7, "H", "input_material"),
        ],
        "{errors:#?}"
    );
}

//! Materials CSV: a clean file, a file with many errors, header errors.

use rust_decimal::Decimal;

use super::super::{MaterialKind, Source, import_materials, materials_to_csv};
use super::{places, row_errors};

const CLEAN: &str = "\u{feff}code,name,kind,base_unit,alt_units,lot_tracked,standard_cost
STEEL-2MM,\"Steel sheet, 2 mm\",raw,kg,,yes,1.85
BRKT-RAW,Bracket blank,Semi-Finished,pcs,box:50,no,0.4200

BRKT-100,Bracket 100,finished,pcs,box:12;pallet:480,yes,12.5
";

#[test]
fn clean_csv_imports_every_row() {
    let rows = import_materials(Source::Csv(CLEAN.as_bytes())).expect("clean file");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].name, "Steel sheet, 2 mm");
    assert_eq!(rows[1].kind, MaterialKind::SemiFinished);
    assert_eq!(rows[1].standard_cost, Decimal::new(42, 2));
    assert_eq!(rows[2].alt_units.len(), 2);
    assert_eq!(rows[2].alt_units[1].unit.as_str(), "pallet");
    assert_eq!(rows[2].alt_units[1].factor, Decimal::from(480));
    assert!(rows[0].lot_tracked && !rows[1].lot_tracked);
}

#[test]
fn exported_clean_file_reads_back_the_same() {
    let rows = import_materials(Source::Csv(CLEAN.as_bytes())).expect("clean file");
    let again = import_materials(Source::Csv(materials_to_csv(&rows).as_bytes())).expect("export");
    assert_eq!(rows, again);
}

#[test]
fn every_bad_row_is_reported_and_nothing_imported() {
    let csv = "code,name,kind,base_unit,alt_units,lot_tracked,standard_cost
A,Good,raw,kg,,no,1
B,,liquid,kg,box:0,maybe,\"1,5\"
A,Again,raw,kg,,no,1
C,Neg,raw,kg,kg:2,no,-1
D,Fine digits,raw,kg,box12,no,0.12345
";
    let errors = row_errors(import_materials(Source::Csv(csv.as_bytes())));
    let b = |l: &str, n: &str| (3, Some(l.to_string()), n.to_string());
    assert_eq!(
        places(&errors),
        vec![
            b("B", "name"),
            b("C", "kind"),
            b("E", "alt_units"),
            b("F", "lot_tracked"),
            b("G", "standard_cost"),
            (4, Some("A".into()), "code".into()),
            (5, Some("E".into()), "alt_units".into()),
            (5, Some("G".into()), "standard_cost".into()),
            (6, Some("E".into()), "alt_units".into()),
            (6, Some("G".into()), "standard_cost".into()),
        ],
        "{errors:#?}"
    );
    assert_eq!(errors[4].value, "1,5");
    assert!(errors[4].reason.contains("comma"), "{}", errors[4].reason);
    assert!(errors[5].reason.contains("row 2"), "{}", errors[5].reason);
    assert!(
        errors[1]
            .to_string()
            .starts_with("row 3, column C (kind), value \"liquid\": ")
    );
}

#[test]
fn unknown_missing_and_repeated_headers_are_errors() {
    let csv = "code,Name,colour,kind,base_unit,lot_tracked,standard_cost,code\nA,x,red,raw,kg,no,1,A\n";
    let errors = row_errors(import_materials(Source::Csv(csv.as_bytes())));
    assert_eq!(
        places(&errors),
        vec![
            (1, Some("C".into()), "colour".into()),
            (1, Some("H".into()), "code".into()),
            (1, None, "alt_units".into()),
        ],
        "{errors:#?}"
    );
}

#[test]
fn empty_file_and_bad_utf8_are_reported() {
    assert!(matches!(
        import_materials(Source::Csv(b"\n\n")),
        Err(super::super::ImportErrors::File(super::super::FileError::Empty))
    ));
    let mut bytes = b"code,name,kind,base_unit,alt_units,lot_tracked,standard_cost\nA,".to_vec();
    bytes.extend_from_slice(b"caf\xE9,raw,kg,,no,1\n");
    let errors = row_errors(import_materials(Source::Csv(&bytes)));
    assert_eq!(errors[0].row, 2);
    assert!(errors[0].reason.contains("UTF-8"), "{errors:#?}");
}

#[test]
fn row_numbers_count_blank_lines_like_a_spreadsheet() {
    let csv = "code,name,kind,base_unit,alt_units,lot_tracked,standard_cost\n\nA,Ay,raw,kg,,no,1\n\nB,Bee,raw,kg,,no,x\n";
    let errors = row_errors(import_materials(Source::Csv(csv.as_bytes())));
    assert_eq!(
        places(&errors),
        vec![(5, Some("G".into()), "standard_cost".into())]
    );
}

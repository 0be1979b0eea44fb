//! XLSX through a real writer: workbooks are generated with rust_xlsxwriter
//! into a temporary directory and read back with calamine.

use std::path::Path;

use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::super::{ImportErrors, MaterialKind, Source, import_materials, import_workbook};
use super::{places, row_errors};

/// A cell as a spreadsheet user would type it.
enum Cell<'a> {
    Text(&'a str),
    Num(f64),
    Date(u16, u8, u8),
    Bool(bool),
    Blank,
}
use Cell::{Blank, Bool, Date, Num, Text};

/// Adds a sheet whose table starts at row `top`, column `left` (0-based).
fn sheet(book: &mut Workbook, name: &str, (top, left): (u32, u16), rows: &[&[Cell<'_>]]) {
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let ws = book.add_worksheet();
    ws.set_name(name).expect("valid sheet name");
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            let (row, col) = (top + r as u32, left + c as u16);
            match cell {
                Text(s) => ws.write_string(row, col, *s).map(|_| ()),
                Num(n) => ws.write_number(row, col, *n).map(|_| ()),
                Date(y, m, d) => ExcelDateTime::from_ymd(*y, *m, *d).and_then(|dt| {
                    ws.write_datetime_with_format(row, col, &dt, &date_format)
                        .map(|_| ())
                }),
                Bool(b) => ws.write_boolean(row, col, *b).map(|_| ()),
                Blank => Ok(()),
            }
            .expect("cell written");
        }
    }
}

fn save(book: &mut Workbook, dir: &Path) -> Vec<u8> {
    let path = dir.join("masterdata.xlsx");
    book.save(&path).expect("workbook saved");
    std::fs::read(&path).expect("workbook read back")
}

const MAT_HEADER: &[Cell<'static>] = &[
    Text("code"),
    Text("name"),
    Text("kind"),
    Text("base_unit"),
    Text("alt_units"),
    Text("lot_tracked"),
    Text("standard_cost"),
];

fn clean_workbook(dir: &Path) -> Vec<u8> {
    let mut book = Workbook::new();
    sheet(
        &mut book,
        "Materials",
        (0, 0),
        &[
            MAT_HEADER,
            &[
                Text("STEEL-2MM"),
                Text("Steel sheet"),
                Text("raw"),
                Text("kg"),
                Blank,
                Bool(true),
                Num(1.85),
            ],
            &[
                Text("BRKT-100"),
                Text("Bracket"),
                Text("finished"),
                Text("pcs"),
                Text("box:12"),
                Text("no"),
                Num(0.1),
            ],
            &[
                Num(4711.0),
                Text("Numeric code"),
                Text("raw"),
                Text("pcs"),
                Blank,
                Text("no"),
                Text("3.50"),
            ],
        ],
    );
    sheet(
        &mut book,
        "boms",
        (1, 1),
        &[
            &[
                Text("parent"),
                Text("version"),
                Text("valid_from"),
                Text("valid_to"),
                Text("component"),
                Text("quantity"),
                Text("unit"),
                Text("use_up_old_stock"),
            ],
            &[
                Text("BRKT-100"),
                Num(1.0),
                Date(2026, 1, 1),
                Blank,
                Text("STEEL-2MM"),
                Num(0.12),
                Text("kg"),
                Blank,
            ],
            &[
                Text("BRKT-100"),
                Num(1.0),
                Text("2026-01-01"),
                Blank,
                Text("SCREW"),
                Num(4.0),
                Text("pcs"),
                Blank,
            ],
        ],
    );
    save(&mut book, dir)
}

#[test]
fn clean_workbook_imports_every_sheet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = clean_workbook(dir.path());
    let data = import_workbook(&bytes, &|c| c.as_str() == "SCREW").expect("clean workbook");
    assert_eq!(data.materials.len(), 3);
    assert_eq!(data.materials[0].standard_cost, Decimal::new(185, 2));
    assert_eq!(data.materials[1].standard_cost, Decimal::new(1, 1));
    assert_eq!(data.materials[1].kind, MaterialKind::Finished);
    assert_eq!(data.materials[2].code.as_str(), "4711");
    assert!(data.materials[0].lot_tracked);
    assert_eq!(data.boms.len(), 2);
    assert_eq!(data.boms[0].valid_from, data.boms[1].valid_from);
    assert_eq!(data.boms[0].version.as_str(), "1");
    assert!(data.routings.is_empty());
}

#[test]
fn single_sheet_import_reads_the_named_sheet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = clean_workbook(dir.path());
    let rows = import_materials(Source::Xlsx {
        bytes: &bytes,
        sheet: Some("materials"),
    })
    .expect("clean sheet");
    assert_eq!(rows.len(), 3);
    let missing = import_materials(Source::Xlsx {
        bytes: &bytes,
        sheet: Some("parts"),
    });
    assert!(matches!(missing, Err(ImportErrors::File(_))), "{missing:?}");
}

#[test]
fn bad_workbook_reports_each_error_with_sheet_row_and_letter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut book = Workbook::new();
    sheet(
        &mut book,
        "materials",
        (0, 0),
        &[
            MAT_HEADER,
            &[
                Text("A"),
                Blank,
                Text("raw"),
                Text("kg"),
                Blank,
                Text("no"),
                Num(-2.0),
            ],
            &[
                Text("B"),
                Text("Bee"),
                Text("raw"),
                Text("kg"),
                Text("box:0"),
                Text("no"),
                Text("1,5"),
            ],
        ],
    );
    sheet(
        &mut book,
        "routings",
        (2, 1),
        &[
            &[
                Text("material"),
                Text("version"),
                Text("operation"),
                Text("equipment_type"),
                Text("setup_minutes"),
                Text("run_minutes_per_unit"),
                Text("worker_type"),
                Text("input_material"),
                Text("input_quantity"),
                Text("input_unit"),
                Text("output_material"),
            ],
            &[
                Text("A"),
                Num(1.0),
                Num(10.0),
                Text("LASER"),
                Num(5.0),
                Num(0.5),
                Text("OP"),
                Text("B"),
                Num(1.0),
                Text("pcs"),
                Blank,
            ],
            &[
                Text("GHOST"),
                Num(1.0),
                Num(12.5),
                Text("LASER"),
                Num(5.0),
                Date(2026, 1, 1),
                Text("OP"),
                Blank,
                Blank,
                Blank,
                Blank,
            ],
        ],
    );
    let bytes = save(&mut book, dir.path());
    let errors = row_errors(import_workbook(&bytes, &|_| false));
    let at = |row, l: &str, n: &str| (row, Some(l.to_string()), n.to_string());
    assert_eq!(
        places(&errors),
        vec![
            at(2, "B", "name"),
            at(2, "G", "standard_cost"),
            at(3, "E", "alt_units"),
            at(3, "G", "standard_cost"),
            at(5, "B", "material"),
            at(5, "D", "operation"),
            at(5, "G", "run_minutes_per_unit"),
        ],
        "{errors:#?}"
    );
    let sheets: Vec<_> = errors.iter().map(|e| e.sheet.as_deref().unwrap_or("")).collect();
    assert_eq!(
        sheets,
        [
            "materials",
            "materials",
            "materials",
            "materials",
            "routings",
            "routings",
            "routings"
        ]
    );
    assert!(
        errors[4].reason.contains("not a known material"),
        "{}",
        errors[4].reason
    );
    assert!(
        errors[0]
            .to_string()
            .starts_with("sheet materials, row 2, column B (name)"),
        "{}",
        errors[0]
    );
}

//! One XLSX workbook holding all master data, one sheet per kind, as small
//! factories keep it: BOMs and routings may use the materials of the same
//! workbook.

use std::collections::HashSet;

use mes_protocols::code::Code;

use super::table::{Table, XlsxBook};
use super::{BomRow, FileError, ImportErrors, MaterialRow, Record, RoutingRow, RowError, finish, parse};

/// Everything a workbook held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MasterData {
    /// Rows of the `materials` sheet.
    pub materials: Vec<MaterialRow>,
    /// Rows of the `boms` sheet.
    pub boms: Vec<BomRow>,
    /// Rows of the `routings` sheet.
    pub routings: Vec<RoutingRow>,
}

/// Imports the sheets `materials`, `boms` and `routings` (names in any case;
/// a missing or empty sheet means no rows of that kind; other sheets are
/// ignored). References in BOMs and routings may name a material of the
/// `materials` sheet or one `known` accepts. Errors of all sheets are
/// reported together, each naming its sheet; any error imports nothing.
pub fn import_workbook(bytes: &[u8], known: &dyn Fn(&Code) -> bool) -> Result<MasterData, ImportErrors> {
    let mut book = XlsxBook::open(bytes)?;
    let materials_sheet = optional_sheet(&mut book, "materials")?;
    let boms_sheet = optional_sheet(&mut book, "boms")?;
    let routings_sheet = optional_sheet(&mut book, "routings")?;
    // Codes of every materials row count as known, even of rows with errors:
    // those are reported on the materials sheet already, and repeating them
    // as unknown references on the other sheets would only bury them.
    let in_file: HashSet<Code> = materials_sheet
        .iter()
        .flat_map(|t| t.column_values("code"))
        .filter_map(|c| Code::parse(c).ok())
        .collect();
    let known = |c: &Code| in_file.contains(c) || known(c);
    let mut errors = Vec::new();
    let materials: Vec<MaterialRow> = rows(materials_sheet.as_ref(), &|_| true, &mut errors);
    let boms = rows(boms_sheet.as_ref(), &known, &mut errors);
    let routings = rows(routings_sheet.as_ref(), &known, &mut errors);
    if errors.is_empty() {
        Ok(MasterData {
            materials,
            boms,
            routings,
        })
    } else {
        Err(finish(errors))
    }
}

/// A sheet, or `None` when the workbook lacks it or it is blank.
fn optional_sheet(book: &mut XlsxBook<'_>, name: &str) -> Result<Option<Table>, FileError> {
    match book.sheet(Some(name)) {
        Ok(table) => Ok(Some(table)),
        Err(FileError::MissingSheet { .. } | FileError::Empty) => Ok(None),
        Err(other) => Err(other),
    }
}

fn rows<R: Record>(
    table: Option<&Table>,
    known: &dyn Fn(&Code) -> bool,
    errors: &mut Vec<RowError>,
) -> Vec<R> {
    let Some(table) = table else { return Vec::new() };
    let (rows, mut found) = parse(table, known);
    errors.append(&mut found);
    rows
}

//! One XLSX workbook holding all master data, one sheet per kind, as small
//! factories keep it: BOMs and routings may use the materials of the same
//! workbook.

use mes_protocols::code::Code;

use super::lookup::{KnownMaterials, Lookup, WithFileMaterials};
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
    import_workbook_checked(bytes, &KnownMaterials(known))
}

/// [`import_workbook`] checking every reference against `lookup`, with the
/// `materials` sheet's materials (and their units) on top of it.
pub fn import_workbook_checked(bytes: &[u8], lookup: &dyn Lookup) -> Result<MasterData, ImportErrors> {
    let mut book = XlsxBook::open(bytes)?;
    let materials_sheet = optional_sheet(&mut book, "materials")?;
    let boms_sheet = optional_sheet(&mut book, "boms")?;
    let routings_sheet = optional_sheet(&mut book, "routings")?;
    let mut errors = Vec::new();
    let materials: Vec<MaterialRow> = rows(materials_sheet.as_ref(), lookup, &mut errors);
    // Codes of every materials row count as known, even of rows with errors:
    // those are reported on the materials sheet already, and repeating them
    // as unknown references on the other sheets would only bury them.
    let with_file = WithFileMaterials {
        inner: lookup,
        codes: materials_sheet
            .iter()
            .flat_map(|t| t.column_values("code"))
            .filter_map(|c| Code::parse(c).ok())
            .collect(),
        // A material naming a unit the lookup lacks is reported on its
        // own row; its units are no ground for more errors elsewhere.
        units: materials
            .iter()
            .map(|m| {
                let units: Vec<Code> = std::iter::once(m.base_unit.clone())
                    .chain(m.alt_units.iter().map(|u| u.unit.clone()))
                    .collect();
                (m.code.clone(), units)
            })
            .filter(|(_, units)| units.iter().all(|u| lookup.unit(u)))
            .collect(),
    };
    let boms = rows(boms_sheet.as_ref(), &with_file, &mut errors);
    let routings = rows(routings_sheet.as_ref(), &with_file, &mut errors);
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

fn rows<R: Record>(table: Option<&Table>, lookup: &dyn Lookup, errors: &mut Vec<RowError>) -> Vec<R> {
    let Some(table) = table else { return Vec::new() };
    let (rows, mut found) = parse(table, lookup);
    errors.append(&mut found);
    rows
}

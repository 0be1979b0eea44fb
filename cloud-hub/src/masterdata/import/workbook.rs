//! One XLSX workbook holding all master data, one sheet per kind, as small
//! factories keep it: BOMs and routings may use the materials of the same
//! workbook.

use std::collections::HashSet;

use mes_protocols::code::Code;

use super::table::read_xlsx;
use super::{BomRow, FileError, ImportErrors, MaterialRow, Record, RoutingRow, finish, parse};

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
    let mut errors = Vec::new();
    // Codes of every materials row count as known, even of rows with errors:
    // those are reported on the materials sheet already, and repeating them
    // as unknown references on the other sheets would only bury them.
    let in_file: HashSet<Code> = match read_xlsx(bytes, Some("materials")) {
        Ok(table) => table
            .column_values("code")
            .iter()
            .filter_map(|c| Code::parse(c).ok())
            .collect(),
        Err(_) => HashSet::new(),
    };
    let materials: Vec<MaterialRow> = sheet(bytes, "materials", &|_| true, &mut errors)?;
    let known = |c: &Code| in_file.contains(c) || known(c);
    let boms = sheet(bytes, "boms", &known, &mut errors)?;
    let routings = sheet(bytes, "routings", &known, &mut errors)?;
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

fn sheet<R: Record>(
    bytes: &[u8],
    name: &str,
    known: &dyn Fn(&Code) -> bool,
    errors: &mut Vec<super::RowError>,
) -> Result<Vec<R>, ImportErrors> {
    match read_xlsx(bytes, Some(name)) {
        Ok(table) => {
            let (rows, mut found) = parse(&table, known);
            errors.append(&mut found);
            Ok(rows)
        }
        Err(FileError::MissingSheet { .. } | FileError::Empty) => Ok(Vec::new()),
        Err(other) => Err(other.into()),
    }
}

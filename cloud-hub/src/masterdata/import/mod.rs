//! Master-data import and export: CSV or XLSX bytes in, typed rows or the
//! complete list of bad rows out; typed rows back out as CSV.
//!
//! Pure: no database, no clock. Both file formats are read into one
//! source-neutral table ([`table`](self)) and then go through the same
//! validation, so a file means the same whether saved as CSV or XLSX. The
//! column layouts are described in `FORMAT.md` beside this file.
//!
//! All or nothing: any error anywhere in a file returns
//! [`ImportErrors`] listing every bad row (row number as a spreadsheet shows
//! it, header = row 1; column name and letter; value; reason), and no rows.
//! `import(to_csv(rows)) == rows` for every valid set of rows.
//!
//! References outside the file (materials, units of measure, equipment and
//! worker types) are checked through a [`Lookup`] the caller fills with
//! what it holds, in the same pass: the `*_checked` functions take one.

mod approval;
mod bom;
mod cells;
mod error;
mod lookup;
mod manufacturer;
mod material;
mod routing;
mod table;
mod workbook;

#[cfg(test)]
mod tests;

use mes_protocols::code::Code;

pub use approval::ApprovalRow;
pub use bom::BomRow;
pub use error::{ColumnRef, FileError, ImportErrors, RowError};
pub use lookup::Lookup;
pub use manufacturer::ManufacturerRow;
pub use material::{AltUnit, MaterialKind, MaterialRow, format_alt_units, parse_alt_units};
pub use routing::{RoutingInput, RoutingRow};
pub use workbook::{MasterData, import_workbook, import_workbook_checked};

use cells::{Checker, RowReader};
use lookup::KnownMaterials;
use table::Table;

/// The bytes of one file and how to read them.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// Comma-separated UTF-8 text with a header row.
    Csv(&'a [u8]),
    /// An `.xlsx` workbook; `sheet` names the worksheet (case-insensitive),
    /// `None` takes the first.
    Xlsx {
        /// The workbook file's bytes.
        bytes: &'a [u8],
        /// The worksheet to read.
        sheet: Option<&'a str>,
    },
}

/// One kind of master-data row: its columns, how a row is read, the checks
/// across rows, and how a row is written back.
pub(crate) trait Record: Sized {
    /// Header names, in the order export writes them.
    const COLUMNS: &'static [&'static str];
    /// Reads one row, recording every bad cell in `r`.
    fn read(r: &mut RowReader<'_>) -> Option<Self>;
    /// Checks across rows (duplicates, references); rows come with their
    /// spreadsheet row numbers.
    fn check_all(rows: &[(usize, Self)], check: &mut Checker<'_>);
    /// The cells export writes, in [`Record::COLUMNS`] order.
    fn cells(&self) -> Vec<String>;
}

/// Imports materials. See `FORMAT.md` for the columns.
pub fn import_materials(source: Source<'_>) -> Result<Vec<MaterialRow>, ImportErrors> {
    import(source, &KnownMaterials(&|_| true))
}

/// Imports materials whose base and alternative units must be units of
/// `lookup`.
pub fn import_materials_checked(
    source: Source<'_>,
    lookup: &dyn Lookup,
) -> Result<Vec<MaterialRow>, ImportErrors> {
    import(source, lookup)
}

/// Imports BOM lines. Every parent and component must satisfy `known`
/// (typically: a material of the hub or of the materials file imported with
/// it; [`import_workbook`] composes that itself).
pub fn import_boms(source: Source<'_>, known: &dyn Fn(&Code) -> bool) -> Result<Vec<BomRow>, ImportErrors> {
    import(source, &KnownMaterials(known))
}

/// Imports BOM lines checking every reference against `lookup`: parents
/// and components are its materials, each line's unit one of its units and
/// one the component is counted in.
pub fn import_boms_checked(source: Source<'_>, lookup: &dyn Lookup) -> Result<Vec<BomRow>, ImportErrors> {
    import(source, lookup)
}

/// Imports routing rows. Every routing material, input and output material
/// must satisfy `known`, as for [`import_boms`].
pub fn import_routings(
    source: Source<'_>,
    known: &dyn Fn(&Code) -> bool,
) -> Result<Vec<RoutingRow>, ImportErrors> {
    import(source, &KnownMaterials(known))
}

/// Imports routing rows checking every reference against `lookup`:
/// materials, equipment and worker types, and each input's unit (one of the
/// input material's units).
pub fn import_routings_checked(
    source: Source<'_>,
    lookup: &dyn Lookup,
) -> Result<Vec<RoutingRow>, ImportErrors> {
    import(source, lookup)
}

/// Imports manufacturers. See `FORMAT.md` for the columns.
pub fn import_manufacturers(source: Source<'_>) -> Result<Vec<ManufacturerRow>, ImportErrors> {
    import(source, &KnownMaterials(&|_| true))
}

/// Imports approval list entries checking materials, manufacturers and
/// customers against `lookup`.
pub fn import_approvals_checked(
    source: Source<'_>,
    lookup: &dyn Lookup,
) -> Result<Vec<ApprovalRow>, ImportErrors> {
    import(source, lookup)
}

/// Writes manufacturers as CSV that [`import_manufacturers`] reads back.
pub fn manufacturers_to_csv(rows: &[ManufacturerRow]) -> String {
    to_csv(rows)
}

/// Writes approval list entries as CSV that [`import_approvals_checked`]
/// reads back.
pub fn approvals_to_csv(rows: &[ApprovalRow]) -> String {
    to_csv(rows)
}

/// Writes materials as CSV that [`import_materials`] reads back unchanged.
pub fn materials_to_csv(rows: &[MaterialRow]) -> String {
    to_csv(rows)
}

/// Writes BOM lines as CSV that [`import_boms`] reads back unchanged.
pub fn boms_to_csv(rows: &[BomRow]) -> String {
    to_csv(rows)
}

/// Writes routing rows as CSV that [`import_routings`] reads back unchanged.
pub fn routings_to_csv(rows: &[RoutingRow]) -> String {
    to_csv(rows)
}

fn read(source: Source<'_>) -> Result<Table, FileError> {
    match source {
        Source::Csv(bytes) => table::read_csv(bytes),
        Source::Xlsx { bytes, sheet } => table::read_xlsx(bytes, sheet),
    }
}

fn import<R: Record>(source: Source<'_>, lookup: &dyn Lookup) -> Result<Vec<R>, ImportErrors> {
    let (rows, errors) = parse(&read(source)?, lookup);
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(finish(errors))
    }
}

/// The one validation path every kind and format goes through: the rows
/// that read well and every error found (header, cells, across rows).
fn parse<R: Record>(table: &Table, lookup: &dyn Lookup) -> (Vec<R>, Vec<RowError>) {
    let mut errors = table.read_errors.clone();
    let cols = match cells::resolve(table, R::COLUMNS) {
        Ok(cols) => cols,
        Err(header_errors) => {
            // Without a sound header no cell can be interpreted; report the
            // header alone rather than a flood of consequences.
            errors.extend(header_errors);
            return (Vec::new(), errors);
        }
    };
    let mut rows = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let mut reader = RowReader::new(table, &cols, lookup, row);
        let record = R::read(&mut reader);
        errors.append(&mut reader.errors);
        if let Some(record) = record {
            rows.push((row.number, record));
        }
    }
    let mut check = Checker::new(table, &cols);
    R::check_all(&rows, &mut check);
    errors.append(&mut check.errors);
    (rows.into_iter().map(|(_, r)| r).collect(), errors)
}

fn finish(mut errors: Vec<RowError>) -> ImportErrors {
    // Sheet, row, then column left to right (`B` < `AA`); columns missing
    // from the file last. Stable, so one cell's errors keep their order.
    errors.sort_by_cached_key(|e| {
        let letter = e.column.as_ref().and_then(|c| c.letter.clone());
        let col = letter.map_or((usize::MAX, String::new()), |l| (l.len(), l));
        (e.sheet.clone(), e.row, col)
    });
    ImportErrors::Rows(errors)
}

fn to_csv<R: Record>(rows: &[R]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut write = || -> Result<String, Box<dyn std::error::Error>> {
        writer.write_record(R::COLUMNS)?;
        for row in rows {
            writer.write_record(
                row.cells()
                    .iter()
                    .map(|c| crate::csv_cell::escape(c).into_owned()),
            )?;
        }
        writer.flush()?;
        Ok(String::from_utf8(writer.get_ref().clone())?)
    };
    // Writing UTF-8 strings into a Vec<u8> has no failure mode.
    write().expect("CSV into memory from UTF-8 strings cannot fail")
}

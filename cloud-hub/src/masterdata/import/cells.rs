//! From a [`Table`] row to typed values: header resolution and one parser
//! per cell notation (code, decimal, date, yes/no). Every parser records its
//! error and returns `None`, so one row yields all of its bad cells at once.

use std::str::FromStr;

use mes_protocols::code::Code;
use rust_decimal::Decimal;
use time::{Date, Month};

use super::error::RowError;
use super::lookup::Lookup;
use super::table::{Table, TableRow};

/// Where each expected column sits in the file.
pub(crate) struct Columns {
    found: Vec<(&'static str, usize)>,
}

/// Matches the header against the expected column names (case-insensitive,
/// any order). Unknown, duplicate and missing columns are all reported.
pub(crate) fn resolve(table: &Table, expected: &'static [&'static str]) -> Result<Columns, Vec<RowError>> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let hr = table.header_row;
    for (idx, header) in table.headers.iter().enumerate() {
        if header.is_empty() {
            let has_values = table
                .rows
                .iter()
                .any(|r| r.cells.get(idx).is_some_and(|c| !c.is_empty()));
            if has_values {
                let col = table.column(idx, "");
                errors.push(table.error(hr, Some(col), "", "column has values but no header name".into()));
            }
            continue;
        }
        let col = table.column(idx, header);
        match expected.iter().find(|e| e.eq_ignore_ascii_case(header)) {
            None => {
                let reason = format!("unknown column; expected columns are: {}", expected.join(", "));
                errors.push(table.error(hr, Some(col), header, reason));
            }
            Some(name) if found.iter().any(|(n, _)| n == name) => {
                errors.push(table.error(hr, Some(col), header, "column appears twice".into()));
            }
            Some(name) => found.push((*name, idx)),
        }
    }
    for name in expected {
        if !found.iter().any(|(n, _)| n == name) {
            let col = super::error::ColumnRef {
                name: (*name).to_string(),
                letter: None,
            };
            errors.push(table.error(
                hr,
                Some(col),
                "",
                "required column is missing from the header".into(),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Columns { found })
    } else {
        Err(errors)
    }
}

/// Reads the cells of one row by column name, collecting every error.
pub(crate) struct RowReader<'a> {
    table: &'a Table,
    cols: &'a Columns,
    lookup: &'a dyn Lookup,
    /// The row being read.
    pub row: &'a TableRow,
    /// Errors found so far in this row.
    pub errors: Vec<RowError>,
}

impl<'a> RowReader<'a> {
    pub fn new(table: &'a Table, cols: &'a Columns, lookup: &'a dyn Lookup, row: &'a TableRow) -> Self {
        let mut errors = Vec::new();
        let width = table.headers.len();
        for (idx, cell) in row.cells.iter().enumerate().skip(width) {
            if !cell.is_empty() {
                let col = table.column(idx, "");
                let reason = "value beyond the last header column".to_string();
                errors.push(table.error(row.number, Some(col), cell, reason));
            }
        }
        Self {
            table,
            cols,
            lookup,
            row,
            errors,
        }
    }

    /// Records an error unless `code` (read from `col`) is a known material.
    /// The row stays usable for the checks across rows.
    pub fn check_known(&mut self, col: &str, code: Option<&Code>) {
        if code.is_some_and(|c| !self.lookup.material(c)) {
            self.fail(col, "is not a known material (not in the file nor in the hub)");
        }
    }

    /// Whether `code` is a unit of measure in the lookup.
    pub fn is_unit(&self, code: &Code) -> bool {
        self.lookup.unit(code)
    }

    /// Records an error unless `code` (read from `col`) is a record of kind
    /// `kind` in the lookup.
    pub fn check_ref(&mut self, col: &str, kind: RefKind, code: Option<&Code>) {
        let Some(code) = code else { return };
        let (exists, what) = match kind {
            RefKind::Unit => (self.lookup.unit(code), "a unit of measure"),
            RefKind::EquipmentType => (self.lookup.equipment_type(code), "an equipment type"),
            RefKind::WorkerType => (self.lookup.worker_type(code), "a worker type"),
            RefKind::Manufacturer => (self.lookup.manufacturer(code), "a manufacturer"),
            RefKind::Customer => (self.lookup.customer(code), "a customer"),
        };
        if !exists {
            self.fail(col, format!("is not {what} in the hub (or it is archived)"));
        }
    }

    /// Records an error unless `unit` (read from `col`) is a unit of
    /// measure and one `material` is counted in, when its units are known.
    pub fn check_unit_of(&mut self, col: &str, material: Option<&Code>, unit: Option<&Code>) {
        let Some(unit) = unit else { return };
        if !self.lookup.unit(unit) {
            self.check_ref(col, RefKind::Unit, Some(unit));
            return;
        }
        let Some(material) = material else { return };
        let Some(units) = self.lookup.material_units(material) else {
            return;
        };
        if !units.contains(unit) {
            let listed = units.iter().map(Code::as_str).collect::<Vec<_>>().join(", ");
            self.fail(col, format!("is not a unit of {material} (its units: {listed})"));
        }
    }

    fn index(&self, col: &str) -> Option<usize> {
        self.cols.found.iter().find(|(n, _)| *n == col).map(|(_, i)| *i)
    }

    /// The trimmed text of a cell ("" when empty or absent).
    pub fn raw(&self, col: &str) -> &'a str {
        let row = self.row;
        self.index(col)
            .and_then(|i| row.cells.get(i))
            .map_or("", String::as_str)
    }

    /// Records an error for a cell of this row.
    pub fn fail(&mut self, col: &str, reason: impl Into<String>) {
        let column = self.index(col).map(|i| self.table.column(i, col));
        let value = self.raw(col);
        self.errors
            .push(self.table.error(self.row.number, column, value, reason.into()));
    }

    /// Parses an optional cell: `Some(None)` when empty, `None` on error.
    pub fn optional<T>(&mut self, col: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<Option<T>> {
        let raw = self.raw(col);
        if raw.is_empty() {
            return Some(None);
        }
        match parse(raw) {
            Ok(v) => Some(Some(v)),
            Err(reason) => {
                self.fail(col, reason);
                None
            }
        }
    }

    /// Parses a required cell; an empty cell is an error.
    pub fn required<T>(&mut self, col: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        match self.optional(col, parse) {
            Some(Some(v)) => Some(v),
            Some(None) => {
                self.fail(col, "is required but empty");
                None
            }
            None => None,
        }
    }
}

/// Kinds of record besides materials that cells refer to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RefKind {
    /// A unit of measure.
    Unit,
    /// An equipment type.
    EquipmentType,
    /// A worker type.
    WorkerType,
    /// A manufacturer.
    Manufacturer,
    /// A customer.
    Customer,
}

/// Records errors found across rows (duplicates, unknown references).
pub(crate) struct Checker<'a> {
    table: &'a Table,
    cols: &'a Columns,
    /// Errors found so far.
    pub errors: Vec<RowError>,
}

impl<'a> Checker<'a> {
    pub fn new(table: &'a Table, cols: &'a Columns) -> Self {
        Self {
            table,
            cols,
            errors: Vec::new(),
        }
    }

    /// Records an error for column `col` of spreadsheet row `row`.
    pub fn fail(&mut self, row: usize, col: &str, value: &str, reason: impl Into<String>) {
        let column = self
            .cols
            .found
            .iter()
            .find(|(n, _)| *n == col)
            .map(|(_, i)| self.table.column(*i, col));
        self.errors
            .push(self.table.error(row, column, value, reason.into()));
    }
}

/// A [`Code`]; the reason follows the column name ("must not be empty").
pub(crate) fn code(raw: &str) -> Result<Code, String> {
    Code::parse(raw)
}

/// Free text (a name); any non-empty trimmed text.
pub(crate) fn text(raw: &str) -> Result<String, String> {
    Ok(raw.to_string())
}

/// A decimal with a point and no separators: `12`, `0.5`, `-3.25`, in the
/// one grammar of `mes_protocols::decimal`. A decimal comma is refused
/// rather than guessed, because in a comma-separated file `1,500` could
/// mean one and a half or fifteen hundred.
pub(crate) fn decimal(raw: &str) -> Result<Decimal, String> {
    mes_protocols::decimal::parse(raw)
}

/// A decimal strictly above zero (quantities, conversion factors).
pub(crate) fn positive(raw: &str) -> Result<Decimal, String> {
    let d = decimal(raw)?;
    if d <= Decimal::ZERO {
        Err("must be greater than zero".into())
    } else {
        Ok(d)
    }
}

/// A decimal of zero or more (times).
pub(crate) fn non_negative(raw: &str) -> Result<Decimal, String> {
    let d = decimal(raw)?;
    if d < Decimal::ZERO {
        Err("must not be negative".into())
    } else {
        Ok(d)
    }
}

/// Money: zero or more, at most 4 decimal places.
pub(crate) fn money(raw: &str) -> Result<Decimal, String> {
    let d = non_negative(raw)?;
    if d.scale() > 4 {
        Err("has more than 4 decimal places".into())
    } else {
        Ok(d)
    }
}

/// A calendar date written `YYYY-MM-DD` (ISO 8601).
pub(crate) fn date(raw: &str) -> Result<Date, String> {
    let bad = || "is not a date; expected YYYY-MM-DD, e.g. 2026-03-31".to_string();
    let parts: Vec<&str> = raw.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return Err(bad());
    }
    let (Ok(y), Ok(m), Ok(d)) = (i32::from_str(y), u8::from_str(m), u8::from_str(d)) else {
        return Err(bad());
    };
    let month = Month::try_from(m).map_err(|_| format!("has no month {m}"))?;
    Date::from_calendar_date(y, month, d)
        .map_err(|_| format!("is not a day of the calendar ({d} {month} {y})"))
}

/// Writes a date the way [`date`] reads it.
pub(crate) fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// yes/no, true/false, y/n, 1/0 (any case).
pub(crate) fn yes_no(raw: &str) -> Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        _ => Err("is not yes or no (accepted: yes/no, y/n, true/false, 1/0)".into()),
    }
}

/// Writes a boolean the way [`yes_no`] reads it.
pub(crate) fn format_yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_refuses_comma_exponent_and_blanks() {
        assert_eq!(decimal("1.50").map(|d| d.to_string()), Ok("1.50".to_string()));
        assert_eq!(decimal("-3").map(|d| d.to_string()), Ok("-3".to_string()));
        for bad in ["1,5", "1e3", "1.", ".5", "+1", "1 000", "abc", "--1", "1_0"] {
            assert!(decimal(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn date_is_strict_iso() {
        assert_eq!(date("2026-02-28").map(format_date), Ok("2026-02-28".to_string()));
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-01-01",
            "2026/01/01",
            "01.02.2026",
            "2026-1-1",
        ] {
            assert!(date(bad).is_err(), "{bad} accepted");
        }
    }
}

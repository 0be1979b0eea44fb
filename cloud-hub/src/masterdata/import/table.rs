//! The source-neutral table both readers produce: trimmed header names and
//! trimmed cell texts with their spreadsheet row numbers and column letters.
//! CSV and XLSX differ only here; everything after goes through one
//! validation path.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use super::error::{ColumnRef, FileError, RowError};

/// A header row plus data rows, cells already turned into text.
#[derive(Debug)]
pub(crate) struct Table {
    /// Worksheet name (XLSX only), carried into every error.
    pub sheet: Option<String>,
    /// Spreadsheet row number of the header row.
    pub header_row: usize,
    /// 0-based spreadsheet column index of the first cell of each row.
    pub first_col: usize,
    /// Trimmed header names.
    pub headers: Vec<String>,
    /// Data rows (blank rows already skipped).
    pub rows: Vec<TableRow>,
    /// Problems found while reading cells (bad UTF-8, Excel error cells).
    pub read_errors: Vec<RowError>,
}

/// One data row.
#[derive(Debug)]
pub(crate) struct TableRow {
    /// 1-based spreadsheet row number.
    pub number: usize,
    /// Trimmed cell texts; may be shorter or longer than the header.
    pub cells: Vec<String>,
}

impl Table {
    /// The reference of the column at `idx` (relative to the first column).
    pub fn column(&self, idx: usize, name: &str) -> ColumnRef {
        ColumnRef {
            name: name.to_string(),
            letter: Some(column_letter(self.first_col + idx)),
        }
    }

    /// The cells of the column headed `name` (case-insensitive), one per row.
    pub fn column_values(&self, name: &str) -> Vec<&str> {
        let Some(idx) = self.headers.iter().position(|h| h.eq_ignore_ascii_case(name)) else {
            return Vec::new();
        };
        self.rows
            .iter()
            .filter_map(|r| r.cells.get(idx))
            .map(String::as_str)
            .collect()
    }

    /// An error for a whole row or a cell of it.
    pub fn error(&self, row: usize, column: Option<ColumnRef>, value: &str, reason: String) -> RowError {
        RowError {
            sheet: self.sheet.clone(),
            row,
            column,
            value: value.to_string(),
            reason,
        }
    }
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub(crate) fn column_letter(mut idx: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (idx % 26) as u8);
        if idx < 26 {
            break;
        }
        idx = idx / 26 - 1;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

/// Reads comma-separated UTF-8 (a leading byte-order mark is ignored). The
/// row number of a record is the line it starts on, which is what a
/// spreadsheet shows unless an earlier cell held a line break.
pub(crate) fn read_csv(bytes: &[u8]) -> Result<Table, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut table = Table {
        sheet: None,
        header_row: 1,
        first_col: 0,
        headers: Vec::new(),
        rows: Vec::new(),
        read_errors: Vec::new(),
    };
    let mut header_seen = false;
    let (mut counted, mut lines_before) = (0, 0);
    for record in reader.byte_records() {
        let record = record.map_err(|e| FileError::Csv(e.to_string()))?;
        // The csv crate's own line count skips blank lines, which a
        // spreadsheet shows as rows; count line breaks up to the record.
        // Its reported position is where parsing resumed, before the blank
        // lines it skipped; a record itself never starts with a line break.
        let mut start = record
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(bytes.len());
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        lines_before += bytes[counted..start].iter().filter(|b| **b == b'\n').count();
        counted = start;
        let number = lines_before + 1;
        let mut cells = Vec::with_capacity(record.len());
        for (idx, raw) in record.iter().enumerate() {
            let raw = if !header_seen && idx == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            match std::str::from_utf8(raw) {
                // Exports quote formula-like cells (`crate::csv_cell`).
                Ok(text) => cells.push(crate::csv_cell::unescape(text.trim()).to_string()),
                Err(_) => {
                    let col = ColumnRef {
                        name: format!("#{}", idx + 1),
                        letter: Some(column_letter(idx)),
                    };
                    let lossy = String::from_utf8_lossy(raw).into_owned();
                    let reason = "is not valid UTF-8 (save the file as \"CSV UTF-8\")".to_string();
                    table
                        .read_errors
                        .push(table.error(number, Some(col), &lossy, reason));
                    cells.push(String::new());
                }
            }
        }
        if header_seen {
            push_unless_blank(&mut table.rows, number, cells);
        } else if cells.iter().any(|c| !c.is_empty()) {
            table.header_row = number;
            table.headers = cells;
            header_seen = true;
        }
    }
    if header_seen {
        Ok(table)
    } else {
        Err(FileError::Empty)
    }
}

/// An opened XLSX workbook, read sheet by sheet.
pub(crate) struct XlsxBook<'a> {
    book: Xlsx<Cursor<&'a [u8]>>,
}

impl<'a> XlsxBook<'a> {
    /// Opens the workbook (the zip container and its shared parts).
    pub fn open(bytes: &'a [u8]) -> Result<Self, FileError> {
        let book = open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes))
            .map_err(|e: calamine::XlsxError| FileError::NotXlsx(e.to_string()))?;
        Ok(Self { book })
    }

    /// Reads one worksheet: the named one (case-insensitive), or the first.
    /// The header is the first non-blank row of the used range.
    pub fn sheet(&mut self, wanted: Option<&str>) -> Result<Table, FileError> {
        let names = self.book.sheet_names();
        let name = match wanted {
            Some(wanted) => names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(wanted))
                .cloned()
                .ok_or_else(|| FileError::MissingSheet {
                    wanted: wanted.to_string(),
                    available: names.clone(),
                })?,
            None => names.first().cloned().ok_or(FileError::Empty)?,
        };
        let range = self
            .book
            .worksheet_range(&name)
            .map_err(|e| FileError::NotXlsx(e.to_string()))?;
        sheet_table(name, &range)
    }
}

/// Reads one worksheet of an XLSX workbook: the named one, or the first.
pub(crate) fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Table, FileError> {
    XlsxBook::open(bytes)?.sheet(sheet)
}

fn sheet_table(name: String, range: &calamine::Range<Data>) -> Result<Table, FileError> {
    let (start_row, start_col) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
    let mut table = Table {
        sheet: Some(name),
        header_row: 1,
        first_col: start_col,
        headers: Vec::new(),
        rows: Vec::new(),
        read_errors: Vec::new(),
    };
    let mut header_seen = false;
    for (offset, row) in range.rows().enumerate() {
        let number = start_row + offset + 1;
        let mut cells = Vec::with_capacity(row.len());
        for (idx, data) in row.iter().enumerate() {
            match cell_text(data) {
                Ok(text) => cells.push(text),
                Err(reason) => {
                    let col = table.column(idx, &format!("#{}", idx + 1));
                    table
                        .read_errors
                        .push(table.error(number, Some(col), &data.to_string(), reason));
                    cells.push(String::new());
                }
            }
        }
        if header_seen {
            push_unless_blank(&mut table.rows, number, cells);
        } else if cells.iter().any(|c| !c.is_empty()) {
            table.header_row = number;
            table.headers = cells;
            header_seen = true;
        }
    }
    if header_seen {
        Ok(table)
    } else {
        Err(FileError::Empty)
    }
}

fn push_unless_blank(rows: &mut Vec<TableRow>, number: usize, cells: Vec<String>) {
    if cells.iter().any(|c| !c.is_empty()) {
        rows.push(TableRow { number, cells });
    }
}

/// The text of a cell, in the same notation a CSV would hold: numbers in
/// their shortest exact decimal form (Excel stores them as binary floats;
/// `0.1` reads back as `0.1`), dates as `YYYY-MM-DD`, booleans as
/// `true`/`false`.
fn cell_text(data: &Data) -> Result<String, String> {
    Ok(match data {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.is_finite() => f.to_string(),
        Data::Float(f) => return Err(format!("is not a finite number ({f})")),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, hh, mm, ss, ms) = dt.to_ymd_hms_milli();
            if (hh, mm, ss, ms) != (0, 0, 0, 0) {
                return Err("is a date with a time of day; a date alone is expected".into());
            }
            format!("{y:04}-{m:02}-{d:02}")
        }
        Data::DateTime(_) | Data::DurationIso(_) => return Err("is a duration; not expected here".into()),
        Data::DateTimeIso(s) => s.trim().to_string(),
        Data::Error(e) => return Err(format!("holds the Excel error {e}")),
    })
}

#[cfg(test)]
mod tests {
    use super::column_letter;

    #[test]
    fn column_letters_follow_spreadsheet_order() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}

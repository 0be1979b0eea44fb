//! What went wrong in an import: either the whole file could not be read, or
//! a list of every bad row, each with its row number, column and reason.

use std::fmt;

/// Where a bad value sits: the header name and, when the column exists in
/// the file, its spreadsheet letter (`A`, `B`, … `AA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRef {
    /// The header name as the format defines it (e.g. `standard_cost`).
    pub name: String,
    /// The column letter as a spreadsheet shows it; `None` for a column the
    /// file lacks.
    pub letter: Option<String>,
}

/// One problem with one row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Worksheet name for XLSX input; `None` for CSV.
    pub sheet: Option<String>,
    /// 1-based row number as a spreadsheet shows it: the header is row 1.
    pub row: usize,
    /// The column, or `None` when the problem concerns the whole row.
    pub column: Option<ColumnRef>,
    /// The offending cell text (trimmed), empty when the cell was empty.
    pub value: String,
    /// Why the value is refused, phrased to follow the column name.
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(sheet) = &self.sheet {
            write!(f, "sheet {sheet}, ")?;
        }
        write!(f, "row {}", self.row)?;
        if let Some(col) = &self.column {
            match &col.letter {
                Some(letter) => write!(f, ", column {letter} ({})", col.name)?,
                None => write!(f, ", column {}", col.name)?,
            }
        }
        if !self.value.is_empty() {
            write!(f, ", value {:?}", self.value)?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Why a file as a whole could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The bytes are not an XLSX workbook (or it is damaged).
    #[error("not a readable .xlsx workbook: {0}")]
    NotXlsx(String),
    /// The requested worksheet does not exist.
    #[error("the workbook has no sheet {wanted:?} (sheets: {})", available.join(", "))]
    MissingSheet {
        /// The sheet asked for.
        wanted: String,
        /// The sheets the workbook does have.
        available: Vec<String>,
    },
    /// The file has no header row at all.
    #[error("the file is empty: expected a header row")]
    Empty,
    /// The CSV could not be parsed at all (e.g. an unterminated quote).
    #[error("not readable as CSV: {0}")]
    Csv(String),
}

/// Everything wrong with a file. Any error means nothing from the file is
/// imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportErrors {
    /// The file could not be read at all.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file was readable but these rows are bad, sorted by row then
    /// column; never empty.
    #[error("{} error(s) in the file, first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Rows(Vec<RowError>),
}

impl ImportErrors {
    /// The row errors (empty for a file-level error).
    pub fn rows(&self) -> &[RowError] {
        match self {
            Self::File(_) => &[],
            Self::Rows(rows) => rows,
        }
    }
}

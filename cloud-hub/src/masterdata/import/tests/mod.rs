//! Tests of the import/export layer: clean files, files full of errors,
//! XLSX through a real writer, and round-trip properties.

mod boms_routings;
mod materials;
mod roundtrip;
mod xlsx;

use super::{ImportErrors, RowError};

/// The row errors, or a panic naming what came back instead.
pub(super) fn row_errors<T: std::fmt::Debug>(result: Result<T, ImportErrors>) -> Vec<RowError> {
    match result {
        Err(ImportErrors::Rows(rows)) => rows,
        other => panic!("expected row errors, got {other:?}"),
    }
}

/// `(row, column letter, column name)` of each error, for compact asserts.
pub(super) fn places(errors: &[RowError]) -> Vec<(usize, Option<String>, String)> {
    errors
        .iter()
        .map(|e| {
            let col = e.column.as_ref();
            (
                e.row,
                col.and_then(|c| c.letter.clone()),
                col.map(|c| c.name.clone()).unwrap_or_default(),
            )
        })
        .collect()
}

//! The result table: one row per figure, with its reference from the same
//! run where one means something, its target and PASS/MISS.

pub use mes_tests::report::thousands;
use mes_tests::report::{table, verdict};

/// One line of the result table.
pub struct Row {
    /// What was measured.
    pub figure: String,
    /// The measured value.
    pub value: String,
    /// A reference measured or configured in the same run ("-" when none).
    pub reference: String,
    /// The target ("-" when none is set).
    pub target: String,
    /// Whether the target was met; None when there is no target or the
    /// figure could not be measured.
    pub pass: Option<bool>,
}

impl Row {
    /// A row.
    pub fn new(
        figure: impl Into<String>,
        value: impl Into<String>,
        reference: impl Into<String>,
        target: impl Into<String>,
        pass: Option<bool>,
    ) -> Self {
        Self {
            figure: figure.into(),
            value: value.into(),
            reference: reference.into(),
            target: target.into(),
            pass,
        }
    }
}

/// Prints the rows as an aligned table.
pub fn print(rows: &[Row]) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.figure.clone(),
                r.value.clone(),
                r.reference.clone(),
                r.target.clone(),
                verdict(r.pass).into(),
            ]
        })
        .collect();
    let columns = [
        ("figure", false),
        ("value", true),
        ("reference (same run)", false),
        ("target", false),
        ("result", false),
    ];
    println!();
    print!("{}", table(&columns, &cells));
}

/// A share as `12.3%`, or `n/a`.
pub fn percent(share: f64) -> String {
    if share.is_finite() {
        format!("{:.1}%", share * 100.0)
    } else {
        "n/a".into()
    }
}

/// kB as decimal MB, `12.3 MB`.
pub fn megabytes(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 * 1024.0 / 1e6)
}

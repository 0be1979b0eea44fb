//! The result table: one row per figure, with its reference from the same
//! run where one means something, its target and PASS/MISS.

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
    let width = |f: fn(&Row) -> &str, title: &str| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let w = [
        width(|r| &r.figure, "figure"),
        width(|r| &r.value, "value"),
        width(|r| &r.reference, "reference (same run)"),
        width(|r| &r.target, "target"),
    ];
    let line = |c: [&str; 5]| {
        println!(
            "{:<a$}  {:>b$}  {:<c$}  {:<d$}  {}",
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3],
        )
    };
    println!();
    line(["figure", "value", "reference (same run)", "target", "result"]);
    println!("{}", "-".repeat(w.iter().sum::<usize>() + 8 + 6));
    for r in rows {
        let result = match r.pass {
            Some(true) => "PASS",
            Some(false) => "MISS",
            None => "-",
        };
        line([&r.figure, &r.value, &r.reference, &r.target, result]);
    }
}

/// `1234567.8` as `1,234,568`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
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

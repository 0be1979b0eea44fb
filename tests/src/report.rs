//! Printing benchmark results: the aligned result table and number
//! formatting shared by every benchmark binary.

/// `1234567.8` as `1,234,568`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `PASS`, `MISS`, or `-` when there is no target or no measurement.
pub fn verdict(pass: Option<bool>) -> &'static str {
    match pass {
        Some(true) => "PASS",
        Some(false) => "MISS",
        None => "-",
    }
}

/// Renders a table: `columns` are (title, right-aligned); every row has one
/// cell per column; the last column is not padded.
pub fn table(columns: &[(&str, bool)], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (title, _))| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain([title.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, ((_, right), cell)) in columns.iter().zip(cells).enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            let last = i + 1 == columns.len();
            match (right, last) {
                (_, true) => out.push_str(cell),
                (true, false) => out.push_str(&format!("{}{cell}  ", " ".repeat(pad))),
                (false, false) => out.push_str(&format!("{cell}{}  ", " ".repeat(pad))),
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(columns.iter().map(|(t, _)| *t).collect());
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (columns.len() - 1)));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(-5.0), "0");
    }

    #[test]
    fn aligns_columns() {
        let rows = vec![vec!["a".to_string(), "12".to_string(), "PASS".to_string()]];
        let text = table(&[("figure", false), ("value", true), ("result", false)], &rows);
        assert_eq!(
            text,
            "figure  value  result\n---------------------\na          12  PASS\n"
        );
    }
}

//! CSV cells that a spreadsheet will not run as formulas (CSV injection).
//!
//! A spreadsheet opening a CSV file treats a cell starting with `=`, `+`,
//! `-`, `@`, a tab or a carriage return as a formula, so a material named
//! `=HYPERLINK(...)` would run on the planner's machine. Every text cell we
//! export that starts with one of those is written with a leading `'`
//! (OWASP's advice), which spreadsheets show as text. Numbers (`-5`,
//! `+1.5`) are left alone. The import reverses it, so exports round-trip:
//! a cell that starts with `'` followed by one of those characters (or by
//! another `'` that [`escape`] added) loses its first `'`.

use std::borrow::Cow;

/// Whether a cell starting with `c` would be read as a formula.
fn triggers(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

fn is_number(cell: &str) -> bool {
    cell.parse::<rust_decimal::Decimal>().is_ok()
}

/// Whether [`escape`] would prefix `cell`: it starts with a trigger, or
/// with `'` followed by one (so unescaping gives it back exactly).
fn needs_quote(cell: &str) -> bool {
    let mut chars = cell.chars();
    match chars.next() {
        Some(c) if triggers(c) => !is_number(cell),
        Some('\'') => {
            let rest = &cell[1..];
            rest.chars().next().is_some_and(triggers) || needs_quote(rest) && rest.starts_with('\'')
        }
        _ => false,
    }
}

/// `cell` as written to an exported CSV file.
pub fn escape(cell: &str) -> Cow<'_, str> {
    if needs_quote(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell of an imported CSV file as it was before [`escape`].
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::{escape, unescape};
    use proptest::prelude::*;

    #[test]
    fn formulas_are_quoted_and_numbers_and_text_are_not() {
        assert_eq!(escape("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(escape("+SUM(A1)"), "'+SUM(A1)");
        assert_eq!(escape("-cmd"), "'-cmd");
        assert_eq!(escape("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(escape("\tx"), "'\tx");
        assert_eq!(escape("-5"), "-5");
        assert_eq!(escape("+1.5"), "+1.5");
        assert_eq!(escape("Steel"), "Steel");
        assert_eq!(escape("'Tis"), "'Tis");
        assert_eq!(escape("'=x"), "''=x");
        assert_eq!(unescape("'=x"), "=x");
        assert_eq!(unescape("'Tis"), "'Tis");
        assert_eq!(unescape("''=x"), "'=x");
    }

    proptest! {
        #[test]
        fn unescape_reverses_escape(cell in "['=+@\\-]{0,3}[a-z0-9 .'=+@\\-]{0,6}") {
            let escaped = escape(&cell);
            prop_assert_eq!(unescape(&escaped), cell.as_str());
            let first = escaped.chars().next();
            prop_assert!(
                first.is_none_or(|c| !matches!(c, '=' | '+' | '-' | '@')) || escaped.parse::<rust_decimal::Decimal>().is_ok(),
                "{} starts a formula", escaped
            );
        }
    }
}

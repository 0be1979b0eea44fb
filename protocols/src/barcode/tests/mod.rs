//! Unit tests of the barcode parser, one behaviour per test, and the helpers
//! they share. Property tests are in `proptests.rs`.

mod gs1;
mod scan;

use super::*;

/// The current year the tests pretend it is.
const YEAR: i32 = 2026;

/// A parser with the example prefixes of the product brief.
fn parser() -> ScanParser {
    ScanParser::new(&ScanConfig {
        badge_prefix: Some("B-".into()),
        order_prefix: Some("PO-".into()),
        lot_prefix: Some("L-".into()),
        ..ScanConfig::default()
    })
    .expect("valid test config")
}

fn gs1(raw: &str) -> Gs1Message {
    match parser().parse(raw, YEAR) {
        Ok(Scan::Gs1(message)) => message,
        other => panic!("{raw:?} should be GS1, got {other:?}"),
    }
}

fn error(raw: &str) -> ScanError {
    parser().parse(raw, YEAR).expect_err(raw)
}

fn code(text: &str) -> Code {
    Code::parse(text).expect("valid test code")
}

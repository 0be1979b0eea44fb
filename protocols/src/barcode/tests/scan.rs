//! Whole scans: factory prefixes, configuration, separators, symbology
//! identifiers, and what is not a code at all.

use super::super::*;
use super::{YEAR, code, error, parser};
use time::macros::date;

#[test]
fn configured_substitute_separates_fields() {
    let config = ScanConfig {
        gs1_separator_substitute: Some('~'),
        ..ScanConfig::default()
    };
    let parser = ScanParser::new(&config).expect("valid config");
    let Ok(Scan::Gs1(message)) = parser.parse("10ABC~17201225~", YEAR) else {
        panic!("substitute should separate");
    };
    assert_eq!(message.lot(), Some(&code("ABC")));
    assert_eq!(message.expiry(), Some(date!(2020 - 12 - 25)));
    assert!(matches!(
        error("10ABC~17201225"),
        ScanError::InvalidCharacter { found: '~', .. }
    ));
}

#[test]
fn factory_prefixes_give_codes() {
    let parser = parser();
    assert_eq!(parser.parse("B-0042", YEAR), Ok(Scan::Badge(code("0042"))));
    assert_eq!(parser.parse("PO-2026-17", YEAR), Ok(Scan::Order(code("2026-17"))));
    assert_eq!(parser.parse("L-Δ7\r\n", YEAR), Ok(Scan::Lot(code("Δ7"))));
    assert_eq!(parser.parse("]C0B-7", YEAR), Ok(Scan::Badge(code("7"))));
    assert_eq!(
        parser.parse("B-", YEAR).map_err(|e| e.to_string()),
        Err("invalid badge code \"\": must not be empty".into())
    );
    assert!(matches!(
        parser.parse("PO- 1", YEAR),
        Err(ScanError::InvalidCode {
            kind: CodeKind::Order,
            ..
        })
    ));
}

#[test]
fn longest_prefix_wins() {
    let config = ScanConfig {
        badge_prefix: Some("P".into()),
        order_prefix: Some("PO-".into()),
        ..ScanConfig::default()
    };
    let parser = ScanParser::new(&config).expect("valid config");
    assert_eq!(parser.parse("PO-1", YEAR), Ok(Scan::Order(code("1"))));
    assert_eq!(parser.parse("P4711", YEAR), Ok(Scan::Badge(code("4711"))));
}

#[test]
fn scan_lot_covers_factory_and_supplier_labels() {
    assert_eq!(
        parser().parse("L-7", YEAR).ok().as_ref().and_then(Scan::lot),
        Some(&code("7"))
    );
    let supplier = parser()
        .parse("]d2010950600013435210LOT-9", YEAR)
        .expect("GS1 lot label");
    assert_eq!(supplier.lot(), Some(&code("LOT-9")));
    assert_eq!(
        parser().parse("B-7", YEAR).ok().as_ref().and_then(Scan::lot),
        None
    );
}

#[test]
fn unrecognised_text_is_an_unknown_code() {
    let message = "unknown code: no known prefix and not a GS1 barcode";
    for raw in ["hello", "4711", "X-1", "]E04006381333931", "]", "]C"] {
        assert_eq!(error(raw).to_string(), message, "{raw:?}");
    }
}

#[test]
fn identifier_can_be_required_for_plain_digits() {
    let config = ScanConfig {
        gs1_requires_identifier: true,
        ..ScanConfig::default()
    };
    let parser = ScanParser::new(&config).expect("valid config");
    assert_eq!(
        parser.parse("0109506000134352", YEAR),
        Err(ScanError::UnknownCode)
    );
    assert!(matches!(
        parser.parse("]C10109506000134352", YEAR),
        Ok(Scan::Gs1(_))
    ));
    assert!(matches!(
        parser.parse("(01)09506000134352", YEAR),
        Ok(Scan::Gs1(_))
    ));
}

#[test]
fn empty_and_oversized_scans_are_rejected() {
    assert_eq!(error(""), ScanError::Empty);
    assert_eq!(error("\r\n"), ScanError::Empty);
    assert_eq!(
        error(&"x".repeat(MAX_SCAN_LEN + 1)),
        ScanError::TooLong { max: MAX_SCAN_LEN }
    );
    assert_eq!(error(&"x".repeat(MAX_SCAN_LEN)), ScanError::UnknownCode);
    assert_eq!(
        error(&"é".repeat(MAX_SCAN_LEN + 1)),
        ScanError::TooLong { max: MAX_SCAN_LEN }
    );
}

#[test]
fn config_is_deserialized_strictly_and_validated() {
    let config: ScanConfig =
        serde_json::from_str(r#"{"badge_prefix":"B-","gs1_separator_substitute":"|"}"#).expect("valid");
    assert_eq!(config.gs1_separator_substitute, Some('|'));
    assert!(ScanParser::new(&config).is_ok());
    assert!(serde_json::from_str::<ScanConfig>(r#"{"badge":"B-"}"#).is_err());

    let bad = |config: ScanConfig| ScanParser::new(&config).expect_err("invalid").field;
    assert_eq!(
        bad(ScanConfig {
            lot_prefix: Some(String::new()),
            ..ScanConfig::default()
        }),
        "lot_prefix"
    );
    let duplicate = ScanConfig {
        badge_prefix: Some("X".into()),
        lot_prefix: Some("X".into()),
        ..ScanConfig::default()
    };
    assert_eq!(bad(duplicate), "lot_prefix");
    let letter = ScanConfig {
        gs1_separator_substitute: Some('A'),
        ..ScanConfig::default()
    };
    assert_eq!(bad(letter), "gs1_separator_substitute");
}

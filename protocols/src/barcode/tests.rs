//! Examples from the GS1 General Specifications and the station's everyday
//! scans, one behaviour per test.

use super::ai_table::{AIS, Content, is_cset82, predefined_length};
use super::date::full_year;
use super::*;
use rust_decimal::Decimal;
use std::str::FromStr;
use time::macros::date;

const YEAR: i32 = 2026;

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

#[test]
fn human_readable_form_from_gs1_general_specifications() {
    let message = gs1("(01)09506000134352(17)201225(10)ABC123");
    assert_eq!(message.gtin(), Some("09506000134352"));
    assert_eq!(message.expiry(), Some(date!(2020 - 12 - 25)));
    assert_eq!(message.lot(), Some(&code("ABC123")));
    let ais: Vec<_> = message.elements().iter().map(|e| (e.ai(), e.value())).collect();
    assert_eq!(
        ais,
        [("01", "09506000134352"), ("17", "201225"), ("10", "ABC123")]
    );
}

#[test]
fn transmitted_form_with_each_gs1_symbology_identifier() {
    let expected = gs1("(01)09506000134352(17)201225(10)ABC123");
    for id in ["]C1", "]d2", "]Q3", "]e0"] {
        assert_eq!(
            gs1(&format!("{id}010950600013435217201225\u{1d}10ABC123"))
                .elements()
                .len(),
            3
        );
        assert_eq!(
            gs1(&format!("{id}01095060001343521720122510ABC123")),
            expected,
            "{id}"
        );
    }
}

#[test]
fn unmarked_and_leading_fnc1_forms_are_gs1() {
    let expected = gs1("(01)09506000134352(10)ABC123");
    assert_eq!(gs1("010950600013435210ABC123"), expected);
    assert_eq!(gs1("\u{1d}010950600013435210ABC123"), expected);
}

#[test]
fn variable_field_in_the_middle_ends_at_separator() {
    let message = gs1("]C110ABC123\u{1d}17201225");
    assert_eq!(message.lot(), Some(&code("ABC123")));
    assert_eq!(message.expiry(), Some(date!(2020 - 12 - 25)));
}

#[test]
fn variable_field_at_the_end_with_or_without_trailing_separator() {
    let without = gs1("]C1010950600013435210ABC");
    let with = gs1("]C1010950600013435210ABC\u{1d}");
    assert_eq!(without, with);
    assert_eq!(with.lot(), Some(&code("ABC")));
}

#[test]
fn variable_field_without_separator_runs_to_the_end() {
    let message = gs1("]C110ABC12317201225");
    assert_eq!(message.lot(), Some(&code("ABC12317201225")));
    assert_eq!(message.expiry(), None);
}

#[test]
fn separator_after_fixed_length_field_is_tolerated() {
    assert_eq!(
        gs1("]C10109506000134352\u{1d}10ABC"),
        gs1("(01)09506000134352(10)ABC")
    );
}

#[test]
fn sscc_check_digit_is_verified() {
    assert_eq!(gs1("(00)106141411234567897").sscc(), Some("106141411234567897"));
    assert_eq!(
        error("(00)106141411234567891").to_string(),
        "SSCC 106141411234567891: check digit should be 7, not 1"
    );
}

#[test]
fn gtin_check_digit_error_names_both_digits() {
    let err = error("]C10109506000134353");
    assert_eq!(
        err.to_string(),
        "GTIN 09506000134353: check digit should be 2, not 3"
    );
    assert!(matches!(err, ScanError::CheckDigit { ref ai, .. } if ai == "01"));
    assert!(matches!(
        error("(02)09506000134353"),
        ScanError::CheckDigit { .. }
    ));
}

#[test]
fn net_weight_places_implied_decimals() {
    let message = gs1("(3103)000189");
    assert_eq!(message.net_weight_kg(), Decimal::from_str("0.189").ok());
    assert_eq!(
        gs1("]C131000012340109506000134352").net_weight_kg(),
        Decimal::from_str("1234").ok()
    );
    assert!(matches!(error("]C13106000189"), ScanError::UnknownAi { ref digits, .. } if digits == "3106"));
}

#[test]
fn day_00_is_the_last_day_of_the_month() {
    assert_eq!(gs1("(17)260200").expiry(), Some(date!(2026 - 02 - 28)));
    assert_eq!(gs1("(17)240200").expiry(), Some(date!(2024 - 02 - 29)));
    assert_eq!(gs1("(15)261100").best_before(), Some(date!(2026 - 11 - 30)));
}

#[test]
fn century_follows_gs1_rule_from_reference_year() {
    assert_eq!(full_year(75, 2026), Ok(2075));
    assert_eq!(full_year(77, 2026), Ok(1977));
    assert_eq!(full_year(26, 2075), Ok(2026));
    assert_eq!(full_year(25, 2075), Ok(2125));
    assert_eq!(full_year(99, 2000), Ok(1999));
    assert_eq!(full_year(1, 2099), Ok(2101));
    assert!(full_year(0, i32::MAX).is_err());
    assert!(full_year(99, i32::MIN).is_err());
}

#[test]
fn impossible_dates_are_rejected() {
    assert_eq!(
        error("(17)261301").to_string(),
        "expiry date 261301: not a valid date (month must be 01 to 12)"
    );
    assert!(matches!(
        error("(17)250229"),
        ScanError::InvalidDate {
            reason: "no such day in that month",
            ..
        }
    ));
    assert!(matches!(
        error("(11)26013X"),
        ScanError::NotDigit {
            position: 10,
            found: 'X',
            ..
        }
    ));
}

#[test]
fn counts_and_optional_ais_have_accessors() {
    let message = gs1("(02)09506000134352(37)48(30)12(240)X-1(241)CP 7"
        .replace(' ', "")
        .as_str());
    assert_eq!(message.contained_gtin(), Some("09506000134352"));
    assert_eq!(message.contained_count(), Some(48));
    assert_eq!(message.count(), Some(12));
    assert_eq!(message.additional_product_id(), Some("X-1"));
    assert_eq!(message.customer_part_number(), Some("CP7"));
    let message = gs1("(400)PO/4711(21)SN-9(11)260115");
    assert_eq!(message.purchase_order(), Some("PO/4711"));
    assert_eq!(message.serial(), Some(&code("SN-9")));
    assert_eq!(message.production_date(), Some(date!(2026 - 01 - 15)));
    assert!(matches!(
        error("(37)123456789"),
        ScanError::ValueTooLong { max: 8, found: 9, .. }
    ));
}

#[test]
fn unknown_ai_names_position_and_digits() {
    let err = error("]C101095060001343527777abc");
    assert_eq!(
        err,
        ScanError::UnknownAi {
            position: 20,
            digits: "7777".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown GS1 application identifier 7777 at character 20"
    );
    assert!(matches!(
        error("(01)09506000134352(77)1"),
        ScanError::UnknownAi { position: 20, .. }
    ));
}

#[test]
fn structural_errors_carry_positions() {
    assert_eq!(
        error("]C1010950600"),
        ScanError::WrongLength {
            ai: "01".into(),
            title: "GTIN",
            position: 6,
            expected: 14,
            found: 7
        }
    );
    assert_eq!(
        error("]C110A\u{1d}\u{1d}21B"),
        ScanError::UnexpectedSeparator { position: 8 }
    );
    assert!(matches!(
        error("]C110\u{1d}21B"),
        ScanError::EmptyValue { position: 6, .. }
    ));
    assert!(matches!(
        error("]C10109506000134352X"),
        ScanError::ExpectedAi {
            position: 20,
            found: 'X'
        }
    ));
    assert!(matches!(
        error("(01"),
        ScanError::MalformedBrackets { position: 1, .. }
    ));
    assert_eq!(error("]C1"), ScanError::EmptyGs1);
    assert_eq!(error("]d2\u{1d}"), ScanError::EmptyGs1);
}

#[test]
fn batch_lot_accepts_only_character_set_82() {
    let err = error("]C110AB Ä");
    assert!(
        matches!(
            err,
            ScanError::InvalidCharacter {
                position: 8,
                found: ' ',
                ..
            }
        ),
        "{err:?}"
    );
    let err = error("]C110ABÄ");
    assert!(
        matches!(
            err,
            ScanError::InvalidCharacter {
                position: 8,
                found: 'Ä',
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "batch/lot (AI 10): character 8 'Ä' is not allowed"
    );
    assert!(matches!(
        error(&format!("(10){}", "A".repeat(21))),
        ScanError::ValueTooLong { .. }
    ));
    assert_eq!(gs1("(10)A(B").lot(), Some(&code("A(B")));
}

#[test]
fn conflicting_repeats_are_rejected_identical_ones_kept() {
    assert_eq!(
        error("(10)A(10)B").to_string(),
        "batch/lot appears twice with different values: (10)A and (10)B"
    );
    assert!(matches!(
        error("(3102)000100(3103)000100"),
        ScanError::ConflictingAi { .. }
    ));
    assert_eq!(gs1("(10)A(10)A").elements().len(), 2);
}

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
fn encoders_give_back_what_was_parsed() {
    let message = gs1("(01)09506000134352(10)ABC(17)201225(21)S1(3103)000189");
    assert_eq!(
        message.to_element_string(),
        "010950600013435210ABC\u{1d}1720122521S1\u{1d}3103000189"
    );
    assert_eq!(
        message.to_string(),
        "(01)09506000134352(10)ABC(17)201225(21)S1(3103)000189"
    );
    assert_eq!(gs1(&message.to_element_string()), message);
    assert_eq!(gs1(&message.to_string()), message);
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

#[test]
fn ai_table_agrees_with_predefined_lengths() {
    for def in AIS {
        let fixed = match def.content {
            Content::CheckedDigits { len } | Content::Digits { len } => Some(len),
            Content::Date | Content::Decimal => Some(6),
            Content::Count { .. } | Content::Text { .. } => None,
        };
        if let Some(total) = predefined_length(def.ai) {
            assert_eq!(Some(total - def.ai_len()), fixed, "AI {}", def.ai);
        }
    }
}

#[test]
fn character_set_82_is_exact() {
    let set: String = (' '..='~').filter(|&c| is_cset82(c)).collect();
    assert_eq!(set.len(), 82);
    assert!(!set.contains(['~', '|', '#', ' ', '\u{1d}']));
}

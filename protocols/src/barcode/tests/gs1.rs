//! GS1 element strings: examples from the GS1 General Specifications, the
//! transmitted and human-readable forms, and every kind of rejection.

use super::super::ai_table::{AIS, Content, is_cset82, predefined_length};
use super::super::date::full_year;
use super::super::*;
use super::{code, error, gs1};
use rust_decimal::Decimal;
use std::str::FromStr;
use time::macros::date;

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

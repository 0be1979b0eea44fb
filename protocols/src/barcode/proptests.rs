//! Property tests: no input makes the parser panic, and any valid GS1
//! element string, however it is transmitted, parses back to its elements.

use super::ai_table::{AIS, AiDef, Content};
use super::date::resolve_yymmdd;
use super::value::check_digit;
use super::*;
use proptest::prelude::*;

const CSET82: &str = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

fn parser() -> ScanParser {
    let config = ScanConfig {
        badge_prefix: Some("B-".into()),
        order_prefix: Some("PO-".into()),
        lot_prefix: Some("L-".into()),
        gs1_separator_substitute: Some('~'),
        gs1_requires_identifier: false,
    };
    ScanParser::new(&config).expect("valid test config")
}

fn digits(len: impl Into<proptest::sample::SizeRange>) -> impl Strategy<Value = String> {
    prop::collection::vec(0..10u32, len)
        .prop_map(|ds| ds.into_iter().filter_map(|d| char::from_digit(d, 10)).collect())
}

/// Valid data for `def`, with the AI digits it goes under.
fn element(def: &'static AiDef) -> BoxedStrategy<(String, String)> {
    let ai = def.ai.trim_end_matches('n').to_string();
    match def.content {
        Content::CheckedDigits { len } => prop::collection::vec(0..10u8, len - 1)
            .prop_map(move |mut ds| {
                ds.push(check_digit(&ds));
                (ai.clone(), ds.iter().map(|d| char::from(b'0' + d)).collect())
            })
            .boxed(),
        Content::Digits { len } => digits(len).prop_map(move |v| (ai.clone(), v)).boxed(),
        Content::Date => (0..100u32, 1..=12u32, 0..=28u32)
            .prop_map(move |(y, m, d)| (ai.clone(), format!("{y:02}{m:02}{d:02}")))
            .boxed(),
        Content::Count { max } => digits(1..=max).prop_map(move |v| (ai.clone(), v)).boxed(),
        Content::Decimal => (0..=5u32, digits(6))
            .prop_map(move |(n, v)| (format!("{ai}{n}"), v))
            .boxed(),
        Content::Text { max } => {
            prop::collection::vec(prop::sample::select(CSET82.chars().collect::<Vec<_>>()), 1..=max)
                .prop_map(move |cs| (ai.clone(), cs.into_iter().collect()))
                .boxed()
        }
    }
}

/// One to five elements of distinct AIs, in any order.
fn elements() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::sample::subsequence((0..AIS.len()).collect::<Vec<_>>(), 1..=5)
        .prop_shuffle()
        .prop_flat_map(|indices| indices.into_iter().map(|i| element(&AIS[i])).collect::<Vec<_>>())
}

/// How the element string is put on the wire.
#[derive(Debug, Clone)]
struct Transmission {
    identifier: &'static str,
    separator: char,
    after_fixed: bool,
    trailing: bool,
}

fn transmission() -> impl Strategy<Value = Transmission> {
    (
        prop::sample::select(vec!["", "]C1", "]d2", "]Q3", "]e0", "\u{1d}", "~"]),
        prop::sample::select(vec![GS, '~']),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(identifier, separator, after_fixed, trailing)| Transmission {
            identifier,
            separator,
            after_fixed,
            trailing,
        })
}

fn encode(elements: &[(String, String)], how: &Transmission) -> String {
    let mut out = how.identifier.to_string();
    for (i, (ai, value)) in elements.iter().enumerate() {
        out.push_str(ai);
        out.push_str(value);
        let last = i + 1 == elements.len();
        let fixed = ai_table::predefined_length(ai).is_some();
        if (!last && (!fixed || how.after_fixed)) || (last && how.trailing) {
            out.push(how.separator);
        }
    }
    out
}

/// Text that looks a lot like scans: GS1 pieces, prefixes, separators,
/// control and multi-byte characters.
fn scan_like() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        digits(1..6),
        prop::sample::select(vec![
            "]C1", "]d2", "]Q3", "]e0", "]C0", "]", "(", ")", "(01)", "(10)", "(3103)", "\u{1d}", "~", "B-",
            "PO-", "L-", "\r", "\n", "\0", "Δ", "é", "👍", " ", "00", "01", "10", "17", "310", "99",
        ])
        .prop_map(str::to_string),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(pieces, 0..40).prop_map(|ps| ps.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(raw in any::<String>(), year in any::<i32>()) {
        let _ = parser().parse(&raw, year);
        let _ = ScanParser::default().parse(&raw, year);
    }

    #[test]
    fn scan_like_text_never_panics(raw in scan_like(), year in any::<i32>()) {
        if let Ok(Scan::Gs1(message)) = parser().parse(&raw, year) {
            // Whatever was accepted can be written out and read again.
            let again = parser().parse(&message.to_element_string(), year);
            prop_assert_eq!(again, Ok(Scan::Gs1(message)));
        }
    }

    #[test]
    fn huge_text_is_rejected_not_parsed(raw in "[0-9A-Z\u{1d}]{513,2000}") {
        prop_assert_eq!(parser().parse(&raw, 2026), Err(ScanError::TooLong { max: MAX_SCAN_LEN }));
    }

    #[test]
    fn valid_element_strings_round_trip(
        elements in elements(),
        how in transmission(),
        year in 1000..9000i32,
    ) {
        let scanned = encode(&elements, &how);
        let message = match parser().parse(&scanned, year) {
            Ok(Scan::Gs1(message)) => message,
            other => return Err(TestCaseError::fail(format!("{scanned:?} gave {other:?}"))),
        };
        let parsed: Vec<_> =
            message.elements().iter().map(|e| (e.ai().to_string(), e.value().to_string())).collect();
        prop_assert_eq!(&parsed, &elements);
        for e in message.elements() {
            if e.def.content == Content::Date {
                prop_assert_eq!(e.date(), resolve_yymmdd(e.value(), year).ok());
            }
        }
        let again = parser().parse(&message.to_element_string(), year);
        prop_assert_eq!(again, Ok(Scan::Gs1(message.clone())));
        // The human-readable form cannot carry "(" in data unambiguously.
        if !elements.iter().any(|(_, v)| v.contains('(')) {
            prop_assert_eq!(parser().parse(&message.to_string(), year), Ok(Scan::Gs1(message)));
        }
    }
}

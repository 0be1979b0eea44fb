//! The GS1 application identifiers (AIs) this parser knows, and the GS1 table
//! of predefined-length AIs.
//!
//! This file is data, not logic: adding an AI is adding one row to [`AIS`].
//! Which rows exist decides what a supplier label may carry; anything else is
//! reported as an unknown AI rather than guessed at.

/// What the data of an AI must look like, and how it is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    /// Exactly `len` digits; the last one is a GS1 mod-10 check digit
    /// (GTIN, SSCC, GLN).
    CheckedDigits { len: usize },
    /// Exactly `len` digits, no check digit.
    Digits { len: usize },
    /// A date as six digits YYMMDD; day `00` stands for the last day of the
    /// month.
    Date,
    /// One to `max` digits, a count of items.
    Count { max: usize },
    /// Exactly six digits with an implied decimal point: the last digit of
    /// the AI says how many of them are decimals.
    Decimal,
    /// One to `max` characters of GS1 AI encodable character set 82.
    Text { max: usize },
}

/// One application identifier: its digits, its title and its content.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AiDef {
    /// The AI digits; a trailing `n` stands for the decimal-point digit of a
    /// measure AI (`310n` is 3100 to 3105).
    pub(crate) ai: &'static str,
    /// A short title an operator understands, used in error messages.
    pub(crate) title: &'static str,
    /// What the data must look like.
    pub(crate) content: Content,
}

impl AiDef {
    /// Number of digits of the AI itself.
    pub(crate) fn ai_len(&self) -> usize {
        self.ai.len()
    }
}

const fn def(ai: &'static str, title: &'static str, content: Content) -> AiDef {
    AiDef { ai, title, content }
}

use Content::{CheckedDigits, Count, Date, Decimal, Digits, Text};

/// The known AIs, from the GS1 General Specifications section 3 (titles
/// shortened for a station screen). GS1 AIs are prefix-free, so at most one
/// row matches the start of an element.
pub(crate) static AIS: &[AiDef] = &[
    def("00", "SSCC", CheckedDigits { len: 18 }),
    def("01", "GTIN", CheckedDigits { len: 14 }),
    def("02", "contained GTIN", CheckedDigits { len: 14 }),
    def("10", "batch/lot", Text { max: 20 }),
    def("11", "production date", Date),
    def("12", "due date", Date),
    def("13", "packaging date", Date),
    def("15", "best before date", Date),
    def("16", "sell by date", Date),
    def("17", "expiry date", Date),
    def("20", "variant", Digits { len: 2 }),
    def("21", "serial number", Text { max: 20 }),
    def("22", "consumer product variant", Text { max: 20 }),
    def("240", "additional product ID", Text { max: 30 }),
    def("241", "customer part number", Text { max: 30 }),
    def("250", "secondary serial number", Text { max: 30 }),
    def("251", "reference to source entity", Text { max: 30 }),
    def("30", "count", Count { max: 8 }),
    def("310n", "net weight (kg)", Decimal),
    def("311n", "length (m)", Decimal),
    def("315n", "net volume (l)", Decimal),
    def("330n", "gross weight (kg)", Decimal),
    def("37", "contained count", Count { max: 8 }),
    def("400", "purchase order number", Text { max: 30 }),
    def("401", "consignment number", Text { max: 30 }),
    def("410", "ship to GLN", CheckedDigits { len: 13 }),
    def("411", "bill to GLN", CheckedDigits { len: 13 }),
    def("412", "purchased from GLN", CheckedDigits { len: 13 }),
    def("413", "ship for GLN", CheckedDigits { len: 13 }),
    def("414", "location GLN", CheckedDigits { len: 13 }),
    def("415", "invoicing party GLN", CheckedDigits { len: 13 }),
    def("420", "ship to postal code", Text { max: 20 }),
    def("91", "company internal information", Text { max: 90 }),
    def("92", "company internal information", Text { max: 90 }),
    def("93", "company internal information", Text { max: 90 }),
    def("94", "company internal information", Text { max: 90 }),
    def("95", "company internal information", Text { max: 90 }),
    def("96", "company internal information", Text { max: 90 }),
    def("97", "company internal information", Text { max: 90 }),
    def("98", "company internal information", Text { max: 90 }),
    def("99", "company internal information", Text { max: 90 }),
];

/// The highest decimal-point digit a measure AI (`310n`) accepts.
const MAX_DECIMALS: char = '5';

/// The GS1 table of predefined-length AIs (General Specifications figure
/// 5.10.1-2): by the first two digits of an AI, the total length of AI plus
/// data. An element whose AI starts with one of these needs no separator
/// after it; every other element ends at a separator or at the end.
///
/// The table is fixed by GS1 and deliberately includes prefixes of AIs this
/// parser does not know (03, 04, 18, 19 ...): encoders rely on it as is.
static PREDEFINED_LENGTHS: &[(&str, usize)] = &[
    ("00", 20),
    ("01", 16),
    ("02", 16),
    ("03", 16),
    ("04", 18),
    ("11", 8),
    ("12", 8),
    ("13", 8),
    ("14", 8),
    ("15", 8),
    ("16", 8),
    ("17", 8),
    ("18", 8),
    ("19", 8),
    ("20", 4),
    ("31", 10),
    ("32", 10),
    ("33", 10),
    ("34", 10),
    ("35", 10),
    ("36", 10),
    ("41", 16),
];

/// Total length (AI digits plus data) of an element whose AI starts with
/// `ai`, if GS1 predefines it; `None` for variable-length elements.
pub(crate) fn predefined_length(ai: &str) -> Option<usize> {
    let first_two = ai.get(..2)?;
    PREDEFINED_LENGTHS
        .iter()
        .find(|(prefix, _)| *prefix == first_two)
        .map(|&(_, len)| len)
}

/// Why no AI could be read at some point of an element string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// The text does not start with a digit.
    NotDigit,
    /// The text starts with these digits (at most four), which begin no
    /// known AI.
    Unknown(String),
}

/// Finds the AI the text starts with. Returns its definition and the AI
/// digits actually present (`3103` for the row `310n`).
pub(crate) fn lookup(text: &[char]) -> Result<(&'static AiDef, String), LookupError> {
    let digits: String = text.iter().take(4).take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return Err(LookupError::NotDigit);
    }
    AIS.iter()
        .find(|def| matches_pattern(def.ai, &digits))
        .map(|def| (def, digits[..def.ai_len()].to_string()))
        .ok_or(LookupError::Unknown(digits))
}

/// Whether `digits` starts with the AI pattern (`n` matches a decimal-point
/// digit 0 to 5).
fn matches_pattern(pattern: &str, digits: &str) -> bool {
    pattern.len() <= digits.len()
        && pattern.chars().zip(digits.chars()).all(|(p, d)| match p {
            'n' => ('0'..=MAX_DECIMALS).contains(&d),
            _ => p == d,
        })
}

/// Whether `c` belongs to GS1 AI encodable character set 82 (General
/// Specifications figure 7.11-1): digits, Latin letters and
/// `! " % & ' ( ) * + , - . / : ; < = > ? _`.
pub(crate) fn is_cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

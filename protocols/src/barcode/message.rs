//! `Gs1Message`: the elements of a parsed GS1 barcode, in scan order, with
//! typed accessors for the ones the shop floor uses, and the way back to an
//! element string.

use super::ai_table::{AiDef, predefined_length};
use crate::Code;
use rust_decimal::Decimal;
use std::fmt;
use time::Date;

/// The ASCII group separator, which stands for FNC1 between GS1 fields.
pub const GS: char = '\u{1d}';

/// The interpreted data of an element, fixed when it was parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Typed {
    /// Digits or text with no further meaning here (or too long to be a
    /// [`Code`]).
    Plain,
    /// Text that is a valid [`Code`] (every batch/lot and serial number is).
    Code(Code),
    /// A date, century and day 00 resolved.
    Date(Date),
    /// A count of items.
    Count(u32),
    /// A measure with its decimals placed.
    Decimal(Decimal),
}

/// One element of a GS1 barcode: an application identifier and its data,
/// already checked against the AI's rules (length, characters, check digit,
/// date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gs1Element {
    pub(crate) def: &'static AiDef,
    pub(crate) ai: String,
    pub(crate) value: String,
    pub(crate) typed: Typed,
}

impl Gs1Element {
    /// The AI digits, e.g. `"01"` or `"3103"`.
    pub fn ai(&self) -> &str {
        &self.ai
    }

    /// The data exactly as scanned, e.g. `"09506000134352"` or `"261231"`.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What the AI means, in words for a station screen (`"expiry date"`).
    pub fn title(&self) -> &'static str {
        self.def.title
    }

    /// The data as a [`Code`], for text AIs whose data fits one (batch/lot,
    /// serial number, order numbers ...).
    pub fn code(&self) -> Option<&Code> {
        match &self.typed {
            Typed::Code(code) => Some(code),
            _ => None,
        }
    }

    /// The date, for date AIs (11, 12, 13, 15, 16, 17).
    pub fn date(&self) -> Option<Date> {
        match self.typed {
            Typed::Date(date) => Some(date),
            _ => None,
        }
    }

    /// The count, for AIs 30 and 37.
    pub fn count(&self) -> Option<u32> {
        match self.typed {
            Typed::Count(count) => Some(count),
            _ => None,
        }
    }

    /// The measure with its implied decimals placed, for measure AIs
    /// (`3103` `000189` is 0.189).
    pub fn decimal(&self) -> Option<Decimal> {
        match self.typed {
            Typed::Decimal(value) => Some(value),
            _ => None,
        }
    }

    /// Whether GS1 predefines this element's length, so that no separator
    /// is needed after it.
    pub fn is_predefined_length(&self) -> bool {
        predefined_length(&self.ai).is_some()
    }
}

/// A parsed GS1 barcode (GS1-128, GS1 DataMatrix, GS1 QR, DataBar): its
/// elements in scan order. An AI occurs at most once with a given value;
/// the same AI twice with different data is rejected at parse time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gs1Message {
    pub(crate) elements: Vec<Gs1Element>,
}

impl Gs1Message {
    /// All elements in the order they were scanned.
    pub fn elements(&self) -> &[Gs1Element] {
        &self.elements
    }

    /// The element with exactly these AI digits (`"10"`, `"3103"`).
    pub fn get(&self, ai: &str) -> Option<&Gs1Element> {
        self.elements.iter().find(|e| e.ai == ai)
    }

    /// The element of the AI row `pattern` (`"310n"` matches 3100 to 3105).
    fn by_def(&self, pattern: &str) -> Option<&Gs1Element> {
        self.elements.iter().find(|e| e.def.ai == pattern)
    }

    /// The SSCC of a logistic unit (AI 00), 18 digits, check digit verified.
    pub fn sscc(&self) -> Option<&str> {
        self.get("00").map(Gs1Element::value)
    }

    /// The GTIN of the trade item (AI 01), 14 digits, check digit verified.
    pub fn gtin(&self) -> Option<&str> {
        self.get("01").map(Gs1Element::value)
    }

    /// The GTIN of the trade items contained in a logistic unit (AI 02).
    pub fn contained_gtin(&self) -> Option<&str> {
        self.get("02").map(Gs1Element::value)
    }

    /// The batch or lot number (AI 10): this is how a supplier's lot label is
    /// scanned. Always a valid [`Code`].
    pub fn lot(&self) -> Option<&Code> {
        self.get("10").and_then(Gs1Element::code)
    }

    /// The serial number (AI 21). Always a valid [`Code`].
    pub fn serial(&self) -> Option<&Code> {
        self.get("21").and_then(Gs1Element::code)
    }

    /// The production date (AI 11).
    pub fn production_date(&self) -> Option<Date> {
        self.get("11").and_then(Gs1Element::date)
    }

    /// The best before date (AI 15).
    pub fn best_before(&self) -> Option<Date> {
        self.get("15").and_then(Gs1Element::date)
    }

    /// The expiration date (AI 17); day 00 was resolved to the last day of
    /// the month.
    pub fn expiry(&self) -> Option<Date> {
        self.get("17").and_then(Gs1Element::date)
    }

    /// The count of items of a variable-measure trade item (AI 30).
    pub fn count(&self) -> Option<u32> {
        self.get("30").and_then(Gs1Element::count)
    }

    /// The count of trade items contained in a logistic unit (AI 37).
    pub fn contained_count(&self) -> Option<u32> {
        self.get("37").and_then(Gs1Element::count)
    }

    /// The net weight in kilograms (AI 3100 to 3105), decimals placed.
    pub fn net_weight_kg(&self) -> Option<Decimal> {
        self.by_def("310n").and_then(Gs1Element::decimal)
    }

    /// The additional product identification assigned by the manufacturer
    /// (AI 240).
    pub fn additional_product_id(&self) -> Option<&str> {
        self.get("240").map(Gs1Element::value)
    }

    /// The customer's part number (AI 241).
    pub fn customer_part_number(&self) -> Option<&str> {
        self.get("241").map(Gs1Element::value)
    }

    /// The customer's purchase order number (AI 400).
    pub fn purchase_order(&self) -> Option<&str> {
        self.get("400").map(Gs1Element::value)
    }

    /// The element string as a GS1-128 or DataMatrix encoder takes it: AI and
    /// data back to back, with a [`GS`] after each variable-length element
    /// except the last. No symbology identifier. Parsing the result gives
    /// this message again.
    pub fn to_element_string(&self) -> String {
        let mut out = String::new();
        let last = self.elements.len().saturating_sub(1);
        for (i, element) in self.elements.iter().enumerate() {
            out.push_str(&element.ai);
            out.push_str(&element.value);
            if i < last && !element.is_predefined_length() {
                out.push(GS);
            }
        }
        out
    }
}

/// The human-readable form, `(01)09506000134352(17)261231(10)ABC123`.
impl fmt::Display for Gs1Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.elements
            .iter()
            .try_for_each(|e| write!(f, "({}){}", e.ai, e.value))
    }
}

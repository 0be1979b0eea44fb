//! Barcode scans at operator stations: worker badges, production orders and
//! lots with the factory's own prefixes, and GS1 barcodes (GS1-128, GS1
//! DataMatrix, GS1 QR, GS1 DataBar) from supplier labels.
//!
//! [`ScanParser::parse`] turns the text a scanner delivered into a [`Scan`]
//! or a [`ScanError`] whose message can be shown to the operator as is. It
//! never panics, whatever the input.
//!
//! # What is recognised, in this order
//!
//! 1. Trailing CR/LF (which keyboard-wedge scanners append) is dropped;
//!    scans longer than [`MAX_SCAN_LEN`] characters are rejected unread.
//! 2. A GS1 symbology identifier (`]C1` GS1-128, `]d2` GS1 DataMatrix, `]Q3`
//!    GS1 QR, `]e0` GS1 DataBar) means GS1 data follows. Any other
//!    identifier (`]C0`, `]A0` ...) is dropped and the rest is read as a
//!    factory code.
//! 3. The longest configured prefix ([`ScanConfig`]) that starts the text
//!    makes it a badge, order or lot; the rest must be a valid [`Code`].
//! 4. Otherwise, GS1 data in the human-readable form
//!    `(01)09506000134352(17)261231(10)ABC123`, or transmitted with FNC1 as
//!    GS (0x1D) or the configured substitute between fields, with or without
//!    a leading FNC1. Scanners without symbology identifiers send plain
//!    digits; these are read as GS1 unless
//!    [`ScanConfig::gs1_requires_identifier`] is set, and are an unknown code
//!    when they do not start with a known application identifier.
//!
//! Dates in GS1 data have two-digit years; the caller passes the current
//! year so that the century is found by the GS1 rule without a clock here.

mod ai_table;
mod config;
mod date;
mod error;
mod gs1;
mod message;
mod prefixes;
mod value;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use config::ScanConfig;
pub use error::ScanError;
pub use message::{GS, Gs1Element, Gs1Message};
pub use prefixes::CodeKind;

use crate::{Code, FieldError};
use gs1::Gs1Text;
use prefixes::PrefixTable;

/// The longest scan accepted, in characters. GS1 barcodes are far shorter
/// (a GS1-128 symbol holds at most 48 data characters, a DataMatrix rarely
/// more than a few hundred); the cap bounds the work one scan can cause.
pub const MAX_SCAN_LEN: usize = 512;

/// Symbology identifiers after which GS1 element strings follow.
const GS1_IDENTIFIERS: [&str; 4] = ["]C1", "]d2", "]Q3", "]e0"];

/// What a scan identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// A worker badge (the code without its prefix).
    Badge(Code),
    /// A production order (the code without its prefix).
    Order(Code),
    /// One of the factory's own lot labels (the code without its prefix).
    Lot(Code),
    /// A GS1 barcode; a supplier's lot label carries the lot in AI 10, see
    /// [`Gs1Message::lot`] and [`Scan::lot`].
    Gs1(Gs1Message),
}

impl Scan {
    /// The lot this scan names, whether a factory lot label or the
    /// batch/lot (AI 10) of a GS1 barcode: what a station asks for when the
    /// operator scans the material used.
    pub fn lot(&self) -> Option<&Code> {
        match self {
            Self::Lot(code) => Some(code),
            Self::Gs1(message) => message.lot(),
            Self::Badge(_) | Self::Order(_) => None,
        }
    }
}

/// Reads scans by a site's [`ScanConfig`]. Cheap to share: parsing takes
/// `&self` and keeps no state between scans.
#[derive(Debug, Clone, Default)]
pub struct ScanParser {
    prefixes: PrefixTable,
    substitute: Option<char>,
    gs1_requires_identifier: bool,
}

impl ScanParser {
    /// A parser for `config`, or the field of the configuration that is
    /// wrong (empty or duplicate prefix, unusable separator substitute).
    pub fn new(config: &ScanConfig) -> Result<Self, FieldError> {
        config.validate()?;
        Ok(Self {
            prefixes: PrefixTable::new(config.prefix_kinds()),
            substitute: config.gs1_separator_substitute,
            gs1_requires_identifier: config.gs1_requires_identifier,
        })
    }

    /// Parses one scan. `reference_year` is the current year (e.g. 2026),
    /// from which the century of two-digit years in GS1 dates is found.
    pub fn parse(&self, raw: &str, reference_year: i32) -> Result<Scan, ScanError> {
        let text = raw.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            return Err(ScanError::Empty);
        }
        if text.chars().nth(MAX_SCAN_LEN).is_some() {
            return Err(ScanError::TooLong { max: MAX_SCAN_LEN });
        }
        match split_identifier(text) {
            Some((id, rest)) if GS1_IDENTIFIERS.contains(&id) => {
                self.parse_gs1(rest, id.len(), reference_year).map(Scan::Gs1)
            }
            Some((_, rest)) => self.parse_own_code(rest).unwrap_or(Err(ScanError::UnknownCode)),
            None => self
                .parse_own_code(text)
                .unwrap_or_else(|| self.parse_unmarked(text, reference_year)),
        }
    }

    /// A factory code, if a configured prefix starts `text`.
    fn parse_own_code(&self, text: &str) -> Option<Result<Scan, ScanError>> {
        let (kind, rest) = self.prefixes.split(text)?;
        Some(match Code::parse(rest) {
            Ok(code) => Ok(match kind {
                CodeKind::Badge => Scan::Badge(code),
                CodeKind::Order => Scan::Order(code),
                CodeKind::Lot => Scan::Lot(code),
            }),
            Err(reason) => Err(ScanError::InvalidCode {
                kind,
                code: shorten(rest),
                reason,
            }),
        })
    }

    /// Text with neither symbology identifier nor prefix: GS1 if it looks
    /// like it.
    fn parse_unmarked(&self, text: &str, reference_year: i32) -> Result<Scan, ScanError> {
        let first = text.chars().next();
        let bracketed = first == Some('(');
        let fnc1_first = first.is_some_and(|c| c == GS || Some(c) == self.substitute);
        let digits = first.is_some_and(|c| c.is_ascii_digit());
        if bracketed || fnc1_first {
            return self.parse_gs1(text, 0, reference_year).map(Scan::Gs1);
        }
        if !digits || self.gs1_requires_identifier {
            return Err(ScanError::UnknownCode);
        }
        match self.parse_gs1(text, 0, reference_year) {
            // Plain digits that do not even start with an AI are some other
            // barcode, not a broken GS1 one.
            Err(ScanError::UnknownAi { position: 1, .. }) => Err(ScanError::UnknownCode),
            other => other.map(Scan::Gs1),
        }
    }

    fn parse_gs1(&self, payload: &str, offset: usize, reference_year: i32) -> Result<Gs1Message, ScanError> {
        let chars: Vec<char> = payload.chars().collect();
        Gs1Text {
            chars: &chars,
            offset,
            substitute: self.substitute,
        }
        .parse(reference_year)
    }
}

/// Splits an AIM symbology identifier (`]` + letter + modifier character,
/// ISO/IEC 15424) off the start of `text`.
fn split_identifier(text: &str) -> Option<(&str, &str)> {
    let mut chars = text.chars();
    let is_identifier = chars.next() == Some(']')
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    // The three characters are ASCII, so byte 3 is a char boundary.
    is_identifier.then(|| text.split_at(3))
}

/// `text` cut to a length fit for a one-line message.
fn shorten(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

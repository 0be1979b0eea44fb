//! `ScanError`: why a scan was rejected, worded for the operator at the
//! station. Every message is one line; positions count characters of the
//! scanned text from 1, as a person would.

use super::prefixes::CodeKind;

/// Why a scanned text is not a usable code. `Display` is a one-line message
/// fit for a station screen; the fields carry the details for logs and for
/// code that reacts to a particular failure.
///
/// Positions (`position`) are 1-based character positions in the scanned
/// text after trailing CR/LF were trimmed, symbology identifier included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// Nothing was scanned (or only CR/LF).
    #[error("empty scan")]
    Empty,
    /// The scan is longer than any code we accept; it was not looked at.
    #[error("scan too long: more than {max} characters")]
    TooLong {
        /// The maximum number of characters accepted.
        max: usize,
    },
    /// The text starts with none of the configured prefixes and is not a
    /// GS1 element string.
    #[error("unknown code: no known prefix and not a GS1 barcode")]
    UnknownCode,
    /// The text starts with a configured prefix but the rest is not a valid
    /// [`Code`](crate::Code).
    #[error("invalid {kind} code {code:?}: {reason}")]
    InvalidCode {
        /// Which kind of code the prefix announced.
        kind: CodeKind,
        /// The text after the prefix.
        code: String,
        /// Why it is not a valid code.
        reason: String,
    },
    /// A GS1 symbology identifier or separator with no element after it.
    #[error("GS1 barcode has no data")]
    EmptyGs1,
    /// An application identifier was expected but the text there is not a
    /// digit.
    #[error("expected a GS1 application identifier at character {position}, found {found:?}")]
    ExpectedAi {
        /// Where the AI should start.
        position: usize,
        /// The character found there.
        found: char,
    },
    /// The digits where an AI should start begin no AI this parser knows.
    #[error("unknown GS1 application identifier {digits} at character {position}")]
    UnknownAi {
        /// Where the AI starts.
        position: usize,
        /// The (up to four) digits found there.
        digits: String,
    },
    /// Two separators in a row, or a separator where an AI should start.
    #[error("unexpected separator at character {position}")]
    UnexpectedSeparator {
        /// Where the separator is.
        position: usize,
    },
    /// The human-readable form `(01)…(10)…` is broken.
    #[error("malformed GS1 text at character {position}: {reason}")]
    MalformedBrackets {
        /// Where the problem is.
        position: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// An AI with no data after it.
    #[error("{title} (AI {ai}) at character {position} is empty")]
    EmptyValue {
        /// The AI digits.
        ai: String,
        /// What the AI means.
        title: &'static str,
        /// Where the data should start.
        position: usize,
    },
    /// Fixed-length data with the wrong number of characters.
    #[error("{title} (AI {ai}) at character {position} must have {expected} characters, found {found}")]
    WrongLength {
        /// The AI digits.
        ai: String,
        /// What the AI means.
        title: &'static str,
        /// Where the data starts.
        position: usize,
        /// The length GS1 defines.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// Variable-length data longer than GS1 allows.
    #[error("{title} (AI {ai}) at character {position} must have at most {max} characters, found {found}")]
    ValueTooLong {
        /// The AI digits.
        ai: String,
        /// What the AI means.
        title: &'static str,
        /// Where the data starts.
        position: usize,
        /// The maximum length GS1 defines.
        max: usize,
        /// The length found.
        found: usize,
    },
    /// Numeric data with a character that is not a digit.
    #[error("{title} (AI {ai}): character {position} {found:?} must be a digit")]
    NotDigit {
        /// The AI digits.
        ai: String,
        /// What the AI means.
        title: &'static str,
        /// Where the offending character is.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// Alphanumeric data with a character outside GS1 character set 82.
    #[error("{title} (AI {ai}): character {position} {found:?} is not allowed")]
    InvalidCharacter {
        /// The AI digits.
        ai: String,
        /// What the AI means.
        title: &'static str,
        /// Where the offending character is.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// A GTIN, SSCC or GLN whose check digit does not match its other digits.
    #[error("{title} {value}: check digit should be {expected}, not {found}")]
    CheckDigit {
        /// The AI digits.
        ai: String,
        /// What the AI means (`GTIN`, `SSCC` ...).
        title: &'static str,
        /// The whole number as scanned.
        value: String,
        /// The check digit computed from the other digits.
        expected: char,
        /// The check digit scanned.
        found: char,
    },
    /// Six digits that are not a date.
    #[error("{title} {value}: not a valid date ({reason})")]
    InvalidDate {
        /// The AI digits.
        ai: String,
        /// What the AI means.
        title: &'static str,
        /// The YYMMDD data as scanned.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same AI (or two AIs for the same thing, like 3102 and 3103) twice
    /// with different data: GS1 forbids it, and we could not tell which is
    /// right.
    #[error("{title} appears twice with different values: {first} and {second}")]
    ConflictingAi {
        /// What the AI means.
        title: &'static str,
        /// The first element, as `(AI)data`.
        first: String,
        /// The second element, as `(AI)data`.
        second: String,
    },
}

//! Splits a GS1 element string into elements: the transmitted form (AI and
//! data back to back, FNC1 sent as GS between variable-length fields) and the
//! human-readable form with the AIs in parentheses. Each element is then
//! checked by `value.rs`, and the whole for conflicting repeats.

use super::ai_table::{LookupError, lookup, predefined_length};
use super::error::ScanError;
use super::message::{GS, Gs1Element, Gs1Message};
use super::value::{RawElement, check};

/// Where a GS1 payload sits in the scan and how fields are separated.
pub(crate) struct Gs1Text<'a> {
    /// The payload, without symbology identifier.
    pub(crate) chars: &'a [char],
    /// Number of characters of the scan before the payload.
    pub(crate) offset: usize,
    /// The configured stand-in for GS, if any.
    pub(crate) substitute: Option<char>,
}

impl Gs1Text<'_> {
    /// Parses the payload in whichever form it is written.
    pub(crate) fn parse(&self, reference_year: i32) -> Result<Gs1Message, ScanError> {
        let raw = if self.chars.first() == Some(&'(') {
            self.split_bracketed()?
        } else {
            self.split_transmitted()?
        };
        if raw.is_empty() {
            return Err(ScanError::EmptyGs1);
        }
        let mut elements = Vec::with_capacity(raw.len());
        for element in raw {
            let element = check(element, reference_year)?;
            let earlier = elements
                .iter()
                .find(|e: &&Gs1Element| std::ptr::eq(e.def, element.def));
            if let Some(first) = earlier
                && (first.ai != element.ai || first.value != element.value)
            {
                return Err(ScanError::ConflictingAi {
                    title: element.def.title,
                    first: format!("({}){}", first.ai, first.value),
                    second: format!("({}){}", element.ai, element.value),
                });
            }
            elements.push(element);
        }
        Ok(Gs1Message { elements })
    }

    fn position(&self, index: usize) -> usize {
        self.offset + index + 1
    }

    fn is_separator(&self, c: char) -> bool {
        c == GS || Some(c) == self.substitute
    }

    /// The transmitted form: an element ends after its predefined length, or
    /// else at a separator or the end.
    fn split_transmitted(&self) -> Result<Vec<RawElement>, ScanError> {
        let chars = self.chars;
        let mut elements = Vec::new();
        // A leading separator is FNC1 in first position, which some scanners
        // send instead of a symbology identifier.
        let mut i = usize::from(chars.first().is_some_and(|&c| self.is_separator(c)));
        while let Some(&c) = chars.get(i) {
            if self.is_separator(c) {
                return Err(ScanError::UnexpectedSeparator {
                    position: self.position(i),
                });
            }
            let (def, ai) = lookup(&chars[i..]).map_err(|e| self.lookup_error(e, i, c))?;
            let start = i + ai.len();
            let rest = chars.get(start..).unwrap_or_default();
            let until_separator = rest
                .iter()
                .position(|&c| self.is_separator(c))
                .unwrap_or(rest.len());
            let len = match predefined_length(&ai) {
                Some(total) => {
                    let expected = total.saturating_sub(ai.len());
                    if until_separator < expected {
                        return Err(ScanError::WrongLength {
                            ai,
                            title: def.title,
                            position: self.position(start),
                            expected,
                            found: until_separator,
                        });
                    }
                    expected
                }
                None => until_separator,
            };
            elements.push(RawElement {
                def,
                value: rest[..len].iter().collect(),
                ai,
                position: self.position(start),
            });
            i = start + len;
            if chars.get(i).is_some_and(|&c| self.is_separator(c)) {
                i += 1;
            }
        }
        Ok(elements)
    }

    /// The human-readable form: an element's data runs up to the next
    /// `(` + 2 to 4 digits + `)`, or the end. A `(` in data followed by
    /// digits and `)` cannot be told from an AI; use the transmitted form
    /// for such data.
    fn split_bracketed(&self) -> Result<Vec<RawElement>, ScanError> {
        let chars = self.chars;
        let mut elements = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let close = ai_in_brackets(chars, i).ok_or(ScanError::MalformedBrackets {
                position: self.position(i),
                reason: "expected '(', 2 to 4 digits and ')'",
            })?;
            let digits = &chars[i + 1..close];
            let (def, ai) = lookup(digits).map_err(|e| self.lookup_error(e, i + 1, '('))?;
            if ai.len() != digits.len() {
                return Err(ScanError::UnknownAi {
                    position: self.position(i + 1),
                    digits: digits.iter().collect(),
                });
            }
            let start = close + 1;
            let end = (start..chars.len())
                .find(|&k| ai_in_brackets(chars, k).is_some())
                .unwrap_or(chars.len());
            elements.push(RawElement {
                def,
                ai,
                value: chars[start..end].iter().collect(),
                position: self.position(start),
            });
            i = end;
        }
        Ok(elements)
    }

    fn lookup_error(&self, error: LookupError, index: usize, found: char) -> ScanError {
        match error {
            LookupError::NotDigit => ScanError::ExpectedAi {
                position: self.position(index),
                found,
            },
            LookupError::Unknown(digits) => ScanError::UnknownAi {
                position: self.position(index),
                digits,
            },
        }
    }
}

/// If an AI in brackets starts at `i`, the index of its `)`.
fn ai_in_brackets(chars: &[char], i: usize) -> Option<usize> {
    if chars.get(i) != Some(&'(') {
        return None;
    }
    let digits = chars
        .iter()
        .skip(i + 1)
        .take(5)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let close = i + 1 + digits;
    ((2..=4).contains(&digits) && chars.get(close) == Some(&')')).then_some(close)
}

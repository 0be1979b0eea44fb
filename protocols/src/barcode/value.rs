//! Checks the data of one GS1 element against the rules of its AI (digits,
//! length, character set 82, check digit, date) and interprets it.

use super::ai_table::{AiDef, Content, is_cset82};
use super::date::resolve_yymmdd;
use super::error::ScanError;
use super::message::{Gs1Element, Typed};
use crate::Code;
use rust_decimal::Decimal;

/// An element as split from the scanned text, not yet checked.
#[derive(Debug)]
pub(crate) struct RawElement {
    pub(crate) def: &'static AiDef,
    pub(crate) ai: String,
    pub(crate) value: String,
    /// 1-based position of the first data character in the scan.
    pub(crate) position: usize,
}

/// Checks and interprets an element; dates are resolved against
/// `reference_year`.
pub(crate) fn check(raw: RawElement, reference_year: i32) -> Result<Gs1Element, ScanError> {
    let typed = Checker { raw: &raw }.typed(reference_year)?;
    Ok(Gs1Element {
        def: raw.def,
        ai: raw.ai,
        value: raw.value,
        typed,
    })
}

struct Checker<'a> {
    raw: &'a RawElement,
}

impl Checker<'_> {
    fn typed(&self, reference_year: i32) -> Result<Typed, ScanError> {
        let value = self.raw.value.as_str();
        if value.is_empty() {
            return Err(ScanError::EmptyValue {
                ai: self.raw.ai.clone(),
                title: self.raw.def.title,
                position: self.raw.position,
            });
        }
        match self.raw.def.content {
            Content::CheckedDigits { len } => {
                let digits = self.digits(len)?;
                self.check_digit(&digits)?;
                Ok(Typed::Plain)
            }
            Content::Digits { len } => self.digits(len).map(|_| Typed::Plain),
            Content::Date => {
                self.digits(6)?;
                resolve_yymmdd(value, reference_year)
                    .map(Typed::Date)
                    .map_err(|reason| ScanError::InvalidDate {
                        ai: self.raw.ai.clone(),
                        title: self.raw.def.title,
                        value: value.to_string(),
                        reason,
                    })
            }
            Content::Count { max } => {
                let digits = self.digits_up_to(max)?;
                let count = digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d));
                // At most 8 digits always fit; saturate rather than trust that.
                Ok(Typed::Count(u32::try_from(count).unwrap_or(u32::MAX)))
            }
            Content::Decimal => {
                let digits = self.digits(6)?;
                let mantissa = digits.iter().fold(0i64, |acc, &d| acc * 10 + i64::from(d));
                // The AI table admits only 0 to 5 as the decimal-point digit;
                // `try_new` keeps even a wrong table row from panicking.
                let scale = self
                    .raw
                    .ai
                    .chars()
                    .last()
                    .and_then(|c| c.to_digit(10))
                    .unwrap_or(0);
                Ok(Decimal::try_new(mantissa, scale).map_or(Typed::Plain, Typed::Decimal))
            }
            Content::Text { max } => {
                self.text_up_to(max)?;
                Ok(Code::parse(value).map_or(Typed::Plain, Typed::Code))
            }
        }
    }

    /// The data as digit values, which must be exactly `len` of them.
    fn digits(&self, len: usize) -> Result<Vec<u8>, ScanError> {
        let digits = self.all_digits()?;
        if digits.len() != len {
            return Err(ScanError::WrongLength {
                ai: self.raw.ai.clone(),
                title: self.raw.def.title,
                position: self.raw.position,
                expected: len,
                found: digits.len(),
            });
        }
        Ok(digits)
    }

    /// The data as digit values, at most `max` of them.
    fn digits_up_to(&self, max: usize) -> Result<Vec<u8>, ScanError> {
        let digits = self.all_digits()?;
        self.at_most(max, digits.len())?;
        Ok(digits)
    }

    fn all_digits(&self) -> Result<Vec<u8>, ScanError> {
        self.raw
            .value
            .chars()
            .enumerate()
            .map(|(i, c)| match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => Ok(d as u8),
                _ => Err(ScanError::NotDigit {
                    ai: self.raw.ai.clone(),
                    title: self.raw.def.title,
                    position: self.raw.position + i,
                    found: c,
                }),
            })
            .collect()
    }

    /// Character set 82 text of at most `max` characters.
    fn text_up_to(&self, max: usize) -> Result<(), ScanError> {
        let mut len = 0;
        for (i, c) in self.raw.value.chars().enumerate() {
            if !is_cset82(c) {
                return Err(ScanError::InvalidCharacter {
                    ai: self.raw.ai.clone(),
                    title: self.raw.def.title,
                    position: self.raw.position + i,
                    found: c,
                });
            }
            len = i + 1;
        }
        self.at_most(max, len)
    }

    fn at_most(&self, max: usize, found: usize) -> Result<(), ScanError> {
        if found > max {
            return Err(ScanError::ValueTooLong {
                ai: self.raw.ai.clone(),
                title: self.raw.def.title,
                position: self.raw.position,
                max,
                found,
            });
        }
        Ok(())
    }

    fn check_digit(&self, digits: &[u8]) -> Result<(), ScanError> {
        let Some((&found, body)) = digits.split_last() else {
            return Ok(());
        };
        let expected = check_digit(body);
        if expected != found {
            return Err(ScanError::CheckDigit {
                ai: self.raw.ai.clone(),
                title: self.raw.def.title,
                value: self.raw.value.clone(),
                expected: digit_char(expected),
                found: digit_char(found),
            });
        }
        Ok(())
    }
}

/// The GS1 mod-10 check digit of `body` (all digits but the check digit):
/// weights 3, 1, 3 ... from the right, then the distance to the next
/// multiple of ten.
pub(crate) fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn digit_char(d: u8) -> char {
    char::from_digit(u32::from(d), 10).unwrap_or('?')
}

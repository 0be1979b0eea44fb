//! Checked decimal arithmetic for money and quantities.
//!
//! `rust_decimal` panics when a product or sum leaves its range (about
//! 7.9e28). Values entering the hub are bounded (`mes_protocols::limits`)
//! so that realistic arithmetic stays far inside it, but data stored before
//! those bounds, or multiplied through nested roll-ups, can still get
//! there. Every money and quantity computation on stored data goes through
//! these, and its caller turns [`OutOfRange`] into an error that names the
//! record: never a panic, never a dropped connection.

use rust_decimal::Decimal;

/// A result left the range of a decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the result is out of the range of a decimal (about 7.9e28)")]
pub struct OutOfRange;

/// `a × b`.
pub fn mul(a: Decimal, b: Decimal) -> Result<Decimal, OutOfRange> {
    a.checked_mul(b).ok_or(OutOfRange)
}

/// `a + b`.
pub fn add(a: Decimal, b: Decimal) -> Result<Decimal, OutOfRange> {
    a.checked_add(b).ok_or(OutOfRange)
}

/// `a − b`.
pub fn sub(a: Decimal, b: Decimal) -> Result<Decimal, OutOfRange> {
    a.checked_sub(b).ok_or(OutOfRange)
}

/// `a ÷ b`; division by zero is out of range too.
pub fn div(a: Decimal, b: Decimal) -> Result<Decimal, OutOfRange> {
    a.checked_div(b).ok_or(OutOfRange)
}

/// The sum of `values`.
pub fn sum(values: impl IntoIterator<Item = Decimal>) -> Result<Decimal, OutOfRange> {
    values.into_iter().try_fold(Decimal::ZERO, add)
}

/// Adds `value` to `*total`.
pub fn add_to(total: &mut Decimal, value: Decimal) -> Result<(), OutOfRange> {
    *total = add(*total, value)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let big = Decimal::from_i128_with_scale(10_i128.pow(20), 0);
        assert_eq!(mul(big, big), Err(OutOfRange));
        assert_eq!(sum([Decimal::MAX, Decimal::ONE]), Err(OutOfRange));
        assert_eq!(div(Decimal::ONE, Decimal::ZERO), Err(OutOfRange));
        assert_eq!(mul(Decimal::TWO, Decimal::TWO), Ok(Decimal::from(4)));
    }
}

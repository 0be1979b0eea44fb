//! The declared maxima of every decimal the system accepts, in one place.
//!
//! Each limit is an exclusive bound on the magnitude and a most number of
//! decimal places. They are checked where data enters (the hub's API and
//! ingest, the agent's intake), with an error naming the field, so that
//! everything stored is small enough for the arithmetic done on it later:
//! a quantity times a price, times minutes, times a rate stays far below
//! what a decimal holds (about 7.9e28), and costing sums of millions of
//! such products cannot overflow. Arithmetic is still checked where it is
//! done (nested roll-ups multiply without bound), but a value past these
//! maxima never gets in.
//!
//! | limit        | magnitude below | places | used for                                      |
//! |--------------|-----------------|--------|-----------------------------------------------|
//! | [`QUANTITY`] | 10^12           | 6      | event quantities, stock documents, order and BOM quantities |
//! | [`PRICE`]    | 10^9            | 6      | prices, unit prices, standard costs           |
//! | [`MINUTES`]  | 10^6            | 6      | setup minutes, run minutes per unit           |
//! | [`RATE`]     | 10^6            | 6      | hourly rates, overhead rates and percentages  |
//! | [`FACTOR`]   | 10^9            | 6      | unit conversion factors, speed factors        |
//! | [`COUNT`]    | 10^12           | 0      | parts counted (good, scrap) per event         |
//!
//! Six places is the finest a unit keeps (`Unit::decimals` is 0 to 6), so
//! nothing accepted is ever rounded beyond the documented scale.

use crate::field_error::FieldError;
use rust_decimal::Decimal;

/// A declared maximum: magnitude strictly below `10^digits`, at most
/// `places` decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What kind of value this bounds, for messages (`quantity`).
    pub what: &'static str,
    /// Digits before the point: the magnitude is below 10^digits.
    pub digits: u32,
    /// Most decimal places.
    pub places: u32,
}

/// Quantities: below 10^12 in magnitude, at most 6 places.
pub const QUANTITY: Limit = Limit {
    what: "quantity",
    digits: 12,
    places: 6,
};

/// Prices and unit costs: below 10^9, at most 6 places.
pub const PRICE: Limit = Limit {
    what: "price",
    digits: 9,
    places: 6,
};

/// Minutes (setup, run per unit): below 10^6, at most 6 places.
pub const MINUTES: Limit = Limit {
    what: "minutes",
    digits: 6,
    places: 6,
};

/// Hourly and overhead rates: below 10^6, at most 6 places.
pub const RATE: Limit = Limit {
    what: "rate",
    digits: 6,
    places: 6,
};

/// Conversion and speed factors: below 10^9, at most 6 places.
pub const FACTOR: Limit = Limit {
    what: "factor",
    digits: 9,
    places: 6,
};

/// Counts of parts per event: below 10^12, whole.
pub const COUNT: Limit = Limit {
    what: "count",
    digits: 12,
    places: 0,
};

impl Limit {
    /// The exclusive bound on the magnitude, 10^digits.
    pub fn bound(&self) -> Decimal {
        Decimal::from_i128_with_scale(10_i128.pow(self.digits), 0)
    }

    /// Checks `value` of `field` against this limit; the error names the
    /// field and the limit.
    pub fn check(&self, field: &str, value: Decimal) -> Result<(), FieldError> {
        if value.abs() >= self.bound() {
            return Err(FieldError::new(
                field,
                format!(
                    "{value} is out of range: a {} must be below 10^{} in magnitude",
                    self.what, self.digits
                ),
            ));
        }
        if value.normalize().scale() > self.places {
            return Err(FieldError::new(
                field,
                format!(
                    "{value} has more than {} decimal places, the most a {} keeps",
                    self.places, self.what
                ),
            ));
        }
        Ok(())
    }

    /// Checks a whole number of `field` (a count) against this limit.
    pub fn check_count(&self, field: &str, value: u64) -> Result<(), FieldError> {
        self.check(field, Decimal::from(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimals are valid")
    }

    #[test]
    fn a_limit_names_the_field_and_refuses_magnitude_and_places() {
        assert!(QUANTITY.check("q", dec("999999999999.999999")).is_ok());
        assert!(QUANTITY.check("q", dec("-999999999999")).is_ok());
        let e = QUANTITY.check("lines[0].quantity", dec("2000000000000000")).err();
        assert_eq!(e.map(|e| e.field), Some("lines[0].quantity".to_string()));
        assert!(QUANTITY.check("q", dec("1000000000000")).is_err());
        assert!(QUANTITY.check("q", dec("0.0000001")).is_err());
        // Trailing zeros are not places: 1.50000000 is 1.5.
        assert!(QUANTITY.check("q", dec("1.50000000")).is_ok());
        assert!(MINUTES.check("m", dec("70000000000000000000000000000")).is_err());
        assert!(COUNT.check_count("good", 5).is_ok());
        assert!(COUNT.check_count("good", u64::MAX).is_err());
    }
}

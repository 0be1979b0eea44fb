//! The costing's one rounding rule, so every figure is reproducible by hand.
//!
//! Money is an exact decimal in the tenant's currency. Each stored or
//! reported amount (a movement's value, a cost element of an order) is
//! rounded to cents, half away from zero; intermediate products and
//! quotients (averages, rates × time) are never rounded, so a figure is
//! rounded exactly once. Unit costs are reported to 4 decimal places
//! (half away from zero) for reading only; values are never derived from a
//! rounded unit cost.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places of money.
pub const MONEY_DP: u32 = 2;
/// Decimal places of reported unit costs.
pub const UNIT_COST_DP: u32 = 4;

/// `exact` rounded to cents, half away from zero, always written with two
/// decimals (`47.50`).
pub fn money(exact: Decimal) -> Decimal {
    let mut rounded = exact.round_dp_with_strategy(MONEY_DP, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(MONEY_DP);
    rounded
}

/// A unit cost as reported: 4 decimal places, half away from zero.
pub fn unit_cost(exact: Decimal) -> Decimal {
    exact.round_dp_with_strategy(UNIT_COST_DP, RoundingStrategy::MidpointAwayFromZero)
}

/// Milliseconds per hour, the denominator of hourly rates.
pub const MS_PER_HOUR: Decimal = Decimal::from_parts(3_600_000, 0, 0, false, 0);
/// Milliseconds per minute, for reporting times in minutes.
pub const MS_PER_MINUTE: Decimal = Decimal::from_parts(60_000, 0, 0, false, 0);

/// The exact cost of `ms` milliseconds at `hourly_rate` (not rounded).
pub fn time_cost(ms: Decimal, hourly_rate: Decimal) -> Decimal {
    ms * hourly_rate / MS_PER_HOUR
}

/// `ms` as minutes, rounded to 4 decimal places for reports.
pub fn minutes(ms: Decimal) -> Decimal {
    (ms / MS_PER_MINUTE).round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimals are valid")
    }

    #[test]
    fn money_rounds_half_away_from_zero_once() {
        assert_eq!(money(d("23.425")), d("23.43"));
        assert_eq!(money(d("-23.425")), d("-23.43"));
        assert_eq!(money(d("23.4249999")), d("23.42"));
        assert_eq!(money(d("47.5")).to_string(), "47.50");
        assert_eq!(time_cost(d("1800000"), d("30")), d("15"));
    }
}

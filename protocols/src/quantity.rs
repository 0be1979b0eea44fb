//! `Quantity`: an exact decimal amount with its unit of measure.

use crate::code::Code;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An exact decimal amount in a unit of measure (`12.5 kg`). Never a binary
/// float: quantities feed the stock ledger and costing, which must add up to
/// the last digit. On the wire the value is a JSON string (`"12.5"`) so no
/// JSON parser rounds it, in the one grammar of [`crate::decimal`]
/// (`"+5"`, `"1_000"` and 101-digit numbers are refused, not rounded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    /// The amount.
    #[serde(with = "crate::decimal::text")]
    pub value: Decimal,
    /// The unit of measure code (`kg`, `pcs`, `m`).
    pub unit: Code,
}

impl Quantity {
    /// A quantity of `value` in `unit`.
    pub fn new(value: Decimal, unit: Code) -> Self {
        Self { value, unit }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.unit)
    }
}

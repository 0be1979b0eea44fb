//! The stock ledger: every stock movement as a row per material, lot and
//! location in base units; on hand, reserved and available at any date;
//! negative stock per site policy; and the projection of shop-floor events
//! into rows. Pure domain code: no database, no clock, no I/O. The store
//! persists [`Movement`] rows (and reservations) and replays them into a
//! [`Ledger`]; everything here is deterministic in those rows.
//!
//! - [`units`]: converting entered quantities to the base unit (the
//!   rounding rule lives there).
//! - [`movement`]: the row, its deterministic id and its order in time.
//! - [`ledger`]: the ledger, reservations, availability.
//! - [`negative`]: shortages and their explicit corrections.
//! - [`projection`]: events → rows; rebuild from the event log.
//!
//! # Architecture invariant
//!
//! This crate depends on `mes-protocols` (the event vocabulary) and plain
//! value crates only: never on the hub, its store, a database driver, an
//! async runtime or the clock. Every answer is a function of the rows and
//! events it is given, which is what lets the property tests replay it and
//! both store backends share it.

pub mod apply;
pub mod ledger;
pub mod movement;
pub mod negative;
pub mod projection;
pub mod units;

pub use ledger::{Applied, Ledger, LedgerError, NegativeStockPolicy, Reservation, StatementLine};
pub use movement::{Amount, Movement, MovementId, MovementKind, MovementSource, StockKey};
pub use negative::{NegativeCorrection, Shortage};
pub use projection::{LocationResolver, ProjectionError, Projector};
pub use units::{MaterialUnits, UnitCatalog, UnitError};

#[cfg(test)]
mod apply_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod rules_tests;
#[cfg(test)]
mod worked_example;

#[cfg(any(test, feature = "test-support"))]
pub mod test_support {
    //! Small constructors for tests (this crate's, and the hub's through
    //! the `test-support` feature, which only dev-dependencies enable).
    use mes_protocols::{Code, Timestamp};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    /// A code from a literal known to be valid.
    pub fn code(s: &str) -> Code {
        Code::parse(s).expect("test codes are valid")
    }

    /// A decimal from a literal known to be valid.
    pub fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimals are valid")
    }

    /// The instant `minutes` minutes after a fixed test epoch.
    pub fn at(minutes: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_790_000_000_000 + minutes * 60_000)
    }
}

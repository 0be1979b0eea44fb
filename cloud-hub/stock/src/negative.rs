//! Negative stock under [`NegativeStockPolicy::Disallowed`]: shortages and
//! their explicit corrections.
//!
//! The rule. A row is never refused for lack of stock: the consumption it
//! records happened on the floor, and the floor never waits for the cloud.
//! Instead, at a site that disallows negative stock, the ledger reports:
//! - a [`Shortage`] for every row that takes a key's balance (further)
//!   below zero, by how much it went below zero;
//! - a [`NegativeCorrection`] for every later row (a late receipt, an output
//!   receipt, a transfer in, a stocktake) that brings a negative balance back
//!   up, linked to the shortages it settles, oldest first, with the quantity
//!   it settles.
//!
//! Both are derived from the rows in time order, so they are rebuildable and
//! independent of arrival order: a receipt that *occurred* before the issue
//! (but arrived late) means there never was a shortage and none is
//! reported; a receipt that occurred after the issue is reported as its
//! correction. Corrections are links, not rows with a quantity of their own:
//! an extra quantity-bearing row would count the receipt twice and break
//! "on hand is the sum of the rows". At any instant the open quantity of a
//! key's shortages equals how far its balance is below zero.

use crate::ledger::{Ledger, NegativeStockPolicy};
use crate::movement::{MovementId, MovementKind, StockKey};
use mes_protocols::Timestamp;
use rust_decimal::Decimal;

/// A row that took a key's balance below zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    /// The stock that went negative.
    pub key: StockKey,
    /// The row that took it below zero.
    pub caused_by: MovementId,
    /// When that row happened.
    pub occurred_at: Timestamp,
    /// How far below zero that row took the balance (positive).
    pub quantity: Decimal,
    /// The later rows that settled it, in time order.
    pub corrections: Vec<NegativeCorrection>,
}

impl Shortage {
    /// The part of the shortage no later row has settled yet.
    pub fn open(&self) -> Decimal {
        self.quantity - self.corrections.iter().map(|c| c.quantity).sum::<Decimal>()
    }
}

/// An explicit link from a row that raised a negative balance to the
/// shortage it settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegativeCorrection {
    /// The row that settled (part of) the shortage.
    pub corrected_by: MovementId,
    /// Its kind (a late purchase receipt, a transfer in, a stocktake…).
    pub kind: MovementKind,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// How much of the shortage it settled (positive).
    pub quantity: Decimal,
}

impl Ledger {
    /// Shortages of every key up to `at` (`None` for all), by key and time,
    /// with their corrections. Empty at a site that allows negative stock.
    pub fn shortages(&self, at: Option<Timestamp>) -> Vec<Shortage> {
        self.keys().flat_map(|key| self.key_shortages(key, at)).collect()
    }

    /// Shortages of one key up to `at`, with their corrections (see the
    /// module documentation). Empty at a site that allows negative stock.
    pub fn key_shortages(&self, key: &StockKey, at: Option<Timestamp>) -> Vec<Shortage> {
        if self.policy() == NegativeStockPolicy::Allowed {
            return Vec::new();
        }
        let mut shortages: Vec<Shortage> = Vec::new();
        for line in self.statement(key, at) {
            let before = line.balance - line.delta;
            let deficit_before = (-before).max(Decimal::ZERO);
            let deficit_after = (-line.balance).max(Decimal::ZERO);
            if deficit_after > deficit_before {
                shortages.push(Shortage {
                    key: key.clone(),
                    caused_by: line.id,
                    occurred_at: line.occurred_at,
                    quantity: deficit_after - deficit_before,
                    corrections: Vec::new(),
                });
                continue;
            }
            let mut settling = deficit_before - deficit_after;
            for shortage in shortages.iter_mut() {
                if settling <= Decimal::ZERO {
                    break;
                }
                let part = shortage.open().min(settling);
                if part > Decimal::ZERO {
                    shortage.corrections.push(NegativeCorrection {
                        corrected_by: line.id.clone(),
                        kind: line.kind,
                        occurred_at: line.occurred_at,
                        quantity: part,
                    });
                    settling -= part;
                }
            }
        }
        shortages
    }
}

//! The stock ledger of one site: every movement as a row, balances derived
//! from the rows in the order things happened (never the order they
//! arrived), reservations of released orders, and availability.
//!
//! Guarantees:
//! - **Idempotent.** Applying a row whose id is already present changes
//!   nothing (a different row under the same id is refused, never merged).
//! - **Order-free.** State depends only on the *set* of rows: rows are kept
//!   sorted by [`SortKey`] (occurred_at, counts last, id), so a row that
//!   arrives hours late lands where it would have been on time, and applying
//!   any permutation of the same rows gives an equal `Ledger`.
//! - **On hand is the sum of the rows.** For every key and instant, on hand
//!   is the sum of the effective deltas of its rows up to that instant (a
//!   stocktake's delta is derived, see [`Amount::Counted`]).

use crate::movement::{Amount, Movement, MovementId, MovementKind, SortKey, StockKey};
use mes_protocols::{Code, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The largest magnitude of one row's quantity, in base units (10^15).
/// Keeping rows below it means no realistic sum of rows can overflow a
/// decimal, so balances never fail.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// Whether `movement`'s amount is one a ledger keeps: at most
/// [`MAX_QUANTITY`] in magnitude, and a count not below zero. The same rule
/// for the pure ledger and for rows the projection writes to the store.
pub fn check_amount(movement: &Movement) -> Result<(), LedgerError> {
    let id = || movement.id.clone();
    let key = || movement.key.clone();
    let quantity = match movement.amount {
        Amount::Delta(q) => q,
        Amount::Counted(q) if q < Decimal::ZERO => {
            return Err(LedgerError::NegativeCount {
                id: id(),
                key: key(),
                counted: q,
            });
        }
        Amount::Counted(q) => q,
    };
    if quantity.abs() > MAX_QUANTITY {
        return Err(LedgerError::QuantityOutOfRange {
            id: id(),
            key: key(),
            quantity,
        });
    }
    Ok(())
}

/// Whether stock of a site may go below zero. Either way every row is
/// recorded (the floor never waits for the cloud, and a consumption that
/// happened cannot be refused after the fact); the policy decides whether a
/// negative balance is an exception the ledger reports, with its explicit
/// corrections (see [`Ledger::shortages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NegativeStockPolicy {
    /// Negative balances are normal (the site books consumption before
    /// receipts); no shortages are reported.
    Allowed,
    /// Negative balances are exceptions: each is reported as a shortage,
    /// and each later row that brings the balance back up is reported as an
    /// explicit correction linked to it.
    #[default]
    Disallowed,
}

/// A released production order's claim on a material, from `from` until
/// `until` (exclusive; `None` while the order is open). What it reserves at
/// an instant is its quantity less what has been issued to the order for
/// that material by then, never below zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// The production order.
    pub order: Code,
    /// The material it needs.
    pub material: Code,
    /// The location it is reserved at, or `None` for the whole site.
    pub location: Option<Code>,
    /// How much it needs in total, in base units.
    pub quantity: Decimal,
    /// When the order was released.
    pub from: Timestamp,
    /// When the order was closed or cancelled, if it was.
    pub until: Option<Timestamp>,
}

/// What [`Ledger::apply`] did with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The row was new and is now in the ledger.
    Added,
    /// An identical row was already there; nothing changed.
    Duplicate,
}

/// Why a row was refused. Each variant names the row and its stock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A different row already has this id (a reused document number, or a
    /// projection that changed its output for the same event).
    #[error("{id}: a different movement with this id is already in the ledger ({key})")]
    ConflictingId {
        /// The row id.
        id: MovementId,
        /// The stock of the row already recorded.
        key: StockKey,
    },
    /// A stocktake counted less than zero.
    #[error("{id}: stocktake of {key} counted {counted}, a count cannot be negative")]
    NegativeCount {
        /// The row id.
        id: MovementId,
        /// The counted stock.
        key: StockKey,
        /// The counted quantity.
        counted: Decimal,
    },
    /// A quantity beyond [`MAX_QUANTITY`].
    #[error("{id}: quantity {quantity} of {key} exceeds the ledger's limit of {MAX_QUANTITY}")]
    QuantityOutOfRange {
        /// The row id.
        id: MovementId,
        /// The stock.
        key: StockKey,
        /// The rejected quantity.
        quantity: Decimal,
    },
}

/// One line of a key's statement: a row with its effective delta and the
/// balance after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The row.
    pub id: MovementId,
    /// Why stock moved.
    pub kind: MovementKind,
    /// When.
    pub occurred_at: Timestamp,
    /// How much the balance changed (derived for a stocktake).
    pub delta: Decimal,
    /// The balance after this row.
    pub balance: Decimal,
}

/// The stock ledger of one site (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    policy: NegativeStockPolicy,
    rows: BTreeMap<StockKey, BTreeMap<SortKey, Movement>>,
    index: BTreeMap<MovementId, (StockKey, SortKey)>,
    reservations: BTreeMap<(Code, Code, Option<Code>), Reservation>,
}

impl Ledger {
    /// An empty ledger for a site with `policy`.
    pub fn new(policy: NegativeStockPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// The site's negative stock policy.
    pub fn policy(&self) -> NegativeStockPolicy {
        self.policy
    }

    /// What [`Ledger::apply`] would do with `movement`, without doing it.
    pub fn check(&self, movement: &Movement) -> Result<Applied, LedgerError> {
        let id = || movement.id.clone();
        if let Some((key, sort)) = self.index.get(&movement.id) {
            let same = self.rows.get(key).and_then(|rows| rows.get(sort)) == Some(movement);
            return if same {
                Ok(Applied::Duplicate)
            } else {
                Err(LedgerError::ConflictingId {
                    id: id(),
                    key: key.clone(),
                })
            };
        }
        check_amount(movement)?;
        Ok(Applied::Added)
    }

    /// Records `movement` in its place in time. Idempotent by id.
    pub fn apply(&mut self, movement: Movement) -> Result<Applied, LedgerError> {
        if self.check(&movement)? == Applied::Duplicate {
            return Ok(Applied::Duplicate);
        }
        let sort = movement.sort_key();
        self.index
            .insert(movement.id.clone(), (movement.key.clone(), sort.clone()));
        self.rows
            .entry(movement.key.clone())
            .or_default()
            .insert(sort, movement);
        Ok(Applied::Added)
    }

    /// Records (or replaces) an order's reservation of a material at a
    /// location; one reservation per (order, material, location).
    pub fn reserve(&mut self, reservation: Reservation) {
        let key = (
            reservation.order.clone(),
            reservation.material.clone(),
            reservation.location.clone(),
        );
        self.reservations.insert(key, reservation);
    }

    /// How many rows the ledger holds.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the ledger holds no rows.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The row with this id.
    pub fn get(&self, id: &MovementId) -> Option<&Movement> {
        let (key, sort) = self.index.get(id)?;
        self.rows.get(key)?.get(sort)
    }

    /// Every row, by stock key and then in time order.
    pub fn movements(&self) -> impl Iterator<Item = &Movement> {
        self.rows.values().flat_map(BTreeMap::values)
    }

    /// Every stock key that has rows.
    pub fn keys(&self) -> impl Iterator<Item = &StockKey> {
        self.rows.keys()
    }

    /// The rows of `key` up to `at` (inclusive; `None` for all), in time
    /// order, with effective deltas and running balances.
    pub fn statement(&self, key: &StockKey, at: Option<Timestamp>) -> Vec<StatementLine> {
        let mut balance = Decimal::ZERO;
        let rows = self.rows.get(key).into_iter().flat_map(BTreeMap::values);
        rows.take_while(|m| at.is_none_or(|t| m.occurred_at <= t))
            .map(|m| {
                let delta = match m.amount {
                    Amount::Delta(d) => d,
                    Amount::Counted(c) => c - balance,
                };
                balance += delta;
                StatementLine {
                    id: m.id.clone(),
                    kind: m.kind,
                    occurred_at: m.occurred_at,
                    delta,
                    balance,
                }
            })
            .collect()
    }

    /// On hand of exactly `key` at `at` (inclusive; `None` for the latest).
    pub fn on_hand(&self, key: &StockKey, at: Option<Timestamp>) -> Decimal {
        self.statement(key, at)
            .last()
            .map_or(Decimal::ZERO, |line| line.balance)
    }

    /// On hand of every key with rows, at `at`.
    pub fn balances(&self, at: Option<Timestamp>) -> BTreeMap<StockKey, Decimal> {
        self.rows
            .keys()
            .map(|key| (key.clone(), self.on_hand(key, at)))
            .collect()
    }

    /// On hand of `material` over all lots, at `location` or (for `None`)
    /// at every location of the site.
    pub fn material_on_hand(
        &self,
        material: &Code,
        location: Option<&Code>,
        at: Option<Timestamp>,
    ) -> Decimal {
        self.rows
            .keys()
            .filter(|k| k.material == *material && location.is_none_or(|l| k.location == *l))
            .map(|k| self.on_hand(k, at))
            .sum()
    }

    /// On hand per material over all lots and locations, at `at`.
    pub fn totals(&self, at: Option<Timestamp>) -> BTreeMap<Code, Decimal> {
        let mut totals = BTreeMap::new();
        for key in self.rows.keys() {
            *totals.entry(key.material.clone()).or_insert(Decimal::ZERO) += self.on_hand(key, at);
        }
        totals
    }

    /// How much of `material` was issued to `order` up to `at`, at
    /// `location` or (for `None`) anywhere (positive for net consumption).
    pub fn issued_to_order(
        &self,
        order: &Code,
        material: &Code,
        location: Option<&Code>,
        at: Timestamp,
    ) -> Decimal {
        let issued: Decimal = self
            .rows
            .iter()
            .filter(|(k, _)| k.material == *material && location.is_none_or(|l| k.location == *l))
            .flat_map(|(_, rows)| rows.values())
            .filter(|m| {
                m.kind == MovementKind::Issue && m.order.as_ref() == Some(order) && m.occurred_at <= at
            })
            .map(|m| match m.amount {
                Amount::Delta(d) => d,
                Amount::Counted(_) => Decimal::ZERO,
            })
            .sum();
        -issued
    }

    /// What released orders still reserve of `material` at `at`: for each
    /// reservation active at `at` (`from <= at < until`), its quantity less
    /// what was issued to its order by then, clamped to `0..=quantity`.
    /// With `location`, only reservations made at that location count;
    /// with `None`, all of the material's reservations.
    pub fn reserved(&self, material: &Code, location: Option<&Code>, at: Timestamp) -> Decimal {
        self.reservations
            .values()
            .filter(|r| r.material == *material && location.is_none_or(|l| r.location.as_ref() == Some(l)))
            .filter(|r| r.from <= at && r.until.is_none_or(|u| at < u))
            .map(|r| {
                let issued = self.issued_to_order(&r.order, material, r.location.as_ref(), at);
                (r.quantity - issued).clamp(Decimal::ZERO, r.quantity.max(Decimal::ZERO))
            })
            .sum()
    }

    /// On hand less reserved, for `material` at `location` (or the whole
    /// site for `None`), at `at`. Negative when reservations exceed stock.
    pub fn available(&self, material: &Code, location: Option<&Code>, at: Timestamp) -> Decimal {
        self.material_on_hand(material, location, Some(at)) - self.reserved(material, location, at)
    }
}

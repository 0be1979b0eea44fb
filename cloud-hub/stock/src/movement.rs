//! One stock movement: a ledger row. Rows are facts; the ledger never edits
//! one, it only adds rows and derives balances from them.
//!
//! A row's identity ([`MovementId`]) is deterministic from its source (the
//! event id or document number, plus a line number within it), so projecting
//! the same event twice, or rebuilding from the event log, yields the same
//! ids and the ledger can drop duplicates.

use mes_protocols::{Code, EventId, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a movement came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum MovementSource {
    /// A shop-floor event (material consumed, output reported).
    Event(EventId),
    /// A document entered at the hub (purchase receipt, transfer order,
    /// stocktake sheet, scrap note), by its number.
    Document(Code),
}

/// The identity of a ledger row: its source and the line within it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MovementId {
    /// The event or document the row comes from.
    pub source: MovementSource,
    /// The line within the source (0 for single-line sources; a transfer
    /// uses 0 for the issuing side and 1 for the receiving side).
    pub line: u32,
}

impl MovementId {
    /// Line `line` of event `event`.
    pub fn event(event: EventId, line: u32) -> Self {
        Self {
            source: MovementSource::Event(event),
            line,
        }
    }

    /// Line `line` of document `document`.
    pub fn document(document: Code, line: u32) -> Self {
        Self {
            source: MovementSource::Document(document),
            line,
        }
    }
}

impl fmt::Display for MovementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            MovementSource::Event(id) => write!(f, "event {id} line {}", self.line),
            MovementSource::Document(doc) => write!(f, "document {doc} line {}", self.line),
        }
    }
}

/// Why stock moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Goods received against a purchase order (positive).
    PurchaseReceipt,
    /// Material issued to a production order, from a `material_consumed`
    /// event (negative).
    Issue,
    /// Good output received from a production order, from an
    /// `output_reported` event (positive).
    OutputReceipt,
    /// One side of a transfer between locations (negative out, positive in).
    Transfer,
    /// A manual correction by a fixed signed quantity.
    Adjustment,
    /// A stocktake count: the amount is the counted balance, and the ledger
    /// derives the adjustment (see [`Amount::Counted`]).
    Stocktake,
    /// Stock written off as scrap (negative).
    Scrap,
}

/// How a row changes the balance of its stock key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Amount {
    /// Adds this signed quantity (base units) to the balance.
    Delta(Decimal),
    /// Sets the balance to this counted quantity at the row's time. The
    /// row's effective delta is `counted − balance just before`, derived in
    /// time order, so a movement that occurred before the count but arrived
    /// after it changes the adjustment, not the counted balance: a count is
    /// physical truth at its instant, whenever the rest of the data arrives.
    Counted(Decimal),
}

/// Where a quantity of stock is: the unit the ledger balances.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StockKey {
    /// The material.
    pub material: Code,
    /// The lot, for lot-tracked materials; `None` for untracked stock.
    pub lot: Option<Code>,
    /// The storage location (warehouse bin, line-side store).
    pub location: Code,
}

impl StockKey {
    /// The key of `material` in `lot` at `location`.
    pub fn new(material: Code, lot: Option<Code>, location: Code) -> Self {
        Self {
            material,
            lot,
            location,
        }
    }
}

impl fmt::Display for StockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lot {
            Some(lot) => write!(f, "material {} lot {} at {}", self.material, lot, self.location),
            None => write!(f, "material {} (no lot) at {}", self.material, self.location),
        }
    }
}

/// One ledger row. Quantities are in the material's base unit, already
/// rounded to its scale (see [`crate::units`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// Deterministic identity (source + line).
    pub id: MovementId,
    /// Why stock moved.
    pub kind: MovementKind,
    /// Which stock moved.
    pub key: StockKey,
    /// How the balance changes.
    pub amount: Amount,
    /// When it happened (by the agent's clock for events, by the document
    /// date for documents): the ledger orders rows by this, never by arrival.
    pub occurred_at: Timestamp,
    /// The production order an issue or output receipt belongs to; issues
    /// with an order draw down that order's reservations.
    pub order: Option<Code>,
    /// The purchase value of a purchase receipt in the tenant's currency
    /// (quantity × price as entered, or from its purchase order line,
    /// rounded to cents). Only receipts carry one; every other row is
    /// valued by the costing (`crate::costing::valuation`) from the rows
    /// before it, so no value is stored that a late row could make stale.
    /// Absent in rows stored before prices existed (serde default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Decimal>,
    /// The purchase order a receipt was booked against, if any (what the
    /// shortage report subtracts from the order's open quantity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order: Option<Code>,
}

impl Movement {
    /// A row that adds `delta` (signed, base units) to `key`.
    pub fn delta(
        id: MovementId,
        kind: MovementKind,
        key: StockKey,
        delta: Decimal,
        occurred_at: Timestamp,
    ) -> Self {
        Self {
            id,
            kind,
            key,
            amount: Amount::Delta(delta),
            occurred_at,
            order: None,
            value: None,
            purchase_order: None,
        }
    }

    /// A stocktake row: `key` was counted at `counted` at `occurred_at`.
    pub fn stocktake(id: MovementId, key: StockKey, counted: Decimal, occurred_at: Timestamp) -> Self {
        Self {
            id,
            kind: MovementKind::Stocktake,
            key,
            amount: Amount::Counted(counted),
            occurred_at,
            order: None,
            value: None,
            purchase_order: None,
        }
    }

    /// The two rows of a transfer of `quantity` (positive) of `material`/`lot`
    /// from `from` to `to`, lines 0 (out) and 1 (in) of `document`.
    pub fn transfer(
        document: Code,
        material: Code,
        lot: Option<Code>,
        from: Code,
        to: Code,
        quantity: Decimal,
        occurred_at: Timestamp,
    ) -> [Movement; 2] {
        let out = StockKey::new(material.clone(), lot.clone(), from);
        let into = StockKey::new(material, lot, to);
        [
            Self::delta(
                MovementId::document(document.clone(), 0),
                MovementKind::Transfer,
                out,
                -quantity,
                occurred_at,
            ),
            Self::delta(
                MovementId::document(document, 1),
                MovementKind::Transfer,
                into,
                quantity,
                occurred_at,
            ),
        ]
    }

    /// Sets the production order (builder style).
    pub fn for_order(mut self, order: Code) -> Self {
        self.order = Some(order);
        self
    }

    /// Sets a receipt's purchase value and its purchase order (builder
    /// style).
    pub fn priced(mut self, value: Option<Decimal>, purchase_order: Option<Code>) -> Self {
        self.value = value;
        self.purchase_order = purchase_order;
        self
    }

    /// Where this row sorts in its key's history: by time, counts after the
    /// movements of the same millisecond (a count sees everything that
    /// happened up to its instant), then by id. Independent of arrival.
    pub fn sort_key(&self) -> SortKey {
        let is_count = matches!(self.amount, Amount::Counted(_));
        SortKey {
            occurred_at: self.occurred_at,
            is_count,
            id: self.id.clone(),
        }
    }
}

/// The total order of rows within a stock key (see [`Movement::sort_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SortKey {
    /// When the row happened.
    pub occurred_at: Timestamp,
    /// Counts sort after the movements of the same millisecond.
    pub is_count: bool,
    /// Tie-break, so the order is total and deterministic.
    pub id: MovementId,
}

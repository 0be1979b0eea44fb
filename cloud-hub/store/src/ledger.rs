//! What the store takes and gives for the stock ledger and the event
//! projection (see `stock/apply.rs` for how balances follow the rows).

use mes_protocols::{Code, Timestamp};
use mes_stock::apply::{LedgerPlan, LedgerSnapshot, Overflow};
use mes_stock::{Movement, MovementId, MovementSource, StockKey};
use rust_decimal::Decimal;
use std::str::FromStr;

use crate::StoreError;

/// One ledger row to write, with the site its stock is at.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    /// The movement.
    pub movement: Movement,
    /// The site (short name).
    pub site: String,
}

/// What the floor reported about an operation run (one event).
#[derive(Debug, Clone, PartialEq)]
pub struct OperationFact {
    /// The event's row in the log.
    pub event_row: i64,
    /// The run (execution id).
    pub execution: String,
    /// The production order.
    pub order: String,
    /// The operation.
    pub operation: String,
    /// The event kind.
    pub kind: String,
    /// When it happened (unix ms).
    pub occurred_at: i64,
    /// The event's data as JSON.
    pub body: String,
}

/// An event the projection could not book.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectionIssue {
    /// The event's row in the log.
    pub event_row: i64,
    /// The event id.
    pub event_id: String,
    /// The event kind.
    pub kind: String,
    /// Why it was not booked.
    pub reason: String,
}

/// The projection's progress written with its rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectionStep {
    /// The last event row this step covers.
    pub through_event_row: i64,
    /// Operation facts of the step's events.
    pub facts: Vec<OperationFact>,
    /// Events of the step that could not be booked.
    pub issues: Vec<ProjectionIssue>,
    /// Event rows whose stored issues this step replaces (it re-applies
    /// them): their issues are removed before `issues` are written.
    pub resolved: Vec<i64>,
    /// The cursor the step read its events after, when it moves the
    /// cursor: the write is refused ([`StoreError::StaleStep`]) unless the
    /// stored cursor is still there, checked in the step's own
    /// transaction, so a step is never applied twice (two replicas, or a
    /// replica that lost its lease mid-step). `None` for writes that do
    /// not follow the cursor (re-applying set-aside events).
    pub after_event_row: Option<i64>,
}

/// Refuses a projection step read after cursor `expected` when the stored
/// cursor is `found` (another step was written meanwhile). The one rule
/// both backends apply inside the step's transaction.
pub(crate) fn check_step_cursor(step: &ProjectionStep, found: i64) -> Result<(), StoreError> {
    match step.after_event_row {
        Some(expected) if expected != found => Err(StoreError::StaleStep { expected, found }),
        _ => Ok(()),
    }
}

/// A ledger write: rows, and (for the projection) its progress, in one
/// transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerWrite {
    /// The rows.
    pub rows: Vec<LedgerRow>,
    /// Refuse the whole write if it takes any balance below zero (a site
    /// that does not allow negative stock, for documents entered at the hub).
    pub refuse_negative: bool,
    /// Refuse the whole write if a row id is stored with other content (a
    /// reused document number); otherwise such rows are skipped.
    pub refuse_conflicts: bool,
    /// The projection's progress, when the projection writes.
    pub projection: Option<ProjectionStep>,
}

/// What a ledger write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerOutcome {
    /// Whether it was written (false: refused, nothing changed).
    pub written: bool,
    /// New rows.
    pub inserted: usize,
    /// Rows stored before, identical.
    pub duplicates: usize,
    /// Rows whose id is stored with other content.
    pub conflicts: Vec<MovementId>,
    /// Whether the conflicts refused the write.
    pub conflicts_refused: bool,
    /// Keys the write would take below zero, with the resulting balance.
    pub negative: Vec<(StockKey, Decimal)>,
    /// The row at which a balance would leave the range of a decimal: the
    /// write is refused whole.
    pub overflow: Option<Overflow>,
}

impl LedgerOutcome {
    /// Whether the write was refused as a whole (a conflict it refuses, or
    /// a balance it must not take below zero).
    pub fn refused(&self) -> bool {
        !self.written && (!self.negative.is_empty() || self.conflicts_refused || self.overflow.is_some())
    }
}

/// What a write planned as `planned` over `snap` would do, and whether its
/// rules ([`LedgerWrite::refuse_conflicts`], [`LedgerWrite::refuse_negative`])
/// refuse it: the same judgement on both backends.
pub fn judge(
    planned: &LedgerPlan,
    snap: &LedgerSnapshot,
    refuse_conflicts: bool,
    refuse_negative: bool,
) -> LedgerOutcome {
    let conflicts_refused = refuse_conflicts && !planned.conflicts.is_empty();
    let negative = if refuse_negative && !conflicts_refused {
        planned
            .balances
            .iter()
            .filter(|(key, b)| {
                b.quantity < Decimal::ZERO
                    && b.quantity < snap.balances.get(*key).map_or(Decimal::ZERO, |old| old.quantity)
            })
            .map(|(key, b)| (key.clone(), b.quantity))
            .collect()
    } else {
        Vec::new()
    };
    LedgerOutcome {
        written: false,
        inserted: planned.inserts.len(),
        duplicates: planned.duplicates,
        conflicts: planned.conflicts.clone(),
        conflicts_refused,
        negative,
        overflow: None,
    }
}

/// The outcome of a write refused because a balance would overflow.
pub fn overflowed(overflow: Overflow) -> LedgerOutcome {
    LedgerOutcome {
        overflow: Some(overflow),
        ..LedgerOutcome::default()
    }
}

/// A balance as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BalanceRow {
    /// The material.
    pub material: Code,
    /// The lot, if any.
    pub lot: Option<Code>,
    /// The location.
    pub location: Code,
    /// The site.
    pub site: String,
    /// On hand now, base units.
    pub quantity: Decimal,
    /// When it last moved.
    pub last_movement_at: Timestamp,
}

/// Which balances a list returns, in (material, lot, location) order.
#[derive(Debug, Clone, Default)]
pub struct BalanceQuery {
    /// Only this material.
    pub material: Option<String>,
    /// Only this location.
    pub location: Option<String>,
    /// Only this lot.
    pub lot: Option<String>,
    /// Only this site.
    pub site: Option<String>,
    /// Only keys after this one (the previous page's last).
    pub after: Option<(String, String, String)>,
    /// Include zero balances.
    pub include_zero: bool,
    /// At most this many.
    pub limit: usize,
}

/// An event of the log, for the projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// Its row (arrival order).
    pub row: i64,
    /// The site of the agent that sent it.
    pub site: String,
    /// Its kind.
    pub kind: String,
    /// Whether the hub knows the kind.
    pub known: bool,
    /// When it happened, in hub time (the agent's stamp plus the agent's
    /// clock correction at ingest), unix ms.
    pub occurred_at: i64,
    /// The event JSON as sent.
    pub raw: String,
}

/// The text a movement id is stored under: `e:<event id>:<line>` or
/// `d:<document>:<line>`.
pub fn movement_key(id: &MovementId) -> String {
    match &id.source {
        MovementSource::Event(e) => format!("e:{e}:{}", id.line),
        MovementSource::Document(d) => format!("d:{d}:{}", id.line),
    }
}

/// Whether a movement was projected from an event.
pub fn from_event(id: &MovementId) -> bool {
    matches!(id.source, MovementSource::Event(_))
}

/// The lot column's value (`''` = none).
pub fn lot_column(lot: &Option<Code>) -> &str {
    lot.as_ref().map_or("", Code::as_str)
}

/// A lot column read back.
pub fn lot_from_column(raw: &str) -> Option<Code> {
    if raw.is_empty() {
        None
    } else {
        Code::parse(raw).ok()
    }
}

/// A stored value this hub cannot read back (a row edited by hand, or a
/// newer hub's data), named.
pub(crate) fn bad_data(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Task(format!("stored {what} cannot be read: {e}"))
}

/// A stored quantity column.
pub(crate) fn decimal(raw: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(raw).map_err(|e| bad_data("quantity", e))
}

/// A stored code column.
pub(crate) fn code(raw: &str) -> Result<Code, StoreError> {
    Code::parse(raw).map_err(|e| bad_data("code", e))
}

/// A stored movement body.
pub(crate) fn movement(body: &str) -> Result<Movement, StoreError> {
    serde_json::from_str(body).map_err(|e| bad_data("movement", e))
}

//! Lot traceability over the ledger, across production levels.
//!
//! A production order links lots: the lots issued to it (its inputs) and
//! the lots received from it (its outputs). Backward from a lot: the
//! orders that made it, their input lots, and so on down to purchased
//! lots. Forward from a lot: the orders that consumed it, their output
//! lots, and so on up to finished goods. Quantities are net base-unit
//! quantities of the ledger rows (late events included as soon as they
//! are projected). A lot reached twice on one path (a cyclic flow) is
//! shown once, without its links again.

use crate::stock::{Amount, Movement, MovementKind};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A lot (or untracked stock: `lot` none) of a material in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LotTrace {
    /// The material.
    pub material: String,
    /// The lot; none for a material that is not lot-tracked.
    pub lot: Option<String>,
    /// How much of it the parent step consumed or produced (at the root:
    /// everything produced, backward, or consumed, forward).
    pub quantity: Decimal,
    /// Backward: the orders that made it. Forward: the orders that used it.
    pub orders: Vec<TraceStep>,
    /// Who made the lot, as its lot record says (bought lots: from the
    /// goods receipt); none when not recorded or not a lot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// The maker's own lot number, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer_lot: Option<String>,
}

impl LotTrace {
    /// Calls `visit` on this lot and every lot below it.
    pub fn visit_mut(&mut self, visit: &mut impl FnMut(&mut LotTrace)) {
        visit(self);
        for step in &mut self.orders {
            for lot in &mut step.lots {
                lot.visit_mut(visit);
            }
        }
    }
}

/// One production order in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TraceStep {
    /// The order.
    pub order: String,
    /// Backward: how much of the lot it made. Forward: how much it used.
    pub quantity: Decimal,
    /// Backward: its input lots. Forward: its output lots.
    pub lots: Vec<LotTrace>,
}

/// Which way to follow the lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From an output lot to the lots that went into it.
    Backward,
    /// From an input lot to the lots it went into.
    Forward,
}

type LotKey = (String, Option<String>);

/// Per order, its lots of one side (inputs or outputs) and quantities.
type Side = BTreeMap<String, BTreeMap<LotKey, Decimal>>;

/// The order links of the ledger: per order, its inputs and outputs.
#[derive(Debug, Clone, Default)]
pub struct Links {
    inputs: Side,
    outputs: Side,
}

impl Links {
    /// The links of `rows` (issues and output receipts with an order).
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a Movement>) -> Self {
        let mut links = Links::default();
        for m in rows {
            let (Some(order), Amount::Delta(delta)) = (&m.order, m.amount) else {
                continue;
            };
            let key = (
                m.key.material.to_string(),
                m.key.lot.as_ref().map(ToString::to_string),
            );
            let side = match m.kind {
                MovementKind::Issue => &mut links.inputs,
                MovementKind::OutputReceipt => &mut links.outputs,
                _ => continue,
            };
            let q = side.entry(order.to_string()).or_default().entry(key).or_default();
            // Issues are negative rows: count what the order used.
            *q += if m.kind == MovementKind::Issue {
                -delta
            } else {
                delta
            };
        }
        links
    }

    /// Whether any order made or used `lot`.
    pub fn knows(&self, lot: &str) -> bool {
        [&self.inputs, &self.outputs]
            .iter()
            .flat_map(|side| side.values())
            .any(|lots| lots.keys().any(|(_, l)| l.as_deref() == Some(lot)))
    }

    /// The trace of every material's lot `lot` (normally one material).
    pub fn trace(&self, lot: &str, direction: Direction) -> Vec<LotTrace> {
        let (here, _) = self.sides(direction);
        let mut roots: BTreeMap<LotKey, Decimal> = BTreeMap::new();
        for lots in here.values() {
            for (key, q) in lots {
                if key.1.as_deref() == Some(lot) {
                    *roots.entry(key.clone()).or_default() += *q;
                }
            }
        }
        roots
            .into_iter()
            .map(|(key, q)| self.node(key, q, direction, &mut BTreeSet::new()))
            .collect()
    }

    /// (where the lot appears, where the step leads): backward a lot is an
    /// output and leads to inputs; forward the other way round.
    fn sides(&self, direction: Direction) -> (&Side, &Side) {
        match direction {
            Direction::Backward => (&self.outputs, &self.inputs),
            Direction::Forward => (&self.inputs, &self.outputs),
        }
    }

    fn node(
        &self,
        key: LotKey,
        quantity: Decimal,
        direction: Direction,
        path: &mut BTreeSet<LotKey>,
    ) -> LotTrace {
        let mut trace = LotTrace {
            material: key.0.clone(),
            lot: key.1.clone(),
            quantity,
            orders: Vec::new(),
            manufacturer: None,
            manufacturer_lot: None,
        };
        // Untracked stock cannot be followed: every order's would match.
        if key.1.is_none() || !path.insert(key.clone()) {
            return trace;
        }
        let (here, there) = self.sides(direction);
        for (order, lots) in here {
            let Some(q) = lots.get(&key) else { continue };
            let next = there.get(order).map_or_else(Vec::new, |lots| {
                lots.iter()
                    .map(|(k, q)| self.node(k.clone(), *q, direction, path))
                    .collect()
            });
            trace.orders.push(TraceStep {
                order: order.clone(),
                quantity: *q,
                lots: next,
            });
        }
        path.remove(&key);
        trace
    }
}

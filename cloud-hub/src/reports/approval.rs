//! Lots in stock whose manufacturer is not (or no longer) approved for
//! their material (issue 21): a conditional approval that lapsed, a maker
//! blocked since the lot came in, a maker taken off the list, or a lot
//! without a recorded maker for a material that now has a list. Judged by
//! the stations' rule (`mes_protocols::approval::judge`) against the
//! general list on the report's day; customers' own lists decide only at
//! the station, where the order's customer is known.
//!
//! Pure: balances, lots and lists in, report rows out. `approval_load.rs`
//! reads them.

use crate::masterdata::records::Lot;
use crate::store::ledger::BalanceRow;
use mes_protocols::Code;
use mes_protocols::approval::{ApprovalList, Question, RefusalKind, judge};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use time::Date;

/// Why a lot in stock is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Its conditional approval expired.
    Lapsed,
    /// Its maker is blocked.
    Blocked,
    /// Its maker is not on the list.
    NotApproved,
    /// The lot records no maker.
    UnknownMaker,
}

impl From<RefusalKind> for Problem {
    fn from(kind: RefusalKind) -> Self {
        match kind {
            RefusalKind::Lapsed => Self::Lapsed,
            RefusalKind::Blocked => Self::Blocked,
            RefusalKind::NotApproved => Self::NotApproved,
            RefusalKind::UnknownMaker => Self::UnknownMaker,
        }
    }
}

/// One lot at one location that the stations would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UnapprovedStock {
    /// The material.
    pub material: String,
    /// The lot.
    pub lot: String,
    /// Its maker, when recorded.
    pub manufacturer: Option<String>,
    /// Where it is.
    pub location: String,
    /// At which site.
    pub site: String,
    /// On hand there, base units.
    pub quantity: Decimal,
    /// What is wrong.
    pub problem: Problem,
    /// The stations' one-line reason.
    pub reason: String,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UnapprovedStockReport {
    /// The day judged (`YYYY-MM-DD`, UTC).
    pub on: String,
    /// Flagged lots, by material, lot and location.
    pub items: Vec<UnapprovedStock>,
}

/// The rows of `balances` (lots on hand) that `lists` refuse on day `on`;
/// `lots` are the lot records by code.
pub fn unapproved_stock(
    balances: &[BalanceRow],
    lots: &HashMap<Code, Lot>,
    lists: &HashMap<Code, ApprovalList>,
    on: Date,
) -> Vec<UnapprovedStock> {
    let mut items = Vec::new();
    for row in balances {
        let (Some(lot), Some(list)) = (&row.lot, lists.get(&row.material)) else {
            continue;
        };
        if row.quantity <= Decimal::ZERO {
            continue;
        }
        let maker = lots.get(lot).and_then(|l| l.manufacturer.as_ref());
        let question = Question {
            lot,
            material: &row.material,
            manufacturer: maker,
            customer: None,
            on,
        };
        if let Err(refusal) = judge(Some(list), &question) {
            items.push(UnapprovedStock {
                material: row.material.to_string(),
                lot: lot.to_string(),
                manufacturer: maker.map(ToString::to_string),
                location: row.location.to_string(),
                site: row.site.clone(),
                quantity: row.quantity,
                problem: refusal.kind.into(),
                reason: refusal.message,
            });
        }
    }
    items
}

//! Lots in stock whose manufacturer is not (or no longer) approved for
//! their material (issue 21): a conditional approval that lapsed, a maker
//! blocked since the lot came in, a maker taken off the list, or a lot
//! without a recorded maker for a material that now has a list. Judged by
//! the stations' rule (`mes_protocols::approval::judge`) against the
//! general list on the report's day; customers' own lists decide only at
//! the station, where the order's customer is known.
//!
//! Beside them, the lots still accepted today whose maker's conditional
//! approval ends within the next days (`within_days`), so quality can renew
//! the condition or use the stock up before the stations refuse it.
//!
//! Pure: balances, lots and lists in, report rows out. `approval_load.rs`
//! reads them.

use crate::masterdata::records::Lot;
use crate::store::ledger::BalanceRow;
use mes_protocols::Code;
use mes_protocols::approval::{ApprovalList, Question, RefusalKind, Verdict, judge};
use mes_protocols::downlink::format_date;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use time::{Date, Duration};

/// Days ahead the report looks for conditions that end, unless asked otherwise.
pub const DEFAULT_EXPIRY_WINDOW_DAYS: u32 = 30;

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

/// One lot at one location accepted today on a condition that ends soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ExpiringStock {
    /// The material.
    pub material: String,
    /// The lot.
    pub lot: String,
    /// Its maker.
    pub manufacturer: String,
    /// Where it is.
    pub location: String,
    /// At which site.
    pub site: String,
    /// On hand there, base units.
    pub quantity: Decimal,
    /// The last day the condition accepts (`YYYY-MM-DD`).
    pub expires_on: String,
    /// The condition's reason.
    pub reason: String,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UnapprovedStockReport {
    /// The day judged (`YYYY-MM-DD`, UTC).
    pub on: String,
    /// Flagged lots, by material, lot and location.
    pub items: Vec<UnapprovedStock>,
    /// How many days ahead `expiring` looks.
    pub within_days: u32,
    /// Lots accepted on `on` whose conditional approval ends on or before
    /// `on` + `within_days`, soonest first.
    pub expiring: Vec<ExpiringStock>,
}

/// Judges each row of `balances` (lots on hand) once against `lists` on
/// day `on`: the lots refused (by material, lot and location, as
/// `balances` come), and those accepted only by a conditional approval of
/// their maker ending on or before `on` + `within_days` (soonest first).
/// `lots` are the lot records by code.
pub fn judge_stock(
    balances: &[BalanceRow],
    lots: &HashMap<Code, Lot>,
    lists: &HashMap<Code, ApprovalList>,
    on: Date,
    within_days: u32,
) -> (Vec<UnapprovedStock>, Vec<ExpiringStock>) {
    let horizon = on.saturating_add(Duration::days(i64::from(within_days)));
    let mut refused = Vec::new();
    let mut expiring: Vec<(Date, ExpiringStock)> = Vec::new();
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
        match (judge(Some(list), &question), maker) {
            (Err(refusal), _) => refused.push(UnapprovedStock {
                material: row.material.to_string(),
                lot: lot.to_string(),
                manufacturer: maker.map(ToString::to_string),
                location: row.location.to_string(),
                site: row.site.clone(),
                quantity: row.quantity,
                problem: refusal.kind.into(),
                reason: refusal.message,
            }),
            (Ok(Verdict::Conditional { reason, expires_on }), Some(maker)) if expires_on <= horizon => {
                expiring.push((
                    expires_on,
                    ExpiringStock {
                        material: row.material.to_string(),
                        lot: lot.to_string(),
                        manufacturer: maker.to_string(),
                        location: row.location.to_string(),
                        site: row.site.clone(),
                        quantity: row.quantity,
                        expires_on: format_date(expires_on),
                        reason,
                    },
                ));
            }
            (Ok(_), _) => {}
        }
    }
    // Stable: rows keep their material, lot and location order within a day.
    expiring.sort_by_key(|(day, _)| *day);
    (refused, expiring.into_iter().map(|(_, item)| item).collect())
}

//! Moving-average valuation per material and site: every ledger row gets
//! its value, derived from the rows before it in time (never stored, so a
//! late row re-values what follows it, like it re-balances stock).
//!
//! The rule (also in ARCHITECTURE.md, "Valuation"):
//! - A site holds one pool per material: quantity and value over all its
//!   lots and locations. Rows are taken in ledger time order
//!   ([`crate::stock::movement::SortKey`]), whatever order they arrived in.
//! - Receipts add their own value: a purchase receipt its purchase value,
//!   an output receipt its share of its production order's actual cost
//!   (given by the caller, see `costing::engine`). A receipt without a
//!   value, an adjustment or stocktake gain, a positive issue (a return)
//!   add their quantity at the pool's current average.
//! - Everything leaving the pool (issues, scrap, losses) leaves at the
//!   current average: `value × q / quantity`, rounded to cents; taking the
//!   whole quantity takes the whole value, so an empty pool holds exactly 0.
//! - The average when the pool is empty or negative: the value/quantity of
//!   a negative pool, else the last average the pool had, else the
//!   material's standard cost.
//! - Negative stock: a receipt into a negative pool first settles the
//!   shortfall. What remains in the pool afterwards is valued at the
//!   receipt's own price (or, if the pool stays negative, at the negative
//!   pool's average); the difference between the receipt's value and that
//!   is the row's explicit `settlement` (what the stock issued while short
//!   was under- or over-valued by). It is not re-charged to orders.
//! - Transfers within a site move value without changing the pool.
//!
//! Hence, per pool and exactly (no rounding residue): value on hand =
//! receipts + gains − issues − scrap − losses − settlements.

use super::money::money;
use crate::arith::{self, OutOfRange};
use crate::stock::{Amount, Movement, MovementId, MovementKind, StockKey};
use mes_protocols::{Code, Timestamp};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// A ledger row and the site its stock is at.
#[derive(Debug, Clone, PartialEq)]
pub struct SitedMovement {
    /// The site (short name).
    pub site: String,
    /// The row.
    pub movement: Movement,
}

/// What a row did to its pool's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// A purchase receipt (or its reversal).
    Purchase,
    /// Good output of a production order into stock.
    Output,
    /// Material issued to (or returned from) a production order.
    Issue,
    /// Written off as scrap.
    Scrap,
    /// A stocktake or adjustment difference.
    Adjustment,
    /// Moved between locations of the site (the pool does not change).
    Transfer,
}

impl Flow {
    fn of(kind: MovementKind) -> Self {
        match kind {
            MovementKind::PurchaseReceipt => Flow::Purchase,
            MovementKind::OutputReceipt => Flow::Output,
            MovementKind::Issue => Flow::Issue,
            MovementKind::Scrap => Flow::Scrap,
            MovementKind::Adjustment | MovementKind::Stocktake => Flow::Adjustment,
            MovementKind::Transfer => Flow::Transfer,
        }
    }
}

/// One row with its value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValuedRow {
    /// The row.
    pub id: MovementId,
    /// What it was.
    pub flow: Flow,
    /// The site.
    pub site: String,
    /// Its stock.
    pub key: StockKey,
    /// When.
    pub occurred_at: Timestamp,
    /// The production order of an issue or output receipt.
    pub order: Option<Code>,
    /// Its quantity change, base units (derived for a stocktake).
    pub quantity: Decimal,
    /// Its value change of the pool (signed like `quantity`; a transfer's
    /// value is what it carried, the pool does not change).
    pub value: Decimal,
    /// For a receipt into negative stock: its value less what stayed in
    /// the pool after settling the shortfall (see the module doc).
    pub settlement: Decimal,
    /// The pool's quantity after the row.
    pub pool_quantity: Decimal,
    /// The pool's value after the row.
    pub pool_value: Decimal,
}

/// A pool's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PoolState {
    /// On hand, base units.
    pub quantity: Decimal,
    /// Its value.
    pub value: Decimal,
}

/// Every row valued, and each pool at the end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Valuation {
    /// Every row, by pool and then in time order.
    pub rows: Vec<ValuedRow>,
    /// Each (material, site) pool after its last row.
    pub pools: BTreeMap<(Code, String), PoolState>,
}

/// `value × part / whole` without overflowing on large products; out of
/// range only if the result itself is.
fn prorate(value: Decimal, part: Decimal, whole: Decimal) -> Result<Decimal, OutOfRange> {
    match value.checked_mul(part) {
        Some(product) => arith::div(product, whole),
        None => arith::div(value, whole).and_then(|v| arith::mul(v, part)),
    }
}

#[derive(Debug, Clone, Default)]
struct Pool {
    quantity: Decimal,
    value: Decimal,
    last_average: Option<Decimal>,
}

impl Pool {
    fn average(&self, standard: Decimal) -> Result<Decimal, OutOfRange> {
        if self.quantity.is_zero() {
            Ok(self.last_average.unwrap_or(standard))
        } else {
            arith::div(self.value, self.quantity)
        }
    }

    fn remember(&mut self) -> Result<(), OutOfRange> {
        if !self.quantity.is_zero() {
            self.last_average = Some(arith::div(self.value, self.quantity)?);
        }
        Ok(())
    }

    /// Takes `q` (> 0) out at the average; returns the value taken.
    fn take(&mut self, q: Decimal, standard: Decimal) -> Result<Decimal, OutOfRange> {
        let taken = if self.quantity > Decimal::ZERO && q == self.quantity {
            self.value
        } else if self.quantity > Decimal::ZERO {
            money(prorate(self.value, q, self.quantity)?)
        } else {
            money(arith::mul(q, self.average(standard)?)?)
        };
        self.quantity = arith::sub(self.quantity, q)?;
        self.value = arith::sub(self.value, taken)?;
        self.remember()?;
        Ok(taken)
    }

    /// Puts `q` (> 0) worth `value` in; returns the settlement.
    fn put(&mut self, q: Decimal, value: Decimal) -> Result<Decimal, OutOfRange> {
        if self.quantity >= Decimal::ZERO {
            self.quantity = arith::add(self.quantity, q)?;
            self.value = arith::add(self.value, value)?;
            self.remember()?;
            return Ok(Decimal::ZERO);
        }
        let quantity = arith::add(self.quantity, q)?;
        let remaining = if quantity < Decimal::ZERO {
            money(prorate(self.value, quantity, self.quantity)?)
        } else if quantity.is_zero() {
            Decimal::ZERO
        } else {
            money(prorate(value, quantity, q)?)
        };
        let settlement = arith::add(self.value, value).and_then(|v| arith::sub(v, remaining))?;
        self.quantity = quantity;
        self.value = remaining;
        self.remember()?;
        Ok(settlement)
    }
}

/// Each row with its effective quantity change (a stocktake's derived from
/// its key's balance just before it).
fn effective_deltas(rows: &[SitedMovement]) -> Result<Vec<(Decimal, &SitedMovement)>, OutOfRange> {
    let mut by_key: BTreeMap<&StockKey, Vec<&SitedMovement>> = BTreeMap::new();
    for row in rows {
        by_key.entry(&row.movement.key).or_default().push(row);
    }
    let mut out = Vec::with_capacity(rows.len());
    for list in by_key.values_mut() {
        list.sort_by_cached_key(|r| r.movement.sort_key());
        let mut balance = Decimal::ZERO;
        for row in list.iter() {
            let delta = match row.movement.amount {
                Amount::Delta(d) => d,
                Amount::Counted(c) => arith::sub(c, balance)?,
            };
            arith::add_to(&mut balance, delta)?;
            out.push((delta, *row));
        }
    }
    Ok(out)
}

/// Values `rows`. `standard` gives each material's standard cost (the
/// average of last resort); `outputs` the value of each output receipt
/// (its order's cost share); an output receipt missing there is valued at
/// standard cost (only while the engine has not costed its order yet).
/// Out of range when a value or quantity leaves the range of a decimal
/// (rows stored before entry was bounded).
pub fn value_rows(
    rows: &[SitedMovement],
    standard: &BTreeMap<Code, Decimal>,
    outputs: &BTreeMap<MovementId, Decimal>,
) -> Result<Valuation, OutOfRange> {
    let mut entries = effective_deltas(rows)?;
    entries.sort_by_cached_key(|(_, r)| {
        (
            r.movement.key.material.clone(),
            r.site.clone(),
            r.movement.sort_key(),
            r.movement.key.clone(),
        )
    });
    let mut pools: BTreeMap<(Code, String), Pool> = BTreeMap::new();
    let mut valued = Vec::with_capacity(entries.len());
    for (delta, row) in entries {
        let m = &row.movement;
        let std_cost = standard.get(&m.key.material).copied().unwrap_or_default();
        let pool = pools
            .entry((m.key.material.clone(), row.site.clone()))
            .or_default();
        let flow = Flow::of(m.kind);
        let mut settlement = Decimal::ZERO;
        let value = if flow == Flow::Transfer {
            let carried = money(arith::mul(delta.abs(), pool.average(std_cost)?)?);
            if delta < Decimal::ZERO { -carried } else { carried }
        } else if delta > Decimal::ZERO {
            let own = match flow {
                Flow::Purchase => m.value,
                Flow::Output => Some(match outputs.get(&m.id) {
                    Some(value) => *value,
                    None => money(arith::mul(delta, std_cost)?),
                }),
                _ => None,
            };
            let value = match own {
                Some(value) => value,
                None => money(arith::mul(delta, pool.average(std_cost)?)?),
            };
            settlement = pool.put(delta, value)?;
            value
        } else if delta < Decimal::ZERO {
            -pool.take(-delta, std_cost)?
        } else {
            Decimal::ZERO
        };
        valued.push(ValuedRow {
            id: m.id.clone(),
            flow,
            site: row.site.clone(),
            key: m.key.clone(),
            occurred_at: m.occurred_at,
            order: m.order.clone(),
            quantity: delta,
            value,
            settlement,
            pool_quantity: pool.quantity,
            pool_value: pool.value,
        });
    }
    Ok(Valuation {
        rows: valued,
        pools: pools
            .into_iter()
            .map(|(k, p)| {
                (
                    k,
                    PoolState {
                        quantity: p.quantity,
                        value: p.value,
                    },
                )
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stock::test_support::{at, code, dec};

    fn row(doc: &str, kind: MovementKind, q: &str, minute: i64, value: Option<&str>) -> SitedMovement {
        let key = StockKey::new(code("STEEL"), None, code("STORE"));
        let m = Movement::delta(MovementId::document(code(doc), 0), kind, key, dec(q), at(minute))
            .priced(value.map(dec), None);
        SitedMovement {
            site: "plant-1".into(),
            movement: m,
        }
    }

    fn standard() -> BTreeMap<Code, Decimal> {
        [(code("STEEL"), dec("1.5"))].into_iter().collect()
    }

    /// 100 @ 1.00, issue 25 (25.00), 100 @ 1.30: 175 kg worth 205.00;
    /// issue 20 = 205 × 20 / 175 = 23.428… → 23.43; pool 155 kg, 181.57.
    #[test]
    fn issues_leave_at_the_moving_average() {
        let rows = vec![
            row("R1", MovementKind::PurchaseReceipt, "100", 0, Some("100")),
            row("I1", MovementKind::Issue, "-25", 1, None),
            row("R2", MovementKind::PurchaseReceipt, "100", 2, Some("130")),
            row("I2", MovementKind::Issue, "-20", 3, None),
        ];
        let v = value_rows(&rows, &standard(), &BTreeMap::new()).expect("in range");
        let values: Vec<Decimal> = v.rows.iter().map(|r| r.value).collect();
        assert_eq!(values, vec![dec("100"), dec("-25"), dec("130"), dec("-23.43")]);
        let pool = v.pools[&(code("STEEL"), "plant-1".to_string())];
        assert_eq!((pool.quantity, pool.value), (dec("155"), dec("181.57")));
    }

    /// Issue 10 from an empty pool: at standard 1.5 → −15.00, pool −10 kg
    /// worth −15.00. Receipt 30 @ 60.00 (2.00/kg): 20 kg stay, at the
    /// receipt's price = 40.00; settlement = −15 + 60 − 40 = 5.00 (the 10 kg
    /// issued short were valued 0.50/kg too low). Rows arriving in another
    /// order give the same values.
    #[test]
    fn a_receipt_into_negative_stock_settles_explicitly() {
        let mut rows = vec![
            row("I1", MovementKind::Issue, "-10", 0, None),
            row("R1", MovementKind::PurchaseReceipt, "30", 1, Some("60")),
        ];
        let v = value_rows(&rows, &standard(), &BTreeMap::new()).expect("in range");
        assert_eq!(v.rows[0].value, dec("-15"));
        assert_eq!(v.rows[1].settlement, dec("5"));
        let pool = v.pools[&(code("STEEL"), "plant-1".to_string())];
        assert_eq!((pool.quantity, pool.value), (dec("20"), dec("40")));
        rows.reverse();
        assert_eq!(value_rows(&rows, &standard(), &BTreeMap::new()).ok(), Some(v));
    }

    /// Emptying the pool takes its whole value (no cent left behind), and
    /// the next issue from empty stock uses the last average.
    #[test]
    fn an_emptied_pool_holds_nothing_and_remembers_its_average() {
        let rows = vec![
            row("R1", MovementKind::PurchaseReceipt, "3", 0, Some("10")),
            row("I1", MovementKind::Issue, "-1", 1, None),
            row("I2", MovementKind::Issue, "-2", 2, None),
            row("I3", MovementKind::Issue, "-3", 3, None),
        ];
        let v = value_rows(&rows, &standard(), &BTreeMap::new()).expect("in range");
        let values: Vec<Decimal> = v.rows.iter().map(|r| r.value).collect();
        // 10 × 1/3 = 3.333… → 3.33; then the whole rest, 6.67; then at the
        // last average (6.67 / 2 = 3.335): 3 × 3.335 = 10.005 → 10.01.
        assert_eq!(values, vec![dec("10"), dec("-3.33"), dec("-6.67"), dec("-10.01")]);
    }
}

//! How a batch of new ledger rows changes the stored balances: the pure
//! half of the store's ledger write, shared by both backends.
//!
//! The store keeps, per stock key, the balance now and the latest
//! stocktake count (`count_at`, its id). A backend, inside its write
//! transaction (serialised per tenant), reads what [`plan`] needs — which
//! rows of the batch already exist, the balances of the touched keys, and
//! for keys that get a new latest count the stored deltas after it — and
//! writes what [`plan`] returns. The rule is the pure [`Ledger`]'s
//! (`stock/ledger.rs`): rows sort by (occurred_at, counts last, id); a
//! count sets the balance at its instant; a delta before the latest count
//! is absorbed by it (it changes the count's derived adjustment, not the
//! balance). So the stored balance equals the pure ledger's on hand for
//! the same set of rows, whatever order they arrived in.
//!
//! Every sum is checked: a balance that would leave the range of a decimal
//! (about 7.9e28) makes [`plan`] return [`Overflow`] naming the row, which
//! the store reports as a refused write, never a panic. Rows within the
//! ledger's limit ([`super::ledger::MAX_QUANTITY`]) cannot get there; old
//! data or a bug elsewhere can, and must not wedge the projection.
//!
//! [`Ledger`]: super::Ledger

use super::movement::{Amount, Movement, MovementId, SortKey, StockKey};
use mes_protocols::Timestamp;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// A stored balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBalance {
    /// On hand now.
    pub quantity: Decimal,
    /// The latest count: its instant and id.
    pub count: Option<(Timestamp, MovementId)>,
    /// The latest movement's instant.
    pub last_movement_at: Timestamp,
}

/// What [`plan`] needs from the store.
#[derive(Debug, Clone, Default)]
pub struct LedgerSnapshot {
    /// Rows of the batch already stored, by id, as stored.
    pub existing: HashMap<MovementId, Movement>,
    /// Balances of the batch's keys (absent = no row yet).
    pub balances: HashMap<StockKey, StoredBalance>,
    /// For a key whose latest count the batch replaces: the stored deltas
    /// after the batch's earliest count of that key (see
    /// [`counts_needing_deltas`]).
    pub deltas_after: HashMap<StockKey, Vec<(Timestamp, Decimal)>>,
}

/// What to write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerPlan {
    /// New rows to insert, in sort order.
    pub inserts: Vec<Movement>,
    /// Rows of the batch stored before (identical): nothing to do.
    pub duplicates: usize,
    /// Rows whose id is stored with different content: refused.
    pub conflicts: Vec<MovementId>,
    /// Balances to write (insert or replace).
    pub balances: BTreeMap<StockKey, StoredBalance>,
}

/// A balance would leave the range of a decimal at this row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{id}: the balance of {key} would leave the range of a decimal")]
pub struct Overflow {
    /// The row at which it would.
    pub id: MovementId,
    /// Its stock.
    pub key: StockKey,
}

/// The sum of `values`, or `None` if it leaves the range of a decimal.
fn checked_sum(values: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    values
        .into_iter()
        .try_fold(Decimal::ZERO, |sum, v| sum.checked_add(v))
}

/// For each key of `rows` with a count: the instant of the earliest count
/// in the batch — the store must send [`LedgerSnapshot::deltas_after`] for
/// those keys from that instant (exclusive) on.
pub fn counts_needing_deltas(rows: &[Movement]) -> HashMap<StockKey, Timestamp> {
    let mut earliest: HashMap<StockKey, Timestamp> = HashMap::new();
    for row in rows {
        if matches!(row.amount, Amount::Counted(_)) {
            earliest
                .entry(row.key.clone())
                .and_modify(|t| *t = (*t).min(row.occurred_at))
                .or_insert(row.occurred_at);
        }
    }
    earliest
}

/// Plans the write of `rows` over `snapshot` (see the module doc); refuses
/// with [`Overflow`] a batch that would take a balance out of range.
pub fn plan(rows: Vec<Movement>, snapshot: &LedgerSnapshot) -> Result<LedgerPlan, Overflow> {
    let mut out = LedgerPlan::default();
    let mut fresh: BTreeMap<(StockKey, SortKey), Movement> = BTreeMap::new();
    // Where each new id sits in `fresh`, so a repeated id is found at once.
    let mut fresh_ids: HashMap<MovementId, (StockKey, SortKey)> = HashMap::new();
    for row in rows {
        match snapshot.existing.get(&row.id) {
            Some(stored) if *stored == row => out.duplicates += 1,
            Some(_) => out.conflicts.push(row.id.clone()),
            None => {
                let sort = row.sort_key();
                if let Some(place) = fresh_ids.get(&row.id) {
                    if fresh.get(place) == Some(&row) {
                        out.duplicates += 1;
                    } else {
                        out.conflicts.push(row.id.clone());
                    }
                    continue;
                }
                fresh_ids.insert(row.id.clone(), (row.key.clone(), sort.clone()));
                fresh.insert((row.key.clone(), sort), row);
            }
        }
    }
    // Batch deltas per key, for counts that need "deltas after" them.
    let mut batch_deltas: HashMap<&StockKey, Vec<(Timestamp, Decimal)>> = HashMap::new();
    for row in fresh.values() {
        if let Amount::Delta(d) = row.amount {
            batch_deltas
                .entry(&row.key)
                .or_default()
                .push((row.occurred_at, d));
        }
    }
    let mut balances: BTreeMap<StockKey, StoredBalance> = BTreeMap::new();
    for ((key, sort), row) in &fresh {
        let overflow = || Overflow {
            id: row.id.clone(),
            key: key.clone(),
        };
        let balance = balances.entry(key.clone()).or_insert_with(|| {
            snapshot.balances.get(key).cloned().unwrap_or(StoredBalance {
                quantity: Decimal::ZERO,
                count: None,
                last_movement_at: row.occurred_at,
            })
        });
        balance.last_movement_at = balance.last_movement_at.max(row.occurred_at);
        let after_latest_count = match &balance.count {
            None => true,
            Some((at, id)) => (sort.occurred_at, sort.is_count, &sort.id) > (*at, true, id),
        };
        match row.amount {
            Amount::Delta(d) => {
                if after_latest_count {
                    balance.quantity = balance.quantity.checked_add(d).ok_or_else(overflow)?;
                }
            }
            Amount::Counted(counted) => {
                if after_latest_count {
                    // Deltas after this count: stored ones and this batch's.
                    let stored = snapshot.deltas_after.get(key).map(Vec::as_slice).unwrap_or(&[]);
                    let batch = batch_deltas.get(key).map(Vec::as_slice).unwrap_or(&[]);
                    let later = checked_sum(
                        stored
                            .iter()
                            .chain(batch)
                            .filter(|(t, _)| *t > row.occurred_at)
                            .map(|(_, d)| *d),
                    )
                    .ok_or_else(overflow)?;
                    // Batch deltas after this count are added again when
                    // their turn comes (they sort after it): count them once.
                    let batch_later = checked_sum(
                        batch
                            .iter()
                            .filter(|(t, _)| *t > row.occurred_at)
                            .map(|(_, d)| *d),
                    )
                    .ok_or_else(overflow)?;
                    balance.quantity = counted
                        .checked_add(later)
                        .and_then(|q| q.checked_sub(batch_later))
                        .ok_or_else(overflow)?;
                    balance.count = Some((row.occurred_at, row.id.clone()));
                }
            }
        }
    }
    out.inserts = fresh.into_values().collect();
    out.balances = balances;
    Ok(out)
}

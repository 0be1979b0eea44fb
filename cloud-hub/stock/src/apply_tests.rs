//! The stored-balance plan agrees with the pure ledger: for random rows
//! (deltas and stocktake counts on a few keys, at colliding instants),
//! written in random batches in random order through a simulated store,
//! every stored balance equals the pure ledger's on hand, and writing a
//! batch again changes nothing.

use super::apply::{LedgerSnapshot, StoredBalance, counts_needing_deltas, plan};
use super::ledger::{Ledger, NegativeStockPolicy};
use super::movement::{Amount, Movement, MovementId, MovementKind, StockKey};
use super::test_support::{at, code};
use mes_protocols::Timestamp;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// A store reduced to what the plan reads and writes.
#[derive(Default)]
struct SimStore {
    rows: HashMap<MovementId, Movement>,
    balances: HashMap<StockKey, StoredBalance>,
}

impl SimStore {
    fn write(&mut self, batch: Vec<Movement>) -> usize {
        let mut snapshot = LedgerSnapshot::default();
        for row in &batch {
            if let Some(stored) = self.rows.get(&row.id) {
                snapshot.existing.insert(row.id.clone(), stored.clone());
            }
            if let Some(b) = self.balances.get(&row.key) {
                snapshot.balances.insert(row.key.clone(), b.clone());
            }
        }
        for (key, from) in counts_needing_deltas(&batch) {
            let deltas: Vec<(Timestamp, Decimal)> = self
                .rows
                .values()
                .filter(|m| m.key == key && m.occurred_at > from)
                .filter_map(|m| match m.amount {
                    Amount::Delta(d) => Some((m.occurred_at, d)),
                    Amount::Counted(_) => None,
                })
                .collect();
            snapshot.deltas_after.insert(key, deltas);
        }
        let plan = plan(batch, &snapshot).expect("generated rows stay far inside the decimal range");
        assert!(plan.conflicts.is_empty(), "generated rows never conflict");
        let inserted = plan.inserts.len();
        for row in plan.inserts {
            self.rows.insert(row.id.clone(), row);
        }
        self.balances.extend(plan.balances);
        inserted
    }
}

fn key(i: u8) -> StockKey {
    StockKey::new(code(&format!("M{}", i % 2)), None, code(&format!("L{}", i / 2)))
}

fn row_strategy() -> impl Strategy<Value = (u8, i64, bool, i64)> {
    // (key 0..4, minute 0..20 — collisions on purpose, count?, quantity)
    (0u8..4, 0i64..20, prop::bool::weighted(0.2), -50i64..100)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn stored_balances_equal_the_pure_ledger(
        specs in prop::collection::vec(row_strategy(), 1..60),
        cuts in prop::collection::vec(0usize..60, 0..6),
        shuffle_seed in any::<u64>(),
    ) {
        let rows: Vec<Movement> = specs
            .iter()
            .enumerate()
            .map(|(i, (k, minute, is_count, q))| {
                let id = MovementId::document(code(&format!("D{i}")), 0);
                if *is_count {
                    Movement::stocktake(id, key(*k), Decimal::from(q.abs()), at(*minute))
                } else {
                    Movement::delta(id, MovementKind::Adjustment, key(*k), Decimal::from(*q), at(*minute))
                }
            })
            .collect();
        let mut pure = Ledger::new(NegativeStockPolicy::Allowed);
        for row in &rows {
            pure.apply(row.clone()).expect("generated rows are valid");
        }
        // Arrival order: a deterministic shuffle, then cut into batches.
        let mut arrival = rows.clone();
        let mut state = shuffle_seed | 1;
        for i in (1..arrival.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            arrival.swap(i, usize::try_from(state % (i as u64 + 1)).unwrap_or(0));
        }
        let mut cuts: Vec<usize> = cuts.into_iter().filter(|c| *c < arrival.len()).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut store = SimStore::default();
        let mut start = 0;
        for end in cuts.into_iter().chain([arrival.len()]) {
            store.write(arrival[start..end].to_vec());
            start = end;
        }
        for k in 0..4 {
            let stored = store.balances.get(&key(k)).map_or(Decimal::ZERO, |b| b.quantity);
            prop_assert_eq!(stored, pure.on_hand(&key(k), None), "key {}", key(k));
        }
        // Replaying everything as one batch inserts nothing and changes nothing.
        let before = store.balances.clone();
        prop_assert_eq!(store.write(rows), 0);
        prop_assert_eq!(&store.balances, &before);
    }
}

#[test]
fn a_balance_that_would_overflow_is_refused_naming_the_row_not_a_panic() {
    use super::apply::Overflow;
    let huge = Decimal::MAX;
    let row = |n: i64| {
        Movement::delta(
            MovementId::document(code(&format!("D{n}")), 0),
            MovementKind::Issue,
            key(0),
            -huge,
            at(n),
        )
    };
    let second = row(2);
    let refused = plan(vec![row(1), second.clone()], &LedgerSnapshot::default());
    assert_eq!(
        refused,
        Err(Overflow {
            id: second.id,
            key: key(0)
        })
    );
}

//! The projection while several agents ingest at once: one agent catching
//! up in large batches while others trickle, and the projection stepping
//! all the while. Every stock-moving event must be booked exactly once,
//! and the ledger must equal a rebuild from the log.
//!
//! On PostgreSQL, row ids are taken at insert and become visible at commit;
//! batches of different agents that committed out of id order once let a
//! step move the cursor past an earlier batch still committing, which was
//! then never booked (issue 11). This case is what found that.

use crate::fixtures::agent_in;
use crate::floor::{Floor, factory};
use cloud_hub::projection::{check_books, project_step, rebuild};
use cloud_hub::stock::{MovementKind, MovementSource};
use cloud_hub::store::Store;
use cloud_hub::store::TenantId;
use mes_protocols::{EventDraft, ExecutionId, Incarnation, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Seeds run per test run; `MES_CONCURRENCY_SEEDS` (a count) runs more.
fn seeds() -> Vec<u64> {
    let count = std::env::var("MES_CONCURRENCY_SEEDS")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(2);
    (0..count).map(|i| 0x5eed_0000 + i).collect()
}

/// How one agent sends: `batches` batches of `size` consumptions.
struct Sender {
    floor: Floor,
    batches: usize,
    size: usize,
}

/// Sends every batch of `sender` (consumptions of 1 pcs BOLT at seeded
/// minutes); returns the event ids sent.
async fn send_all(store: Store, mut sender: Sender, seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let t0 = 1_780_000_000_000_i64;
    let mut ids = Vec::new();
    for _ in 0..sender.batches {
        let drafts: Vec<EventDraft> = (0..sender.size)
            .map(|_| {
                let at = Timestamp::from_unix_millis(t0 + rng.random_range(0..10_000) * 60_000);
                sender.floor.consumed(at, "BOLT", None, "1", "pcs")
            })
            .collect();
        ids.extend(drafts.iter().map(|d| d.id.to_string()));
        sender.floor.send(&store, &drafts).await;
        if rng.random_bool(0.3) {
            tokio::task::yield_now().await;
        }
    }
    ids
}

/// Every `material_consumed` booked as exactly one issue row, whatever
/// the interleaving of five agents' commits and the projection's steps;
/// the books check finds nothing unbooked and a rebuild gives the same
/// ledger.
pub async fn concurrent_agents_are_all_booked(db: &crate::harness::TestDb) {
    let store = &db.store;
    for seed in seeds() {
        let name = format!("conc-{seed:x}");
        let first = factory(store, &name).await;
        let tenant = first.tenant;
        let mut senders = vec![Sender {
            floor: first,
            batches: 6,
            size: 400,
        }];
        for i in 0..4 {
            let agent = agent_in(store, &name, &format!("trickle-{i}")).await;
            senders.push(Sender {
                floor: Floor {
                    agent,
                    tenant,
                    incarnation: Incarnation::new_v7(),
                    next_seq: 1,
                    execution: ExecutionId::new_v7(),
                },
                batches: 150,
                size: 3,
            });
        }
        let done = Arc::new(AtomicBool::new(false));
        let projecting = {
            let (store, tenant, done) = (store.clone(), tenant, done.clone());
            tokio::spawn(async move {
                let mut context = None;
                let mut rng = StdRng::seed_from_u64(seed);
                while !done.load(Ordering::Acquire) {
                    let step = project_step(&store, tenant, &mut context, rng.random_range(1..300))
                        .await
                        .expect("projection works");
                    if step.events == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        };
        let sending: Vec<_> = senders
            .into_iter()
            .enumerate()
            // On PostgreSQL each agent through a store of its own, as if
            // each talked to a hub of its own on the same database (one
            // SQLite file has one hub).
            .map(|(i, s)| {
                let through = if store.backend_name() == "sqlite" {
                    store.clone()
                } else {
                    db.reopen()
                };
                tokio::spawn(send_all(through, s, seed + i as u64))
            })
            .collect();
        let mut sent = BTreeSet::new();
        for task in sending {
            sent.extend(task.await.expect("a sender finishes"));
        }
        done.store(true, Ordering::Release);
        projecting.await.expect("the projection task finishes");
        let mut context = None;
        while project_step(store, tenant, &mut context, 1000)
            .await
            .expect("projection works")
            .events
            > 0
        {}

        let booked = issue_rows(store, tenant).await;
        let missing: Vec<&String> = sent.iter().filter(|id| !booked.contains_key(*id)).collect();
        assert!(
            missing.is_empty(),
            "seed {seed:#x}: {} of {} consumptions never booked, e.g. {:?}",
            missing.len(),
            sent.len(),
            missing.iter().take(3).collect::<Vec<_>>()
        );
        assert!(booked.values().all(|n| *n == 1), "one issue row per event");
        assert_eq!(booked.len(), sent.len(), "seed {seed:#x}");
        let books = check_books(store, tenant).await.expect("the books check runs");
        assert!(books.unbooked.is_empty(), "seed {seed:#x}: {books:?}");
        assert_eq!(books.events_checked, sent.len() as u64);

        let before = all_rows(store, tenant).await;
        rebuild(store, tenant, 500).await.expect("rebuild works");
        assert_eq!(
            all_rows(store, tenant).await,
            before,
            "seed {seed:#x}: ledger = rebuild"
        );
    }
}

/// Issue rows by source event id: how many each.
async fn issue_rows(store: &Store, tenant: TenantId) -> BTreeMap<String, usize> {
    let mut rows = BTreeMap::new();
    for m in store.all_movements(tenant).await.expect("movements read") {
        if let (MovementKind::Issue, MovementSource::Event(id)) = (m.kind, &m.id.source) {
            *rows.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    rows
}

/// Every ledger row of the tenant, as comparable text, sorted.
async fn all_rows(store: &Store, tenant: TenantId) -> Vec<String> {
    let mut rows: Vec<String> = store
        .all_movements(tenant)
        .await
        .expect("movements read")
        .iter()
        .map(|m| format!("{m:?}"))
        .collect();
    rows.sort();
    rows
}

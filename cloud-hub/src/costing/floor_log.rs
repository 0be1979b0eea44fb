//! The floor facts of each tenant (runs, output, clock-ins, machine
//! states), read from the event log once and then extended with the rows
//! stored since, so a page or report that needs them reads only what is
//! new instead of the tenant's whole floor history each time.
//!
//! Why it is exact: the log is append-only and a tenant's rows become
//! visible in row order on both stores (PostgreSQL takes the tenant's log
//! lock at ingest, see the store's `lock_tenant_log`), so a cursor per
//! (site, kind) never skips a row. A late event (an agent that was
//! offline) has a new row and an old instant; it is read as any new row
//! and sorted into place, so the facts equal a fresh read.
//!
//! It is a cache, recomputable from the database at any time: several hub
//! processes on one database each keep their own. Its size is bounded
//! ([`MAX_CACHED_FACTS`] over all tenants, least recently used dropped
//! first); a tenant larger than the bound is read whole each time, as
//! before the cache.
//!
//! [`relevant_to`] narrows the facts to what the run times of a set of
//! orders depend on, so costing one order reads no other order's work.

use super::load::{COSTING_EVENT_KINDS, read_fact};
use super::time::{FloorFact, TimedFact};
use crate::error::HubError;
use crate::store::TenantId;
use crate::store::{Store, StoreInstance};
use mes_protocols::Code;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// Facts kept over every cached tenant (about 100 bytes each).
pub const MAX_CACHED_FACTS: usize = 4_000_000;

/// Rows read per query.
const PAGE: usize = 5000;

/// One tenant's facts and where each of its reads stopped.
#[derive(Default)]
struct TenantFloor {
    /// Sorted by (at, row).
    facts: Arc<Vec<TimedFact>>,
    /// The last row read per (site, kind).
    cursors: BTreeMap<(String, &'static str), i64>,
}

type Key = (StoreInstance, TenantId);

/// Every cached tenant, with when each was last used.
#[derive(Default)]
struct Cache {
    tenants: HashMap<Key, (Arc<tokio::sync::Mutex<TenantFloor>>, u64)>,
    tick: u64,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn lock(cache: &Mutex<Cache>) -> std::sync::MutexGuard<'_, Cache> {
    // A panic while holding the lock leaves at worst a stale entry, which
    // the next read extends; never a reason to stop answering.
    cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The entry of `key`, made if missing, marked as just used.
fn entry(key: Key) -> Arc<tokio::sync::Mutex<TenantFloor>> {
    let mut cache = lock(cache());
    cache.tick += 1;
    let tick = cache.tick;
    let slot = cache.tenants.entry(key).or_default();
    slot.1 = tick;
    slot.0.clone()
}

/// Drops least recently used tenants until the facts of the others fit,
/// never `keep`; reports whether `keep` (of `size` facts) may stay.
fn trim(keep: Key, size: usize) -> bool {
    if size > MAX_CACHED_FACTS {
        lock(cache()).tenants.remove(&keep);
        return false;
    }
    let mut cache = lock(cache());
    let mut sizes: Vec<(u64, Key, usize)> = cache
        .tenants
        .iter()
        .filter(|(k, _)| **k != keep)
        .map(|(k, (floor, used))| {
            // A tenant being read right now counts as empty; it is trimmed
            // on its own read.
            let facts = floor.try_lock().map(|f| f.facts.len()).unwrap_or(0);
            (*used, *k, facts)
        })
        .collect();
    let mut total: usize = size + sizes.iter().map(|s| s.2).sum::<usize>();
    sizes.sort_unstable_by_key(|s| s.0);
    for (_, key, facts) in sizes {
        if total <= MAX_CACHED_FACTS {
            break;
        }
        cache.tenants.remove(&key);
        total -= facts;
    }
    true
}

/// Reads the rows of `tenant` stored after `cursors` into `fresh`, moving
/// each cursor past what it read (also when a later read fails).
async fn read_new(
    store: &Store,
    tenant: TenantId,
    cursors: &mut BTreeMap<(String, &'static str), i64>,
    fresh: &mut Vec<TimedFact>,
) -> Result<(), HubError> {
    let sites: BTreeSet<String> = store
        .list_agents(tenant)
        .await
        .map_err(HubError::Store)?
        .into_iter()
        .map(|a| a.site)
        .collect();
    for site in &sites {
        // One kind at a time, each read straight from the (tenant, kind,
        // row) index.
        for kind in COSTING_EVENT_KINDS {
            let cursor = cursors.entry((site.clone(), *kind)).or_insert(0);
            loop {
                let page = store
                    .site_events_after(tenant, site.clone(), *cursor, std::slice::from_ref(kind), PAGE)
                    .await
                    .map_err(HubError::Store)?;
                fresh.extend(page.iter().filter_map(|e| {
                    read_fact(&e.raw).map(|(_, fact)| TimedFact {
                        // Hub time (the log's column), as the ledger dates it.
                        at: e.occurred_at,
                        row: e.id,
                        fact,
                    })
                }));
                if let Some(last) = page.last() {
                    *cursor = last.id;
                }
                if page.len() < PAGE {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Extends `floor` with the rows stored since its cursors. What was read
/// is kept even when a read fails (cursors and facts move together).
async fn extend(store: &Store, tenant: TenantId, floor: &mut TenantFloor) -> Result<(), HubError> {
    let mut fresh: Vec<TimedFact> = Vec::new();
    let read = read_new(store, tenant, &mut floor.cursors, &mut fresh).await;
    if !fresh.is_empty() {
        let facts = Arc::make_mut(&mut floor.facts);
        facts.extend(fresh);
        // Mostly sorted already (new rows are mostly new instants); the
        // sort is adaptive to that.
        facts.sort_by_key(|f| (f.at, f.row));
    }
    read
}

/// The floor facts of every site of `tenant`, sorted by (at, row): those
/// cached, extended with what was stored since. Events that cannot be
/// read are left out (the projection reports them).
pub async fn floor_facts(store: &Store, tenant: TenantId) -> Result<Arc<Vec<TimedFact>>, HubError> {
    let key = (store.instance(), tenant);
    let slot = entry(key);
    let mut floor = slot.lock().await;
    extend(store, tenant, &mut floor).await?;
    let facts = floor.facts.clone();
    if !trim(key, facts.len()) {
        tracing::debug!(%tenant, facts = facts.len(), "floor facts past the cache's bound; read whole each time");
    }
    Ok(facts)
}

/// The facts the run times of `orders` depend on: every fact of their runs,
/// and of the other runs that share a worker or a machine with them (a
/// worker's or machine's time is split between the runs active at once),
/// the clock-ins of those workers and the states of those machines. Costing
/// these gives the same figures for `orders` as costing all facts.
pub fn relevant_to(facts: &[TimedFact], orders: &BTreeSet<Code>) -> Vec<TimedFact> {
    let mut own: BTreeSet<&str> = BTreeSet::new();
    let mut workers: BTreeSet<&Code> = BTreeSet::new();
    let mut machines: BTreeSet<&Code> = BTreeSet::new();
    for f in facts {
        match &f.fact {
            FloorFact::Started {
                execution,
                order,
                equipment,
                workers: on,
                ..
            } if orders.contains(order) => {
                own.insert(execution);
                machines.insert(equipment);
                workers.extend(on);
            }
            FloorFact::Output { execution, order, .. } if orders.contains(order) => {
                own.insert(execution);
            }
            _ => {}
        }
    }
    let mut runs: BTreeSet<&str> = own;
    for f in facts {
        if let FloorFact::Started {
            execution,
            equipment,
            workers: on,
            ..
        } = &f.fact
            && (machines.contains(equipment) || on.iter().any(|w| workers.contains(w)))
        {
            runs.insert(execution);
        }
    }
    facts
        .iter()
        .filter(|f| match &f.fact {
            FloorFact::Started { execution, .. }
            | FloorFact::Output { execution, .. }
            | FloorFact::Paused(execution)
            | FloorFact::Resumed(execution)
            | FloorFact::Finished(execution) => runs.contains(execution.as_str()),
            FloorFact::Clock { worker, .. } => workers.contains(worker),
            FloorFact::Equipment { equipment, .. } => machines.contains(equipment),
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::costing::time::{run_times, runs};
    use crate::stock::test_support::code;

    const MIN: i64 = 60_000;

    fn at(minute: i64, fact: FloorFact) -> TimedFact {
        TimedFact {
            at: minute * MIN,
            row: minute,
            fact,
        }
    }

    fn started(execution: &str, order: &str, equipment: &str, workers: &[&str]) -> FloorFact {
        FloorFact::Started {
            execution: execution.into(),
            order: code(order),
            operation: code("10"),
            equipment: code(equipment),
            workers: workers.iter().map(|w| code(w)).collect(),
        }
    }

    fn clock(worker: &str, clocked_in: bool) -> FloorFact {
        FloorFact::Clock {
            worker: code(worker),
            clocked_in,
        }
    }

    fn running(equipment: &str, running: bool) -> FloorFact {
        FloorFact::Equipment {
            equipment: code(equipment),
            running,
        }
    }

    /// MO-1's run A (M1, W1) shares W1 with MO-2's run B (M2) and M1 with
    /// MO-3's run C (W2); MO-4's run D (M3, W3) shares nothing. A's labour
    /// and machine time from the narrowed facts equal those from all.
    #[test]
    fn narrowed_facts_give_the_same_times_for_the_orders() {
        let facts = vec![
            at(0, clock("W1", true)),
            at(0, clock("W2", true)),
            at(0, clock("W3", true)),
            at(1, running("M1", true)),
            at(2, started("A", "MO-1", "M1", &["W1"])),
            at(3, started("B", "MO-2", "M2", &["W1"])),
            at(4, started("C", "MO-3", "M1", &["W2"])),
            at(5, started("D", "MO-4", "M3", &["W3"])),
            at(20, FloorFact::Paused("A".into())),
            at(25, running("M3", false)),
            at(30, FloorFact::Resumed("A".into())),
            at(40, FloorFact::Finished("B".into())),
            at(45, clock("W1", false)),
            at(50, FloorFact::Finished("A".into())),
            at(55, FloorFact::Finished("C".into())),
            at(60, FloorFact::Finished("D".into())),
        ];
        let orders = BTreeSet::from([code("MO-1")]);
        let narrowed = relevant_to(&facts, &orders);
        assert!(
            !narrowed
                .iter()
                .any(|f| matches!(&f.fact, FloorFact::Started { execution, .. } if execution == "D")),
            "MO-4's run shares nothing with MO-1 and is left out"
        );
        assert!(
            !narrowed.iter().any(
                |f| matches!(&f.fact, FloorFact::Equipment { equipment, .. } if equipment.as_str() == "M3")
            ),
            "M3's states are left out"
        );
        let as_of = 90 * MIN;
        let whole = run_times(&runs(&facts, as_of).unwrap(), &facts, as_of).unwrap();
        let part = run_times(&runs(&narrowed, as_of).unwrap(), &narrowed, as_of).unwrap();
        assert_eq!(part["A"], whole["A"]);
        // W1 shared with B from 3 to 20 and 30 to 40: A's labour is less
        // than its active time, so the sharing was counted.
        assert!(whole["A"].labour_ms[&code("W1")] < whole["A"].active_ms);
    }
}

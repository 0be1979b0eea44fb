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
//! The facts are kept grouped ([`FloorIndex`]), so the facts a few orders'
//! run times depend on ([`facts_for_orders`]) are found without a pass
//! over the tenant's whole floor history.

use super::floor_events::{COSTING_EVENT_KINDS, read_fact};
use super::floor_index::FloorIndex;
use super::time::TimedFact;
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
    /// The facts, grouped.
    index: FloorIndex,
    /// Every fact sorted by (at, row), made when first asked for after a
    /// change.
    all: Option<Arc<Vec<TimedFact>>>,
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
            let facts = floor.try_lock().map(|f| f.index.len()).unwrap_or(0);
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
        floor.all = None;
        for fact in fresh {
            floor.index.insert(fact);
        }
    }
    read
}

/// Runs `answer` on `tenant`'s cached floor, extended with what was stored
/// since it was last read.
async fn with_floor<T>(
    store: &Store,
    tenant: TenantId,
    answer: impl FnOnce(&mut TenantFloor) -> T,
) -> Result<T, HubError> {
    let key = (store.instance(), tenant);
    let slot = entry(key);
    let mut floor = slot.lock().await;
    extend(store, tenant, &mut floor).await?;
    let out = answer(&mut floor);
    if !trim(key, floor.index.len()) {
        tracing::debug!(%tenant, facts = floor.index.len(), "floor facts past the cache's bound; read whole each time");
    }
    Ok(out)
}

/// The floor facts of every site of `tenant`, sorted by (at, row). Events
/// that cannot be read are left out (the projection reports them).
pub async fn floor_facts(store: &Store, tenant: TenantId) -> Result<Arc<Vec<TimedFact>>, HubError> {
    with_floor(store, tenant, |floor| {
        floor
            .all
            .get_or_insert_with(|| Arc::new(floor.index.all()))
            .clone()
    })
    .await
}

/// The floor facts of `tenant` that the run times of `orders` depend on
/// ([`FloorIndex::for_orders`]), sorted by (at, row).
pub async fn facts_for_orders(
    store: &Store,
    tenant: TenantId,
    orders: &BTreeSet<Code>,
) -> Result<Vec<TimedFact>, HubError> {
    with_floor(store, tenant, |floor| floor.index.for_orders(orders)).await
}

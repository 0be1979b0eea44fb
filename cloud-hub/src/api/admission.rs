//! What the hub takes on at once, so a burst cannot take its memory or its
//! CPU: a global budget of bytes that ingest bodies may hold in memory
//! together ([`MemoryBudget`]) and a per-tenant limit on planning
//! computations running at once ([`TenantGate`]).
//!
//! Both answer "not now" instead of queueing without end: ingest gets 503
//! with `Retry-After` (the agent retries with backoff and keeps its
//! events), planning 429. Size limits per request are elsewhere (the route
//! book's body limits); these bound the sum over requests.

use crate::store::TenantId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes per permit: the semaphore counts KiB so a budget of terabytes
/// still fits its `u32` permits per call.
const UNIT: usize = 1024;

/// A budget of bytes shared by every request that holds a body in memory.
///
/// A request reserves before it reads what it may cost (its
/// `Content-Length` and a guess at the inflated size), then sets its
/// reservation to what it will cost once the gzip trailer states the
/// inflated size, giving back or waiting for the difference. A reservation larger than the whole budget is
/// cut to the budget: such a request runs alone rather than never.
#[derive(Debug, Clone)]
pub struct MemoryBudget {
    permits: Arc<Semaphore>,
    total_units: u32,
    wait: Duration,
}

/// Bytes of a [`MemoryBudget`] held until dropped.
#[derive(Debug)]
pub struct Reservation {
    permit: Option<OwnedSemaphorePermit>,
    units: u32,
}

/// The budget has no room now (answer 503 with `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    /// Bytes the request asked for in all.
    pub wanted: usize,
    /// The whole budget, bytes.
    pub total: usize,
}

impl MemoryBudget {
    /// A budget of `bytes`; a request waits at most `wait` for room.
    pub fn new(bytes: usize, wait: Duration) -> Self {
        let total_units = u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX).max(1);
        Self {
            permits: Arc::new(Semaphore::new(total_units as usize)),
            total_units,
            wait,
        }
    }

    /// The whole budget, bytes.
    pub fn total(&self) -> usize {
        self.total_units as usize * UNIT
    }

    /// Bytes not reserved now.
    pub fn available(&self) -> usize {
        self.permits.available_permits() * UNIT
    }

    /// An empty reservation to grow.
    pub fn empty(&self) -> Reservation {
        Reservation {
            permit: None,
            units: 0,
        }
    }

    /// Sets `reservation` to hold `bytes` in all: gives back what it holds
    /// beyond that at once, or waits at most the budget's wait for room to
    /// grow.
    pub async fn reserve_total(&self, reservation: &mut Reservation, bytes: usize) -> Result<(), OverBudget> {
        let wanted_units = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .min(self.total_units);
        if wanted_units <= reservation.units {
            let spare = reservation.units - wanted_units;
            if spare > 0
                && let Some(held) = &mut reservation.permit
            {
                // Dropping the split-off part returns it to the budget.
                drop(held.split(spare as usize));
                reservation.units = wanted_units;
            }
            return Ok(());
        }
        let more = wanted_units - reservation.units;
        let over = OverBudget {
            wanted: bytes,
            total: self.total(),
        };
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_many_owned(more))
            .await
            .map_err(|_| over)?
            // The semaphore is never closed.
            .map_err(|_| over)?;
        match &mut reservation.permit {
            Some(held) => held.merge(permit),
            None => reservation.permit = Some(permit),
        }
        reservation.units += more;
        Ok(())
    }
}

/// Limits how many computations of one kind a tenant runs at once.
#[derive(Debug, Clone)]
pub struct TenantGate {
    running: Arc<Mutex<HashMap<TenantId, usize>>>,
    per_tenant: usize,
}

/// A place in a [`TenantGate`], given back when dropped.
#[derive(Debug)]
pub struct GatePass {
    running: Arc<Mutex<HashMap<TenantId, usize>>>,
    tenant: TenantId,
}

impl TenantGate {
    /// At most `per_tenant` at once per tenant.
    pub fn new(per_tenant: usize) -> Self {
        Self {
            running: Arc::default(),
            per_tenant: per_tenant.max(1),
        }
    }

    /// How many a tenant may run at once.
    pub fn per_tenant(&self) -> usize {
        self.per_tenant
    }

    /// A place for `tenant`, or `None` when it runs as many as allowed.
    pub fn try_enter(&self, tenant: TenantId) -> Option<GatePass> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let count = running.entry(tenant).or_insert(0);
        if *count >= self.per_tenant {
            return None;
        }
        *count += 1;
        Some(GatePass {
            running: self.running.clone(),
            tenant,
        })
    }
}

impl Drop for GatePass {
    fn drop(&mut self) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = running.get_mut(&self.tenant) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                running.remove(&self.tenant);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_share_the_budget_and_give_it_back() {
        let budget = MemoryBudget::new(10 * UNIT, Duration::from_millis(20));
        let mut a = budget.empty();
        budget
            .reserve_total(&mut a, 6 * UNIT)
            .await
            .expect("room for 6 of 10");
        budget
            .reserve_total(&mut a, 8 * UNIT)
            .await
            .expect("grows within the budget");
        budget.reserve_total(&mut a, 6 * UNIT).await.expect("shrinks");
        assert_eq!(budget.available(), 4 * UNIT, "what it gave back is free");
        let mut b = budget.empty();
        assert_eq!(
            budget.reserve_total(&mut b, 5 * UNIT).await,
            Err(OverBudget {
                wanted: 5 * UNIT,
                total: 10 * UNIT
            })
        );
        budget.reserve_total(&mut b, 4 * UNIT).await.expect("room for 4");
        drop(a);
        assert_eq!(budget.available(), 6 * UNIT);
        // Larger than the whole budget: cut to it, so it runs alone.
        drop(b);
        let mut huge = budget.empty();
        budget
            .reserve_total(&mut huge, 100 * UNIT)
            .await
            .expect("runs alone");
        assert_eq!(budget.available(), 0);
    }

    #[test]
    fn a_tenant_runs_at_most_its_share() {
        // Tenant ids come only from the store: two real ones.
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = crate::store::Store::open_sqlite(&dir.path().join("hub.db")).expect("a store");
        let a = store.create_tenant("a").expect("tenant a");
        let b = store.create_tenant("b").expect("tenant b");
        let gate = TenantGate::new(2);
        let first = gate.try_enter(a).expect("first");
        let _second = gate.try_enter(a).expect("second");
        assert!(gate.try_enter(a).is_none(), "third refused");
        assert!(gate.try_enter(b).is_some(), "other tenants are not held up");
        drop(first);
        assert!(gate.try_enter(a).is_some(), "a place comes back");
    }
}

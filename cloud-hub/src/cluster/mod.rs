//! Several hubs on one database: which replica does which tenant's
//! background work.
//!
//! Requests are stateless (sessions, tokens, login counts, plans live in
//! the database), so any replica answers any request. Background work
//! is not: a projection step, a books check or a re-plan of a tenant
//! must be done by one replica at a time. Projection steps and re-plans
//! are written through [`Ownership::store_for`]'s fenced handle, so one
//! written after the lease was lost is refused in its own transaction. On PostgreSQL each tenant's
//! background work is leased (`keeper.rs` keeps this replica's leases,
//! `spread.rs` says how many it takes, the store's `leases.rs` holds the
//! protocol and the fence every step is written under); on SQLite one
//! hub serves the file (`serve_lock.rs`) and does every tenant. Live
//! notices between replicas are `live_relay.rs`'s.
//!
//! [`Ownership`] is what the background tasks ask: "which tenants are
//! mine now, and with which store handle" (fenced by the tenant's lease
//! on PostgreSQL).

pub mod config;
pub mod keeper;
pub mod spread;

pub use config::ClusterConfig;
pub use keeper::{HeldLease, HeldLeases};

use crate::store::{Store, StoreError, TenantId};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use tokio::sync::watch;

/// Which tenants' background work this replica does.
#[derive(Clone, Debug)]
pub enum Ownership {
    /// Every tenant (SQLite: the only hub on its file).
    Alone,
    /// The tenants whose leases the keeper holds (PostgreSQL).
    Leased(watch::Receiver<Arc<HeldLeases>>),
}

/// A tenant this replica works on now.
#[derive(Clone)]
pub struct Assignment {
    /// The tenant.
    pub tenant: TenantId,
    /// Its short name.
    pub slug: String,
    /// The store to work with: fenced by the tenant's lease when leased,
    /// so a step written after the lease was lost is refused.
    pub store: Store,
    /// Events projected under this assignment (reported by `/healthz`).
    pub projected: Arc<AtomicU64>,
}

impl Ownership {
    /// Whether `tenant`'s background work is this replica's now.
    pub fn owns(&self, tenant: TenantId) -> bool {
        match self {
            Ownership::Alone => true,
            Ownership::Leased(held) => {
                let held = held.borrow();
                let now = std::time::Instant::now();
                held.valid(now).any(|l| l.fence.tenant == tenant)
            }
        }
    }

    /// The store handle to write `tenant`'s background work with: `store`
    /// itself when alone, fenced by the tenant's lease when leased, `None`
    /// when the lease is not (or no longer) this replica's.
    pub fn store_for(&self, store: &Store, tenant: TenantId) -> Option<Store> {
        match self {
            Ownership::Alone => Some(store.clone()),
            Ownership::Leased(held) => {
                let held = held.borrow();
                let now = std::time::Instant::now();
                held.valid(now)
                    .find(|l| l.fence.tenant == tenant)
                    .map(|l| store.fenced(l.fence.clone()))
            }
        }
    }

    /// The tenants this replica works on now, each with its store handle.
    pub async fn assignments(&self, store: &Store) -> Result<Vec<Assignment>, StoreError> {
        match self {
            Ownership::Alone => Ok(store
                .tenants()
                .await?
                .into_iter()
                .map(|(tenant, slug)| Assignment {
                    tenant,
                    slug,
                    store: store.clone(),
                    projected: Arc::default(),
                })
                .collect()),
            Ownership::Leased(held) => {
                let held = held.borrow().clone();
                Ok(keeper::valid_leases(&held)
                    .into_iter()
                    .map(|(tenant, lease)| Assignment {
                        tenant,
                        slug: lease.slug,
                        store: store.fenced(lease.fence),
                        projected: lease.projected,
                    })
                    .collect())
            }
        }
    }

    /// What `/healthz` says of the leases: `None` when alone.
    pub fn report(&self) -> Option<serde_json::Value> {
        let Ownership::Leased(held) = self else {
            return None;
        };
        let held = held.borrow().clone();
        let now = std::time::Instant::now();
        let leases: Vec<serde_json::Value> = held
            .valid(now)
            .map(|l| {
                serde_json::json!({
                    "tenant": l.slug,
                    "fence": l.fence.token,
                    "held_ms": now.duration_since(l.taken).as_millis() as u64,
                    "projected_events": l.projected_events(),
                })
            })
            .collect();
        Some(serde_json::json!({
            "replica": &*held.replica,
            "live_replicas": held.live_replicas,
            "tenants": held.tenants,
            "leases": leases,
            "error": held.error,
        }))
    }
}

/// This replica's name: `cluster.replica_id`, else host, process id and
/// a random suffix.
pub fn replica_name(config: &ClusterConfig) -> Arc<str> {
    keeper::replica_name(config)
}

/// Starts the lease keeper of replica `replica` when `store` is shared
/// (PostgreSQL), stopped by `keeper_stop`; answers the ownership the
/// background tasks follow and the keeper's task.
pub fn start(
    store: &Store,
    config: &ClusterConfig,
    replica: Arc<str>,
    keeper_stop: tokio_util::sync::CancellationToken,
) -> (Ownership, Option<tokio::task::JoinHandle<()>>) {
    let Some(leases) = store.leases() else {
        return (Ownership::Alone, None);
    };
    tracing::info!(replica = %replica, lease_ms = config.lease_ms, renew_ms = config.renew_ms,
        "several replicas may serve this database: tenants' background work is leased");
    let (held, task) = keeper::start(leases, config, replica, keeper_stop);
    (Ownership::Leased(held), Some(task))
}

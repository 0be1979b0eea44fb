//! The lease keeper: the one task of a replica that talks to the lease
//! table. Every `renew_ms` it writes the replica's heartbeat, renews the
//! leases it holds, and takes or gives up leases so that it holds its
//! share (`spread.rs`); it publishes what it holds on a `watch` channel
//! that the background tasks read ([`super::Ownership`]). At shutdown it
//! gives every lease up at once, so the others take over at their next
//! round rather than when the leases run out.
//!
//! A lease counts here only until the time its last renewal was sent plus
//! the lease time (never later than the database's expiry), so a replica
//! cut off from the database stops working on its tenants by itself; the
//! fence checked in every step's transaction is what makes that safe
//! rather than merely likely.

use super::config::ClusterConfig;
use super::spread::{Adjust, adjust};
use crate::store::leases::Fence;
use crate::store::{Leases, TenantId};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// A lease this replica holds.
#[derive(Debug, Clone)]
pub struct HeldLease {
    /// The lease as taken.
    pub fence: Fence,
    /// The tenant's short name.
    pub slug: String,
    /// When this replica took it.
    pub taken: Instant,
    /// Until when it counts here (see the module documentation).
    pub valid_until: Instant,
    /// Events projected under it.
    pub projected: Arc<AtomicU64>,
}

impl HeldLease {
    /// Events projected under this lease so far.
    pub fn projected_events(&self) -> u64 {
        self.projected.load(Ordering::Relaxed)
    }
}

/// What the keeper published last.
#[derive(Debug, Clone)]
pub struct HeldLeases {
    /// This replica's name.
    pub replica: Arc<str>,
    /// Replicas alive at the last round, this one included.
    pub live_replicas: usize,
    /// Tenants at the last round.
    pub tenants: usize,
    /// The leases held.
    pub leases: Vec<HeldLease>,
    /// Why the last round failed, if it did.
    pub error: Option<String>,
}

impl HeldLeases {
    /// The leases that still count now.
    pub fn valid(&self, now: Instant) -> impl Iterator<Item = &HeldLease> {
        self.leases.iter().filter(move |l| l.valid_until > now)
    }
}

/// This replica's name: the configured one, else host, process id and a
/// random suffix.
pub fn replica_name(config: &ClusterConfig) -> Arc<str> {
    if !config.replica_id.is_empty() {
        return Arc::from(config.replica_id.as_str());
    }
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "hub".into());
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    Arc::from(format!("{host}-{}-{}", std::process::id(), &suffix[24..]).as_str())
}

/// Starts the keeper; answers the channel of what it holds and its task.
pub fn start(
    leases: Leases,
    config: &ClusterConfig,
    replica: Arc<str>,
    shutdown: CancellationToken,
) -> (watch::Receiver<Arc<HeldLeases>>, tokio::task::JoinHandle<()>) {
    let (sender, receiver) = watch::channel(Arc::new(HeldLeases {
        replica: replica.clone(),
        live_replicas: 1,
        tenants: 0,
        leases: Vec::new(),
        error: None,
    }));
    let keeper = Keeper {
        leases,
        replica,
        ttl: Duration::from_millis(config.lease_ms),
        every: Duration::from_millis(config.renew_ms),
        held: Vec::new(),
        sender,
        last_logged: None,
    };
    (receiver, tokio::spawn(keeper.run(shutdown)))
}

struct Keeper {
    leases: Leases,
    replica: Arc<str>,
    ttl: Duration,
    every: Duration,
    held: Vec<HeldLease>,
    sender: watch::Sender<Arc<HeldLeases>>,
    last_logged: Option<Instant>,
}

impl Keeper {
    async fn run(mut self, shutdown: CancellationToken) {
        let mut live = 1;
        let mut tenants = 0;
        loop {
            let error = match self.round().await {
                Ok((l, t)) => {
                    (live, tenants) = (l, t);
                    None
                }
                Err(e) => {
                    if self
                        .last_logged
                        .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
                    {
                        tracing::warn!(replica = %self.replica, error = %e,
                            "tenant leases: a round failed; leases not renewed run out (logged at most once a minute)");
                        self.last_logged = Some(Instant::now());
                    }
                    Some(e.to_string())
                }
            };
            let now = Instant::now();
            self.held.retain(|l| l.valid_until > now);
            self.sender.send_replace(Arc::new(HeldLeases {
                replica: self.replica.clone(),
                live_replicas: live,
                tenants,
                leases: self.held.clone(),
                error,
            }));
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.every) => {}
            }
        }
        // Hand the tenants over at once: the others take them at their
        // next round.
        self.sender.send_replace(Arc::new(HeldLeases {
            replica: self.replica.clone(),
            live_replicas: live,
            tenants,
            leases: Vec::new(),
            error: None,
        }));
        if let Err(e) = self.leases.leave(&self.replica).await {
            tracing::warn!(replica = %self.replica, error = %e, "tenant leases: giving the leases up at stop failed; they run out");
        }
    }

    /// One round: heartbeat, renew, take or give up. Answers the live
    /// replicas and tenants counted.
    async fn round(&mut self) -> Result<(usize, usize), crate::store::StoreError> {
        let sent = Instant::now();
        let live = self.leases.heartbeat(&self.replica, self.ttl).await?;
        let fences: Vec<Fence> = self.held.iter().map(|l| l.fence.clone()).collect();
        let renewed = self.leases.renew(&fences, self.ttl).await?;
        let before = std::mem::take(&mut self.held);
        for mut lease in before {
            if renewed.contains(&lease.fence) {
                lease.valid_until = sent + self.ttl;
                self.held.push(lease);
            } else {
                tracing::warn!(replica = %self.replica, tenant = %lease.slug, fence = lease.fence.token,
                    "tenant lease lost (it ran out before it was renewed); another replica takes the tenant");
            }
        }
        let tenants = self.leases.tenant_count().await?;
        match adjust(self.held.len(), tenants, live) {
            Adjust::Keep => {}
            Adjust::Release(n) => {
                // The newest first: the oldest have their context warm.
                self.held.sort_by_key(|l| std::cmp::Reverse(l.taken));
                let gone: Vec<HeldLease> = self.held.drain(..n.min(self.held.len())).collect();
                for lease in gone {
                    self.leases.release(&lease.fence).await?;
                    tracing::info!(replica = %self.replica, tenant = %lease.slug, fence = lease.fence.token,
                        live_replicas = live, "tenant lease given up to spread the tenants");
                }
            }
            Adjust::Take(n) => {
                let taken = self.leases.take(&self.replica, n, self.ttl).await?;
                for t in taken {
                    tracing::info!(replica = %self.replica, tenant = %t.slug, fence = t.fence.token,
                        live_replicas = live, "tenant lease taken");
                    self.held.push(HeldLease {
                        fence: t.fence,
                        slug: t.slug,
                        taken: Instant::now(),
                        valid_until: sent + self.ttl,
                        projected: Arc::default(),
                    });
                }
            }
        }
        Ok((live, tenants))
    }
}

/// The tenants of `held` that count now, with their leases.
pub fn valid_leases(held: &HeldLeases) -> Vec<(TenantId, HeldLease)> {
    let now = Instant::now();
    held.valid(now).map(|l| (l.fence.tenant, l.clone())).collect()
}

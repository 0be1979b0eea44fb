//! The handles that exist only when several hubs share one PostgreSQL:
//! replica heartbeats and tenant leases ([`Leases`]) and live notices
//! between replicas ([`Notices`]). [`Store::leases`](crate::Store::leases)
//! and [`Store::notices`](crate::Store::notices) give them, `None` on
//! SQLite.

use crate::postgres::{PgStore, SiteNotice};
use crate::{StoreError, TenantId, leases};
use std::sync::Arc;

/// The replica heartbeats and tenant leases on PostgreSQL
/// ([`Store::leases`]; the protocol is in [`leases`]).
#[derive(Clone)]
pub struct Leases(pub(crate) PgStore);

impl Leases {
    /// Writes `replica`'s heartbeat (alive for `ttl`); answers how many
    /// replicas are alive, this one included.
    pub async fn heartbeat(&self, replica: &str, ttl: std::time::Duration) -> Result<usize, StoreError> {
        self.0.replica_heartbeat(replica, ttl).await
    }

    /// Extends the leases of `held` that are still their holder's by
    /// `ttl`; answers those still held (the others are lost).
    pub async fn renew(
        &self,
        held: &[leases::Fence],
        ttl: std::time::Duration,
    ) -> Result<Vec<leases::Fence>, StoreError> {
        self.0.renew_leases(held, ttl).await
    }

    /// Takes up to `want` free or expired tenant leases for `holder`.
    pub async fn take(
        &self,
        holder: &Arc<str>,
        want: usize,
        ttl: std::time::Duration,
    ) -> Result<Vec<leases::Taken>, StoreError> {
        self.0.take_leases(holder, want, ttl).await
    }

    /// Gives a lease up at once.
    pub async fn release(&self, fence: &leases::Fence) -> Result<(), StoreError> {
        self.0.release_lease(fence).await
    }

    /// `replica` stops: its leases and heartbeat end now.
    pub async fn leave(&self, replica: &str) -> Result<(), StoreError> {
        self.0.leave(replica).await
    }

    /// How many tenants the replicas share.
    pub async fn tenant_count(&self) -> Result<usize, StoreError> {
        self.0.tenant_count().await
    }
}

/// Live notices between replicas on PostgreSQL ([`Store::notices`]):
/// LISTEN/NOTIFY on the channel `mes_site_changed`.
#[derive(Clone)]
pub struct Notices(pub(crate) PgStore);

impl Notices {
    /// Says to every listening replica that each of `sites` has new events;
    /// `origin` names this replica (so it can ignore its own notices).
    pub async fn notify(&self, origin: &str, sites: &[(TenantId, String)]) -> Result<(), StoreError> {
        self.0.notify_sites(origin, sites).await
    }

    /// Listens on a direct connection (to `url`, else the store's
    /// database; LISTEN needs a session, so not through PgBouncer in
    /// transaction mode) and sends every notice to `sink` until the
    /// connection ends (an error: connect again) or `sink` closes. `ready`
    /// is sent once listening.
    pub async fn listen(
        &self,
        url: Option<&str>,
        sink: tokio::sync::mpsc::Sender<SiteNotice>,
        ready: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> Result<(), StoreError> {
        self.0.listen_sites(url, sink, ready).await
    }
}

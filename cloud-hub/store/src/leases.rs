//! Tenant leases: which replica of the hub does a tenant's background work
//! (projection steps, the books check, re-planning) when several hubs
//! serve one PostgreSQL database. A SQLite file has one hub (its serve
//! lock), which does every tenant's work, so only PostgreSQL has leases
//! ([`crate::Store::leases`] is `None` on SQLite).
//!
//! The protocol (`postgres/leases.rs` runs its SQL; the hub's
//! `cluster/keeper.rs` runs it every second):
//! - every replica writes a heartbeat row that expires after the lease
//!   time; the live rows are how many replicas share the tenants;
//! - a lease is a row per tenant (holder, fencing token, expiry), taken
//!   only when free or expired, every take one more on the token
//!   (never reset), renewed by its holder before it expires;
//! - a projection step writes only under its [`Fence`]: in the step's own
//!   transaction the lease row must still name this holder and token and
//!   not have expired, and it is locked `FOR SHARE` until commit, so no
//!   other replica can take the lease while the step commits; and the
//!   step's cursor must be the one it read after
//!   ([`crate::ledger::ProjectionStep::after_event_row`]). So a replica
//!   that lost its lease cannot commit, and no step is applied twice.
//!
//! All times are the database's clock (`clock_timestamp()`): replicas'
//! clocks never decide who holds what.

use crate::TenantId;
use std::sync::Arc;

/// A lease on one tenant's background work as its holder took it: what
/// a fenced write shows the database.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fence {
    /// The tenant.
    pub tenant: TenantId,
    /// The replica holding the lease.
    pub holder: Arc<str>,
    /// The fencing token: one more at every take of the tenant's lease.
    pub token: i64,
}

/// A lease this replica took, with the tenant's short name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// The lease.
    pub fence: Fence,
    /// The tenant's short name.
    pub slug: String,
}

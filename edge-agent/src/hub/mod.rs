//! The agent's side of talking to the hub: the `[hub]` section parsed into
//! a [`HubSpec`], and the one [`HubConnection`] (HTTP client, base URL, the
//! agent's token, answers turned into a body or a [`HubFailure`]) that the
//! uplink and the downlink share. Each of them decides what a failure means
//! for it (retry, smaller batch, new incarnation; keep the cache). Every
//! success raises [`HubReachable`], which ends the uplink's backoff wait.
//!
//! Depends on nothing of the agent but the backoff-free basics: the uplink
//! and the downlink depend on it, never the other way.

mod config;
mod connection;
mod reachable;

pub use config::{Credentials, HubConfig, HubSpec};
pub use connection::{Answer, HubConnection, HubFailure};
pub use reachable::{HubReachable, ReachableWatch};

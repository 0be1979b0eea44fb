//! The downlink: pulls what the site's stations need from the hub (stations,
//! equipment, workers, materials, lots, released orders, reasons, and the
//! site's live plan; contract in
//! `protocols/src/downlink/` and `SYNC_PROTOCOL.md`), keeps it in the buffer
//! file and in memory, and keeps serving the cached copy while the hub is
//! unreachable.
//!
//! `config.rs` is the `[downlink]` section, `client.rs` one request,
//! `store.rs` the SQLite copy, `cache.rs` the in-memory lookups stations use,
//! `plan.rs` the live plan indexed for the stations, `task.rs` the pull loop.

mod cache;
mod client;
mod config;
mod plan;
mod store;
mod task;
#[cfg(test)]
mod tests;

pub use cache::{MasterData, MasterDataHandle};
pub use client::{DownlinkError, fetch};
pub use config::DownlinkConfig;
pub use plan::SitePlan;
pub use store::{CacheMeta, apply, load, load_from};
pub use task::{DownlinkStatus, DownlinkTask, StatusView};

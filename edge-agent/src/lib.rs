//! The edge agent: runs on a factory gateway, collects shop-floor events,
//! commits each to a durable local buffer before acknowledging it, and syncs
//! the buffer to the hub.
//!
//! Map: [`config`] (TOML + environment), [`buffer`] (SQLite WAL, group
//! commit, overflow policy), [`uplink`] (batches, backoff, acknowledgements),
//! [`local_api`] (health, metrics, local intake), [`generator`] (demo data),
//! [`app`] (wiring and shutdown). See ARCHITECTURE.md.

pub mod app;
pub mod backoff;
pub mod buffer;
pub mod cli;
pub mod config;
pub mod downlink;
pub mod equipment;
pub mod generator;
pub mod hub;
pub mod liveness;
pub mod local_api;
pub mod machines;
pub mod metrics;
pub mod probe_cmd;
pub mod sources;
pub mod station;
pub mod telemetry;
pub mod uplink;

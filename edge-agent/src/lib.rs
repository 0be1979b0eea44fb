//! The edge agent: runs on a factory gateway, collects shop-floor events,
//! commits each to a durable local buffer before acknowledging it, and syncs
//! the buffer to the hub.
//!
//! Map: [`config`] (the file and environment, parsed once into an
//! [`config::AgentSpec`]: each part owns and parses its own section),
//! [`buffer`] (SQLite WAL, group commit, overflow policy), [`hub`] (the one
//! connection to the hub), [`uplink`] (batches, acknowledgements),
//! [`downlink`] (master data for the stations), [`sources`] (Modbus, MQTT;
//! one contract, [`sources::start`]), [`equipment`] (what tags mean),
//! [`machines`] (sources and equipment together), [`station`] (operator
//! stations), [`liveness`] (heartbeat and outages), [`local_api`] (health,
//! metrics, local intake), [`backoff`], [`generator`] (demo data), [`app`]
//! (wiring and shutdown), [`allocator`] (malloc's arenas for `run`).
//!
//! Invariant: no part imports [`config`], [`app`] or [`cli`]; there is no
//! import cycle between modules. See ARCHITECTURE.md.

pub mod allocator;
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
pub mod sparkplug_node;
pub mod station;
pub mod telemetry;
pub mod uplink;

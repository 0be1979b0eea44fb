//! The cloud hub: multi-tenant server that stores every agent's events
//! exactly once and (in later work) keeps the ERP from them.
//!
//! Map: [`config`], [`store`] (SQLite or PostgreSQL: migrations, tenancy, ingest),
//! [`ingest`] (body → batch), [`api`] (routes, the one error mapping),
//! [`auth`] (tokens), [`metrics`], [`app`]. See ARCHITECTURE.md.

pub mod access;
pub mod admin;
pub mod allocator;
pub mod api;
pub mod app;
pub mod arith;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod console;
pub mod costing;
pub mod csv_cell;
pub mod downlink;
pub mod error;
pub mod ingest;
pub mod inventory;
pub mod live;
pub mod live_relay;
pub mod machines;
pub mod masterdata;
pub mod metrics;
pub mod oee;
pub mod planning;
pub mod production;
pub mod projection;
pub mod reports;
pub mod serve_lock;
pub use mes_hub_store as store;
pub use mes_stock as stock;
pub mod telemetry;
pub mod user_admin;

//! Operator stations: badge clock-in, order, lot and output steps, downtime
//! reasons; served as pages by the agent's HTTP server and as TCP scanner
//! ports; everything works from the downlink's cached master data, offline.
//!
//! `config.rs` (`[[station]]`), `step.rs` (what operators do, what they are
//! told), `rules/` (the pure decisions), `state.rs` (the floor state saved
//! with the events), `service.rs` (the one task that decides and commits),
//! `view.rs` (what a page shows), `web.rs` (pages and JSON API),
//! `scanner.rs` (TCP scanner ports).

mod config;
pub mod rules;
mod scanner;
mod service;
mod state;
mod step;
#[cfg(test)]
mod tests;
mod view;
mod web;

pub use config::{StationConfig, StationSpec, StationsSpec, parse, parse_stations};
pub use scanner::serve as serve_scanner;
pub use service::{StationError, StationHandle, StationService, StepReply};
pub use state::{ClockedWorker, Consumption, FLOOR_KEY, Floor, Pause, Run, StationState};
pub use step::{Answer, Step};
pub use view::StationView;
pub use web::router;

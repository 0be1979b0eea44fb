//! Finite-capacity scheduling of open production-order operations on
//! factory machines.
//!
//! The hub builds a [`Model`] (machines with calendars and setup matrices,
//! orders with due dates and weights, operations with alternative machines,
//! release times, pins and precedence arcs) with a [`ModelBuilder`], then:
//!
//! - [`solve`] builds a plan with dispatch rules and improves it by tabu search
//!   on critical blocks, minimising [`Cost`] (weighted tardiness, then makespan,
//!   then setup time), deterministically for a seed and iteration limit;
//! - [`validate`] checks any [`Plan`] against every constraint;
//! - [`reschedule`] repairs a previous plan after a change, keeping it stable.
//!
//! This crate performs no I/O (the `jssp-bench` binary reads instance files);
//! time is integer minutes from a horizon origin chosen by the caller.

mod bounds;
mod builder;
mod calendar;
mod construct;
mod decode;
mod error;
pub mod jssp;
mod model;
mod neighbourhood;
mod plan;
mod reschedule;
mod setup;
mod solve;
mod tabu;
mod validate;

pub use builder::{MAX_DURATION, MAX_WEIGHT, ModelBuilder};
pub use calendar::{Calendar, CalendarError, Interval, TIME_MAX, TIME_MIN};
pub use error::{ModelError, SolveError};
pub use model::{Alternative, Machine, MachineId, Model, OpId, Operation, Order, OrderId, Pin};
pub use plan::{Cost, Plan, ScheduledOp};
pub use reschedule::reschedule;
pub use setup::{SetupFamily, SetupMatrix};
pub use solve::{DEFAULT_ITERATIONS, Solution, SolveOptions, solve};
pub use validate::{Violation, validate};

//! Finite-capacity scheduling of open production-order operations on
//! factory machines.
//!
//! The hub builds a [`Model`] (machines with calendars and setup matrices,
//! orders with due dates and weights, operations with alternative machines,
//! release times, pins and precedence arcs) with a [`ModelBuilder`], then:
//!
//! - [`solve`] builds a plan with dispatch rules and improves it by tabu search
//!   on critical blocks, minimising [`Cost`] (weighted tardiness, then makespan,
//!   then setup time), deterministically for a seed and iteration limit; a
//!   model that is a plain job shop (see `shop/`) gets a faster search;
//! - [`validate`] checks any [`Plan`] against every constraint;
//! - [`reschedule`] repairs a previous plan after a change, keeping it stable;
//!   [`improve`] searches on from a plan for a short time.
//!
//! Time is integer minutes from a horizon origin chosen by the caller.
//!
//! # Code map
//!
//! - `model.rs`, `builder.rs`, `calendar.rs`, `setup.rs`, `error.rs`: the
//!   input types; [`ModelBuilder::build`] is the only door into a [`Model`].
//! - `plan.rs`: [`Plan`] and [`Cost`], plain data.
//! - `decode.rs`: the one place that turns machine sequences into times
//!   (calendars, pins, setups, release times). Everything that makes a plan
//!   goes through it.
//! - `construct.rs`: dispatch-rule construction (Giffler–Thompson with
//!   most-work-remaining, due date, ATC, shortest processing).
//! - `neighbourhood.rs`, `tabu.rs`: critical-path moves and the tabu search;
//!   `bounds.rs`: lower bounds for an early stop; `solve.rs`: options, threads.
//! - `shop/`: the search for models that reduce to a textbook job shop (one
//!   machine per operation, always open, no setups matrix, pins or counted
//!   due dates): heads and tails kept incrementally, N7 moves estimated from
//!   them, tabu episodes, an elite pool with recombination shared by the
//!   threads at fixed rounds. It returns machine sequences only; their
//!   times come from `decode.rs` like every plan's.
//! - `validate.rs`: the independent checker; `reschedule.rs`: stable repair.
//! - `jssp.rs`: the classic job-shop text format, for `jssp-bench` and tests.
//!
//! # Invariants
//!
//! - The crate performs no I/O and reads no clock except the wall-clock
//!   deadline of [`solve`] (the `jssp-bench` binary reads instance files).
//! - Every plan the crate returns passes [`validate`] for the model it was
//!   made for (property-tested on random models).
//! - With an iteration limit and no time limit, [`solve`] returns the same plan
//!   for the same model, seed and thread count (also when the threads share
//!   an elite pool: they exchange it only at round barriers, in thread order).
//!   With a time limit the search follows the same trajectory and only where
//!   it is cut depends on the clock.

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
mod shop;
mod solve;
mod tabu;
mod validate;

pub use builder::{MAX_DURATION, MAX_WEIGHT, ModelBuilder};
pub use calendar::{Calendar, CalendarError, Interval, TIME_MAX, TIME_MIN};
pub use error::{ModelError, SolveError};
pub use model::{Alternative, Machine, MachineId, Model, OpId, Operation, Order, OrderId, Pin};
pub use plan::{Cost, Plan, ScheduledOp};
pub use reschedule::{improve, reschedule};
pub use setup::{SetupFamily, SetupMatrix};
pub use solve::{DEFAULT_ITERATIONS, Solution, SolveOptions, solve};
pub use validate::{Violation, validate};

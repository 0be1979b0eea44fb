//! The projection: the event log → the stock ledger and the floor's
//! operation facts, idempotent and rebuildable.
//!
//! Each tenant has a cursor (the last event row projected). A step reads
//! the next events after it, turns them into ledger rows (the pure rules
//! of `stock/projection.rs`), operation facts and issues (events that
//! cannot be booked yet), and writes all of that with the new cursor in
//! one transaction: a crash repeats a step, never half of one. Rows have
//! deterministic ids and are dated by when things happened, so an event
//! that arrives hours late lands where it would have on time, and
//! `cloud-hub rebuild` (forget everything projected, project the whole log
//! again) gives the same state.
//!
//! The projection never wedges: an event it cannot book is set aside as a
//! projection issue with its id and reason, and the tenant's projection
//! goes on (`step.rs` for what it can foresee, `guard.rs` for panics and
//! anything else); the task publishes each tenant's lag, which `/healthz`
//! reports when it passes `[projection] max_lag_secs`.

mod books;
mod context;
mod guard;
mod reapply;
mod rebuild;
mod step;
mod step_size;
mod task;

pub use books::{BooksReport, UnbookedEvent, check_books};
pub use context::ProjectionContext;
pub use guard::{guarded_step, panic_message};
pub use reapply::{Reapplied, reapply_issues};
pub use rebuild::rebuild;
pub use step::{StepOutcome, project_step};
pub use task::{DEFAULT_BATCH, ProjectionConfig, run_books_check, run_projection};

//! Steering the plan (issue 17): a planner's change (move, pin, unpin,
//! priority, due date, frozen horizon) runs as a what-if against a copy of
//! the live plan; its result is stored as a draft that any hub replica can
//! accept while the live plan is still the one it was made from; accepted
//! changes are undone and redone per planner; every plan stored passed the
//! scheduler's validator.
//!
//! - [`change`]: the changes and the refusals (the constraint named).
//! - [`steering`]: the standing decisions a plan document carries, and how
//!   they enter the scheduler's model.
//! - [`whatif`]: the pure what-if (checks, repair, consequences).
//! - [`consequences`]: what differs between two plans.
//! - [`stability`]: how much of a plan a re-plan kept.
//! - [`drafts`]: drafts, accept, undo and redo, and the diff of two
//!   revisions, through the store.

pub mod change;
pub mod consequences;
pub mod stability;
pub mod steering;

pub use change::{Change, Refusal};
pub use consequences::Consequences;
pub use stability::Stability;
pub use steering::Steering;

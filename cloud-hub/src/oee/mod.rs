//! OEE and downtime per ISO 22400-2, derived on read from the log (issue
//! 16), so late events count as soon as they are stored and the answer is
//! a function of the set of events, never of their arrival order.
//!
//! Files: `figures.rs` (pure: the formulas over pooled sums), `compute.rs`
//! (pure: one machine's sums per bucket), `quantities.rs` (pure: which
//! quantities count, with their planned run time), `buckets.rs` (pure:
//! shifts, days, weeks), `report.rs` (the answers' types, the waterfall
//! and the Pareto), `load.rs` (reads), `service.rs` ([`equipment_oee`],
//! [`site_oee`]: what the API and the console call).
//!
//! # Formulas
//!
//! - **Availability** = APT / base. APT (actual production time) is the
//!   time the machine was `running`. The base is the planned busy time
//!   (PBT) plus running outside it, less the time of unknown state and the
//!   planned changeovers (see below).
//! - **Performance** (effectiveness) = Σ PRI × PQ / APT: each produced
//!   quantity times the planned run time per item of the operation it was
//!   made by. Above 1 it is flagged (`performance_over_100`, a warning),
//!   never capped: it means a wrong ideal cycle time.
//! - **Quality** = GQ / PQ (good / produced, produced = good + scrap).
//! - **OEE** = availability × performance × quality, exactly
//!   (Σ PRI × PQ × GQ) / (base × PQ); a value only when all three have one.
//! - **MTBF** = APT / stops; **MTTR** = down time / stops (ms). A stop is
//!   one stretch of `down` (a change of reason during it does not make a
//!   second; `machines::timeline`'s `stop_since`), counted once, in the
//!   bucket of its first minute inside planned busy time (a stop begun
//!   before the period that goes on into it counts in the period).
//!
//! Every ratio comes with its numerator and denominator (exact decimal
//! strings), and has no value when its denominator is zero. Times are ms,
//! as in the machines API.
//!
//! # Time
//!
//! - **Planned busy time** is the calendar the equipment follows (its own,
//!   else its site's default; `planning::calendars`): shifts, less
//!   holidays and maintenance. No calendar: always planned.
//! - The state timeline is `machines::timeline` with agent outages laid
//!   over it as `agent_down`. Inside planned busy time: `running` is APT,
//!   `down` (by reason: the operator's, else the machine's code), `setup`
//!   and `idle` (waiting, minor stops) are losses.
//! - **Unknown time** (`offline`, `agent_down`, and time before any state
//!   was ever reported: `no_signal`) is neither up nor down: it is left
//!   out of availability's base and shown as its own figure (`unknown_ms`
//!   and its three parts), never guessed.
//! - **Changeover**: `setup` is an availability loss unless the site's
//!   settings say `changeover_planned: true` (default false); then setup
//!   time is taken out of the base like planned downtime.
//! - Running outside planned busy time (overtime, a weekend run) is added
//!   to the base and to APT and shown as `unplanned_running_ms`, so its
//!   output has its time and availability stays at most 1. Other states
//!   outside planned busy time count for nothing.
//!
//! # Quantities (`quantities.rs`)
//!
//! - Operators' `output_reported` are the quantities of record: a report
//!   names its run, so the order's copied operation gives the planned run
//!   time per item (run minutes per unit over the equipment's speed
//!   factor, as the planner times it); it is in the order's unit, carries
//!   the scrap found at inspection, and is what stock and costing book.
//! - A run without any report takes the machine's `parts_counted` counted
//!   while it was open. Counts during a run that has reports are not
//!   added; counts outside every run, and reports on operations without
//!   run minutes, are *unrated*: shown (`unrated_produced`), left out of
//!   performance and quality. The machine's own count is always shown
//!   beside (`counted_good`, `counted_scrap`).
//! - A quantity counts in the bucket of the instant it was reported or
//!   counted.
//!
//! # Pooling and buckets
//!
//! Machines, buckets and sites pool by summing every numerator and
//! denominator (`Tally::add`), never by averaging ratios; buckets cover
//! the period without gap or overlap, so the buckets pool to the period.
//! A site's answer pools its active machines; its trend is cut by its
//! default calendar's shifts (each machine's time by its own calendar).

pub mod buckets;
pub mod compute;
pub mod figures;
pub mod load;
pub mod quantities;
pub mod report;
pub mod service;

pub use buckets::BucketKind;
pub use report::{EquipmentOee, SiteOee};
pub use service::{Period, equipment_oee, site_oee};

//! Finite-capacity planning of a site on the hub: loads the site's open
//! production orders, routings, equipment, calendars, purchase orders and
//! floor facts, builds the `mes_scheduler` model, solves or repairs it,
//! validates the plan and keeps it as the site's live plan; the watcher
//! re-plans in the background when the picture changes.
//!
//! - [`input`]: reading a site's records (tenant-scoped, typed).
//! - [`calendars`]: calendar records → working intervals (epoch minutes).
//! - [`facts`]: what the floor reported ([`facts::OperationFacts`], the
//!   hook for the production projection; [`facts::FloorFacts`] meanwhile).
//! - [`build`]: data + facts + changes → model (the rules the issue left open).
//! - [`stored`]: the plan document kept per site; [`report`]: what the API shows.
//! - [`service`]: run, read, what-if, validate, re-plan.
//! - [`dispatch`]: the plan per machine as a dispatch list.
//! - [`watch`]: the background re-planning task.
//! - [`steer`]: the planner's changes as what-ifs, drafts, accept, undo.
//!
//! Invariants: every plan stored or shown passed `mes_scheduler::validate`
//! for the model it was made for; a what-if never writes; every read names
//! the tenant.

pub mod build;
pub mod calendars;
pub mod config;
pub mod dispatch;
pub mod drafts;
pub mod facts;
pub mod input;
pub mod minutes;
pub mod report;
pub mod service;
pub mod station_feed;
pub mod steer;
pub mod stock_cover;
pub mod stored;
pub mod watch;
pub mod whatif;

pub use service::{PlanningError, RunOptions};
pub use stored::StoredPlan;

use std::sync::OnceLock;
use std::time::Duration;

/// How plans are made (from `[planning]` in the hub config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanningSettings {
    /// Days of calendar expanded ahead of now; after it, machines are
    /// taken as always available.
    pub horizon_days: u32,
    /// An on-time order with less slack than this is "at risk".
    pub at_risk_slack_minutes: i64,
    /// Solver time limit when a request names none.
    pub default_time_limit: Duration,
    /// Longest time limit a request may ask for.
    pub max_time_limit: Duration,
    /// Search threads per solve.
    pub threads: usize,
    /// A machine down this long is taken out of the plan.
    pub machine_down_threshold_minutes: i64,
    /// How long a machine that is down is assumed to stay down (from now).
    pub assumed_repair_minutes: i64,
    /// An operation finishing or starting this far from its plan re-plans.
    pub deviation_tolerance_minutes: i64,
}

impl Default for PlanningSettings {
    fn default() -> Self {
        Self {
            horizon_days: 56,
            at_risk_slack_minutes: 480,
            default_time_limit: Duration::from_secs(10),
            max_time_limit: Duration::from_secs(120),
            threads: 1,
            machine_down_threshold_minutes: 30,
            assumed_repair_minutes: 60,
            deviation_tolerance_minutes: 15,
        }
    }
}

static SETTINGS: OnceLock<PlanningSettings> = OnceLock::new();

/// Sets the process's planning settings (once, at start; later calls are
/// ignored). The API reads them through [`settings`]; without a call, the
/// defaults apply.
pub fn configure(settings: PlanningSettings) {
    let _ = SETTINGS.set(settings);
}

/// The process's planning settings.
pub fn settings() -> PlanningSettings {
    SETTINGS.get().cloned().unwrap_or_default()
}

/// Applies `config` to the process (see [`configure`]) and, when
/// `planning.replan` is on, starts the re-planning watcher until `shutdown`.
pub fn start(
    config: &config::PlanningConfig,
    store: crate::store::Store,
    ownership: crate::cluster::Ownership,
    shutdown: tokio_util::sync::CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    configure(config.settings());
    if !config.replan {
        return None;
    }
    let clock: watch::Clock = std::sync::Arc::new(crate::store::now_ms);
    let watcher = watch::Watcher::new(store, config.watch(), clock).owning(ownership);
    Some(tokio::spawn(watcher.run(shutdown)))
}

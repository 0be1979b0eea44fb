//! The background re-planning task: every poll it looks at each site with
//! a live plan for what changed since the plan was made, and re-plans the
//! site (a stable repair of the live plan, `service::replan`) once the
//! changes have settled for the debounce time.
//!
//! What counts as a change:
//! - a master-data record the plan depends on, of this site or
//!   tenant-wide (orders released/closed/changed, equipment, calendars,
//!   routings, purchase orders, site settings);
//! - an operation that finished, or started, more than the tolerance away
//!   from its planned end / start (or started on another machine);
//! - a machine down longer than the threshold that the plan does not
//!   already take out (or whose assumed repair time has passed), and a
//!   machine the plan takes out coming back.
//!
//! The watcher keeps only in-memory bookkeeping (what it has seen, what is
//! pending); the facts and cursors that matter are stored with each plan,
//! so a restarted hub re-derives everything from the store. A re-plan that
//! loses a race with an API run (the live plan changed) is dropped: the
//! next poll looks again.

use super::PlanningSettings;
use super::facts::{FloorChange, FloorFacts};
use super::input::{PLAN_INPUT_KINDS, concerns_site};
use super::service::{self, PlanningError, catch_up, live_row};
use super::stored::StoredPlan;
use crate::store::Store;
use crate::store::TenantId;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Records read per poll and site when looking for changes.
const CHANGE_PAGE: usize = 500;

/// How the watcher polls (from `[planning]` in the hub config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSettings {
    /// Time between polls.
    pub poll_interval: Duration,
    /// Quiet time after the last new change before re-planning (ms).
    pub debounce_ms: i64,
    /// How plans are made.
    pub planning: PlanningSettings,
}

/// The clock the watcher reads (epoch ms); replaceable in tests.
pub use crate::clock::Clock;

/// A re-plan the watcher made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replanned {
    /// The tenant.
    pub tenant: TenantId,
    /// The site.
    pub site: String,
    /// The new live plan's revision.
    pub revision: i64,
    /// Why.
    pub trigger: String,
}

/// What the watcher knows of one site between polls.
#[derive(Default)]
struct SiteWatch {
    /// The live plan it has read, and its revision.
    plan: Option<(i64, StoredPlan)>,
    /// Facts caught up to `cursor`.
    facts: FloorFacts,
    cursor: i64,
    /// Highest master-data version looked at.
    seen_version: i64,
    /// Changes waiting for the debounce: (first seen, last new one, reasons).
    pending: Option<(i64, i64, BTreeSet<String>)>,
}

/// The re-planning watcher.
pub struct Watcher {
    store: Store,
    settings: WatchSettings,
    clock: Clock,
    sites: HashMap<(TenantId, String), SiteWatch>,
    /// Whose sites it re-plans: every tenant's, or those this replica
    /// holds the lease of (several hubs on one PostgreSQL).
    ownership: crate::cluster::Ownership,
}

impl Watcher {
    /// A watcher of every planned site of `store`, reading `clock`.
    pub fn new(store: Store, settings: WatchSettings, clock: Clock) -> Self {
        Self {
            store,
            settings,
            clock,
            sites: HashMap::new(),
            ownership: crate::cluster::Ownership::Alone,
        }
    }

    /// The same watcher, re-planning only the tenants `ownership` gives
    /// this replica.
    pub fn owning(mut self, ownership: crate::cluster::Ownership) -> Self {
        self.ownership = ownership;
        self
    }

    /// Polls until `shutdown`; errors are logged and the next poll retries.
    pub async fn run(mut self, shutdown: CancellationToken) {
        loop {
            match self.tick().await {
                Ok(done) => {
                    for r in done {
                        tracing::info!(tenant = %r.tenant, site = %r.site, revision = r.revision, trigger = %r.trigger, "site re-planned");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "re-planning poll failed"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
    }

    /// One poll over every planned site; returns the re-plans made.
    pub async fn tick(&mut self) -> Result<Vec<Replanned>, PlanningError> {
        let mut watched = self.store.watched_sites().await?;
        watched.retain(|w| self.ownership.owns(w.tenant));
        let keep: BTreeSet<(TenantId, String)> = watched.iter().map(|w| (w.tenant, w.site.clone())).collect();
        self.sites.retain(|k, _| keep.contains(k));
        let mut done = Vec::new();
        for w in watched {
            let key = (w.tenant, w.site.clone());
            let mut state = self.sites.remove(&key).unwrap_or_default();
            let result = self.poll_site(w.tenant, &w.site, w.revision, &mut state).await;
            self.sites.insert(key, state);
            match result {
                Ok(Some(r)) => done.push(r),
                Ok(None) | Err(PlanningError::Conflict { .. }) => {}
                // The lease moved to another replica meanwhile: its re-plan counts.
                Err(PlanningError::Store(crate::store::StoreError::LeaseLost { .. })) => {
                    tracing::info!(tenant = %w.tenant, site = %w.site, "re-plan dropped: the tenant's lease moved")
                }
                // One site's trouble (its data make no model) must not stop the others.
                Err(e) => {
                    tracing::warn!(tenant = %w.tenant, site = %w.site, error = %e, "re-planning failed")
                }
            }
        }
        Ok(done)
    }

    async fn poll_site(
        &self,
        tenant: TenantId,
        site: &str,
        revision: i64,
        state: &mut SiteWatch,
    ) -> Result<Option<Replanned>, PlanningError> {
        if state.plan.as_ref().is_none_or(|(r, _)| *r != revision) {
            let Some((row, stored)) = live_row(&self.store, tenant, site).await? else {
                return Ok(None);
            };
            state.facts = stored.facts.clone();
            state.cursor = row.event_cursor;
            state.seen_version = state.seen_version.max(row.records_version);
            state.plan = Some((row.revision, stored));
            state.pending = None;
        }
        let now = (self.clock)();
        let mut reasons = self.record_changes(tenant, site, state).await?;
        let (cursor, changes) = catch_up(&self.store, tenant, site, &mut state.facts, state.cursor).await?;
        state.cursor = cursor;
        if let Some((_, plan)) = &state.plan {
            reasons.extend(changes.iter().filter_map(|c| self.deviation(plan, c)));
            reasons.extend(self.down_reasons(plan, &state.facts, now));
        }
        if !reasons.is_empty() {
            let (first, mut last, mut set) = state.pending.take().unwrap_or((now, now, BTreeSet::new()));
            for r in reasons {
                if set.insert(r) {
                    last = now;
                }
            }
            state.pending = Some((first, last, set));
        }
        let Some((_, last, set)) = &state.pending else {
            return Ok(None);
        };
        if now - last < self.settings.debounce_ms {
            return Ok(None);
        }
        let trigger = set.iter().cloned().collect::<Vec<_>>().join("; ");
        // Written under the tenant's lease: a replica that lost it meanwhile
        // cannot store the plan (on PostgreSQL; alone, the store itself).
        let Some(store) = self.ownership.store_for(&self.store, tenant) else {
            return Ok(None);
        };
        let planned = service::replan(&store, tenant, site, &self.settings.planning, now, &trigger).await?;
        state.pending = None;
        Ok(Some(Replanned {
            tenant,
            site: site.to_string(),
            revision: planned.revision.unwrap_or(0),
            trigger,
        }))
    }

    /// Records of the plan's input kinds written since last looked at that
    /// concern the site.
    async fn record_changes(
        &self,
        tenant: TenantId,
        site: &str,
        state: &mut SiteWatch,
    ) -> Result<Vec<String>, PlanningError> {
        let rows = self
            .store
            .records_changed_since(tenant, PLAN_INPUT_KINDS, state.seen_version, CHANGE_PAGE)
            .await?;
        let mut reasons = Vec::new();
        for row in rows {
            state.seen_version = state.seen_version.max(row.version);
            if concerns_site(row.site.as_deref(), &row.kind, site) {
                reasons.push(format!("{} {} changed", row.kind.replace('_', " "), row.code));
            }
        }
        Ok(reasons)
    }

    /// Why a floor change makes the plan wrong, if it does.
    fn deviation(&self, plan: &StoredPlan, change: &FloorChange) -> Option<String> {
        let tolerance = self.settings.planning.deviation_tolerance_minutes;
        let entry = |op: &str| {
            let i = plan.operations.iter().position(|o| o.name == op)?;
            plan.plan.ops.iter().find(|s| s.op.index() == i)
        };
        let minute = |ms: i64| ms.div_euclid(60_000);
        match change {
            FloorChange::Finished { op, at } => {
                let planned = entry(op)?;
                let off = minute(*at) - planned.end;
                (off.abs() > tolerance).then(|| format!("operation {op} finished {off} min off plan"))
            }
            FloorChange::Started { op, equipment, at } => {
                let planned = entry(op)?;
                let machine = plan.machines.get(planned.machine.index())?;
                let off = minute(*at) - planned.start;
                (machine.name != equipment.as_str() || off.abs() > tolerance)
                    .then(|| format!("operation {op} started on {equipment}, {off} min off plan"))
            }
            FloorChange::Up { equipment, .. } => plan
                .down
                .iter()
                .any(|d| d.equipment == *equipment)
                .then(|| format!("machine {equipment} works again")),
            FloorChange::Down { .. } => None,
        }
    }

    /// Machines down past the threshold that the plan does not take out
    /// (or only until a time that has passed).
    fn down_reasons(&self, plan: &StoredPlan, facts: &FloorFacts, now: i64) -> Vec<String> {
        let now_min = now.div_euclid(60_000);
        service::down_windows(facts, now, &self.settings.planning)
            .into_iter()
            .filter(|d| {
                !plan
                    .down
                    .iter()
                    .any(|p| p.equipment == d.equipment && p.to > now_min)
            })
            .map(|d| {
                format!(
                    "machine {} down since {}",
                    d.equipment,
                    super::report::iso(d.from)
                )
            })
            .collect()
    }
}

//! The background task that keeps every tenant's projection caught up.

use super::context::ProjectionContext;
use super::guard::guarded_step;
use crate::error::HubError;
use crate::metrics::HubMetrics;
use crate::store::Store;
use crate::store::StoreError;
use crate::store::TenantId;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Events per projection step unless configured.
pub const DEFAULT_BATCH: usize = 10_000;

/// `[projection]` in the hub's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectionConfig {
    /// How often the projection looks for new events when it has caught
    /// up, in milliseconds.
    pub interval_ms: u64,
    /// Most events projected in one transaction (a step reads fewer when
    /// events are large: about 8 MiB of their JSON, `step_size.rs`).
    /// Larger steps share the
    /// index pages they touch (measured by bench-ledger: 2,000 events per
    /// step project at half the rate of 10,000); a step holds the writer
    /// for its duration (about a quarter of a second at 10,000 on SQLite).
    pub batch: usize,
    /// How often every tenant's ledger is checked against its event log
    /// (`cloud-hub check-books`), in seconds; 0 turns the check off. The
    /// check reads the whole log and ledger of each tenant.
    pub books_check_interval_secs: u64,
    /// A tenant's projection lag (seconds since it last had read every
    /// event of its log) above which `/healthz` answers 503 "degraded"
    /// naming the tenant; 0 never reports it.
    pub max_lag_secs: u64,
}

impl Default for ProjectionConfig {
    fn default() -> Self {
        Self {
            interval_ms: 200,
            batch: DEFAULT_BATCH,
            books_check_interval_secs: 3600,
            max_lag_secs: 300,
        }
    }
}

/// Projects the new events of every tenant this replica owns
/// (`ownership`: every tenant alone on SQLite, its leased tenants on
/// PostgreSQL, each step then fenced by the lease) until `shutdown`, each
/// step guarded (`guard.rs`: an event a step fails on is set aside, never
/// retried forever). A step that fails without an event to blame (the
/// database is down) is retried at the next tick and logged at most once
/// a minute per tenant; a step refused for its lease or cursor (another
/// replica's step got there first) is simply looked at again. Publishes
/// each owned tenant's lag and set-aside events in `metrics`.
pub async fn run_projection(
    store: Store,
    config: ProjectionConfig,
    metrics: Arc<HubMetrics>,
    ownership: crate::cluster::Ownership,
    shutdown: CancellationToken,
) {
    let mut tenants_state: HashMap<TenantId, TenantProgress> = HashMap::new();
    let interval = Duration::from_millis(config.interval_ms.max(10));
    let batch = config.batch.max(1);
    loop {
        let mut busy = false;
        match ownership.assignments(&store).await {
            Ok(assigned) => {
                // Tenants no longer ours: another replica reports their lag.
                tenants_state.retain(|tenant, progress| {
                    let kept = assigned.iter().any(|a| a.tenant == *tenant);
                    if !kept {
                        metrics.set_projection_lag(&progress.slug, 0, false);
                    }
                    kept
                });
                for a in assigned {
                    if shutdown.is_cancelled() {
                        return;
                    }
                    let progress = tenants_state.entry(a.tenant).or_default();
                    progress.slug.clone_from(&a.slug);
                    busy |= step_tenant(&a, progress, batch, &config, &metrics).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "projection cannot list tenants; retrying"),
        }
        if busy {
            if shutdown.is_cancelled() {
                return;
            }
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// One guarded step of one assigned tenant; whether it found events.
async fn step_tenant(
    a: &crate::cluster::Assignment,
    progress: &mut TenantProgress,
    batch: usize,
    config: &ProjectionConfig,
    metrics: &HubMetrics,
) -> bool {
    let slug = &a.slug;
    let limit = progress.step_size.next(batch);
    let mut busy = false;
    match guarded_step(&a.store, a.tenant, &mut progress.context, limit).await {
        Ok(step) => {
            busy = step.events > 0;
            a.projected
                .fetch_add(step.events as u64, std::sync::atomic::Ordering::Relaxed);
            progress.step_size.measured(step.events, step.bytes);
            // Caught up when a step finds nothing (a busy
            // tick steps again at once until it does).
            if step.events == 0 {
                progress.behind_since = None;
            } else {
                progress.behind_since.get_or_insert_with(Instant::now);
            }
            if step.issues > 0 {
                metrics.count_set_aside(slug, step.issues as u64);
            }
        }
        Err(HubError::Store(e @ (StoreError::StaleStep { .. } | StoreError::LeaseLost { .. }))) => {
            // Not a failure of the tenant's projection: another step was
            // written first (look again at once), or the lease moved (the
            // keeper drops it at its next round; until then the tick waits).
            tracing::info!(tenant = %slug, reason = %e, "projection step not written");
            busy = matches!(e, StoreError::StaleStep { .. });
        }
        Err(e) => {
            progress.behind_since.get_or_insert_with(Instant::now);
            metrics.count_projection_failure(slug);
            progress.failures_unlogged += 1;
            if progress.last_logged.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
                tracing::warn!(tenant = %slug, error = %e, failures = progress.failures_unlogged,
                    "projection step failed; retrying (logged at most once a minute)");
                progress.last_logged = Some(Instant::now());
                progress.failures_unlogged = 0;
            }
        }
    }
    let lag = progress.behind_since.map_or(0, |t| t.elapsed().as_secs());
    let over = config.max_lag_secs > 0 && lag > config.max_lag_secs;
    metrics.set_projection_lag(slug, lag, over);
    busy
}

/// How often a tenant's failing projection is logged at most.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// What the task keeps per tenant.
#[derive(Default)]
struct TenantProgress {
    /// Its short name.
    slug: String,
    /// Its projection context (units, locations).
    context: Option<ProjectionContext>,
    /// Since when its projection has not read every event of its log.
    behind_since: Option<Instant>,
    /// When a failure was last logged.
    last_logged: Option<Instant>,
    /// Failures since then.
    failures_unlogged: u64,
    /// Events its next step reads (`step_size.rs`: about 8 MiB of JSON).
    step_size: super::step_size::StepSize,
}

/// Checks the books of every tenant this replica owns (`ownership`)
/// every `config.books_check_interval_secs` (the first check one
/// interval after start) until `shutdown`; publishes the unbooked count
/// per tenant and logs each unbooked event.
pub async fn run_books_check(
    store: Store,
    config: ProjectionConfig,
    metrics: std::sync::Arc<crate::metrics::HubMetrics>,
    ownership: crate::cluster::Ownership,
    shutdown: CancellationToken,
) {
    if config.books_check_interval_secs == 0 {
        return;
    }
    let interval = Duration::from_secs(config.books_check_interval_secs);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let tenants = match ownership.assignments(&store).await {
            Ok(tenants) => tenants,
            Err(e) => {
                tracing::warn!(error = %e, "books check cannot list tenants; retrying at the next interval");
                continue;
            }
        };
        for crate::cluster::Assignment { tenant: id, slug, .. } in tenants {
            match super::books::check_books(&store, id).await {
                Ok(report) => {
                    metrics.set_unbooked(&slug, report.unbooked.len());
                    for e in report.unbooked.iter().take(20) {
                        tracing::error!(tenant = %slug, event_id = %e.event_id, kind = %e.kind, event_row = e.event_row,
                            "books check: event passed by the projection but not booked; `cloud-hub rebuild` books it");
                    }
                }
                Err(e) => tracing::warn!(tenant = %slug, error = %e, "books check failed"),
            }
        }
        metrics.count_books_check();
    }
}

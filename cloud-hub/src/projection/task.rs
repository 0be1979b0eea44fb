//! The background task that keeps every tenant's projection caught up.

use super::context::ProjectionContext;
use super::step::project_step;
use crate::store::Store;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
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
    /// Most events projected in one transaction. Larger steps share the
    /// index pages they touch (measured by bench-ledger: 2,000 events per
    /// step project at half the rate of 10,000); a step holds the writer
    /// for its duration (about a quarter of a second at 10,000 on SQLite).
    pub batch: usize,
    /// How often every tenant's ledger is checked against its event log
    /// (`cloud-hub check-books`), in seconds; 0 turns the check off. The
    /// check reads the whole log and ledger of each tenant.
    pub books_check_interval_secs: u64,
}

impl Default for ProjectionConfig {
    fn default() -> Self {
        Self {
            interval_ms: 200,
            batch: DEFAULT_BATCH,
            books_check_interval_secs: 3600,
        }
    }
}

/// Projects every tenant's new events until `shutdown`. A failed step is
/// logged and retried at the next tick (its transaction left nothing).
pub async fn run_projection(store: Store, config: ProjectionConfig, shutdown: CancellationToken) {
    let mut contexts: HashMap<String, Option<ProjectionContext>> = HashMap::new();
    let interval = Duration::from_millis(config.interval_ms.max(10));
    loop {
        let mut busy = false;
        match store.tenants().await {
            Ok(tenants) => {
                for (tenant, _) in tenants {
                    let context = contexts.entry(tenant.clone()).or_default();
                    match project_step(&store, &tenant, context, config.batch.max(1)).await {
                        Ok(step) => busy |= step.events > 0,
                        Err(e) => tracing::warn!(tenant, error = %e, "projection step failed; retrying"),
                    }
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

/// Checks every tenant's books every `config.books_check_interval_secs`
/// (the first check one interval after start) until `shutdown`; publishes
/// the unbooked count per tenant and logs each unbooked event.
pub async fn run_books_check(
    store: Store,
    config: ProjectionConfig,
    metrics: std::sync::Arc<crate::metrics::HubMetrics>,
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
        let tenants = match store.tenants().await {
            Ok(tenants) => tenants,
            Err(e) => {
                tracing::warn!(error = %e, "books check cannot list tenants; retrying at the next interval");
                continue;
            }
        };
        for (id, slug) in tenants {
            match super::books::check_books(&store, &id).await {
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

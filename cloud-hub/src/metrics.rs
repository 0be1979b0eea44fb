//! The hub's Prometheus metrics.

use mes_protocols::wire::SyncAck;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TenantLabel {
    tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AgentLabel {
    agent: String,
}

/// Counters of the hub.
pub struct HubMetrics {
    registry: Registry,
    batches: Counter,
    events_stored: Counter,
    events_duplicate: Counter,
    rejected: Family<CodeLabel, Counter>,
    unbooked: Family<TenantLabel, Gauge>,
    books_checks: Counter,
    clock_offset: Family<AgentLabel, Gauge>,
    future_events: Counter,
    projection_lag: Family<TenantLabel, Gauge>,
    projection_set_aside: Family<TenantLabel, Counter>,
    projection_failures: Family<TenantLabel, Counter>,
    http_panics: Counter,
    /// Tenants whose projection lag is over `[projection] max_lag_secs`,
    /// with the lag in seconds: what `/healthz` reports.
    lagging: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Default for HubMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("mes_hub");
        let batches = Counter::default();
        let events_stored = Counter::default();
        let events_duplicate = Counter::default();
        let rejected = Family::<CodeLabel, Counter>::default();
        let unbooked = Family::<TenantLabel, Gauge>::default();
        let books_checks = Counter::default();
        let clock_offset = Family::<AgentLabel, Gauge>::default();
        let future_events = Counter::default();
        let projection_lag = Family::<TenantLabel, Gauge>::default();
        let projection_set_aside = Family::<TenantLabel, Counter>::default();
        let projection_failures = Family::<TenantLabel, Counter>::default();
        let http_panics = Counter::default();
        registry.register(
            "projection_lag_seconds",
            "Seconds since the tenant's projection last had read every event of its log (0: caught up); an upper bound on the age of its oldest unprojected event",
            projection_lag.clone(),
        );
        registry.register(
            "projection_set_aside_events",
            "Events the projection set aside as projection issues (unreadable, unbookable, or failing a step) since the hub started, by tenant; listed with id and reason at /api/v1/projection/issues",
            projection_set_aside.clone(),
        );
        registry.register(
            "projection_step_failures",
            "Projection steps that failed and were retried or narrowed down to the failing event, by tenant",
            projection_failures.clone(),
        );
        registry.register(
            "http_panics",
            "Requests whose handler panicked (answered 500 internal by the last-resort layer)",
            http_panics.clone(),
        );
        registry.register(
            "agent_clock_offset_ms",
            "Each agent's clock offset measured on its last batch: hub clock at receipt minus the batch's sent_at, ms (includes network delay)",
            clock_offset.clone(),
        );
        registry.register(
            "ingest_events_from_the_future",
            "Events stored dated (in hub time) more than 5 minutes after the hub's clock",
            future_events.clone(),
        );
        registry.register(
            "books_unbooked_events",
            "Stock-moving events the projection passed without booking them, by tenant (last books check; should be 0)",
            unbooked.clone(),
        );
        registry.register(
            "books_checks",
            "Books checks run (ledger against event log, every tenant)",
            books_checks.clone(),
        );
        registry.register("ingest_batches", "Batches stored", batches.clone());
        registry.register(
            "ingest_events_stored",
            "Events stored (the ingest rate)",
            events_stored.clone(),
        );
        registry.register(
            "ingest_events_duplicate",
            "Events received again and not stored twice",
            events_duplicate.clone(),
        );
        registry.register(
            "ingest_rejected",
            "Batches rejected, by error code",
            rejected.clone(),
        );
        Self {
            registry,
            batches,
            events_stored,
            events_duplicate,
            rejected,
            unbooked,
            books_checks,
            clock_offset,
            future_events,
            projection_lag,
            projection_set_aside,
            projection_failures,
            http_panics,
            lagging: std::sync::Mutex::default(),
        }
    }
}

impl HubMetrics {
    /// Counts one ingest request's result: its acknowledgement, or the
    /// code of the error it was refused with.
    pub fn count_ingest(&self, result: Result<&SyncAck, &str>) {
        match result {
            Ok(ack) => {
                self.batches.inc();
                self.events_stored.inc_by(ack.stored);
                self.events_duplicate.inc_by(ack.duplicates);
            }
            Err(e) => {
                self.rejected
                    .get_or_create(&CodeLabel { code: e.to_string() })
                    .inc();
            }
        }
    }

    /// Records one tenant's books check: `unbooked` events found.
    pub fn set_unbooked(&self, tenant_slug: &str, unbooked: usize) {
        self.unbooked
            .get_or_create(&TenantLabel {
                tenant: tenant_slug.to_string(),
            })
            .set(i64::try_from(unbooked).unwrap_or(i64::MAX));
    }

    /// Records `agent`'s clock offset measured on its last batch (ms).
    pub fn set_clock_offset(&self, agent: &str, offset_ms: i64) {
        self.clock_offset
            .get_or_create(&AgentLabel {
                agent: agent.to_string(),
            })
            .set(offset_ms);
    }

    /// Counts events stored dated in the future.
    pub fn count_future_events(&self, n: u64) {
        self.future_events.inc_by(n);
    }

    /// Records `tenant`'s projection lag in seconds, and whether it is over
    /// the configured maximum (then `/healthz` names it).
    pub fn set_projection_lag(&self, tenant_slug: &str, seconds: u64, over_maximum: bool) {
        self.projection_lag
            .get_or_create(&TenantLabel {
                tenant: tenant_slug.to_string(),
            })
            .set(i64::try_from(seconds).unwrap_or(i64::MAX));
        let mut lagging = self.lagging.lock().unwrap_or_else(|p| p.into_inner());
        if over_maximum {
            lagging.insert(tenant_slug.to_string(), seconds);
        } else {
            lagging.remove(tenant_slug);
        }
    }

    /// Tenants whose projection lags more than the configured maximum,
    /// with their lag in seconds.
    pub fn lagging_projections(&self) -> Vec<(String, u64)> {
        let lagging = self.lagging.lock().unwrap_or_else(|p| p.into_inner());
        lagging.iter().map(|(t, s)| (t.clone(), *s)).collect()
    }

    /// Counts `n` events of `tenant` set aside by the projection.
    pub fn count_set_aside(&self, tenant_slug: &str, n: u64) {
        self.projection_set_aside
            .get_or_create(&TenantLabel {
                tenant: tenant_slug.to_string(),
            })
            .inc_by(n);
    }

    /// Counts a failed projection step of `tenant`.
    pub fn count_projection_failure(&self, tenant_slug: &str) {
        self.projection_failures
            .get_or_create(&TenantLabel {
                tenant: tenant_slug.to_string(),
            })
            .inc();
    }

    /// Counts a request whose handler panicked.
    pub fn count_http_panic(&self) {
        self.http_panics.inc();
    }

    /// Counts a completed books check over every tenant.
    pub fn count_books_check(&self) {
        self.books_checks.inc();
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        out
    }
}

//! The concurrent-agents section of the ledger benchmark: several agents
//! of one tenant ingesting at once while the projection runs, against one
//! agent sending as many events in the same run; and whether every event
//! was booked exactly once.
//!
//! Why it exists: on PostgreSQL, ingest holds the tenant's event-log
//! advisory lock from inserting a batch's events to its commit
//! (`lock_tenant_log` in `cloud-hub/store/src/postgres/ingest.rs`), so a
//! tenant's batches commit one at a time and the projection never passes a
//! batch still committing (issue 11). That costs ingest concurrency within
//! a tenant; this section measures what, and checks that nothing is lost.
//! On SQLite the store's one writer thread commits everything in turn
//! anyway.
//!
//! A run (the binary gives each a fresh database): a tenant with the
//! ledger section's master data and `agents` agents; the events split
//! evenly between them, encoded and decoded before the clock starts; each
//! agent sends its batches one after the other through `Store::ingest`
//! (on PostgreSQL through a store and pool of its own, as agents talking
//! to several hubs on one database; on SQLite through the one store);
//! meanwhile one task runs `project_step` as the hub's projection task
//! does: steps of `step` events back to back while there is work, the
//! hub's idle interval when caught up. After the last commit the
//! projection catches up, then `check_books` and the ledger rows are
//! compared with what was sent.

use super::db::BenchDb;
use super::measure::percentiles;
use super::seed::{self, Batches, Events, Shape};
use cloud_hub::ingest::IngestBatch;
use cloud_hub::projection::{BooksReport, ProjectionConfig, check_books, project_step};
use cloud_hub::stock::MovementSource;
use cloud_hub::store::TenantId;
use cloud_hub::store::{AgentAuth, Store};
use mes_tests::report::thousands;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What one run measured and found.
#[derive(Debug)]
pub struct Run {
    /// Events sent, all agents together.
    pub events: usize,
    /// Events the store said it stored now (not duplicates).
    pub stored: u64,
    /// From the first send to the last commit.
    pub ingest: Duration,
    /// Each batch's `Store::ingest` call, every agent's.
    pub batch_latency: Vec<Duration>,
    /// Events the projection had committed when the last batch committed.
    pub projected_while_ingesting: usize,
    /// From the last commit to the projection's last step with events.
    pub catch_up: Duration,
    /// Events the projection read in all.
    pub projected: usize,
    /// Events the projection could not book.
    pub issues: usize,
    /// The books check after the projection caught up.
    pub books: BooksReport,
    /// Ledger rows made from events.
    pub event_rows: usize,
    /// Distinct events those rows came from.
    pub booked_events: usize,
}

impl Run {
    /// Ingested events per second, first send to last commit.
    pub fn ingest_rate(&self) -> f64 {
        self.events as f64 / self.ingest.as_secs_f64().max(1e-9)
    }

    /// Projected events per second while the agents were sending.
    pub fn projection_rate(&self) -> f64 {
        self.projected_while_ingesting as f64 / self.ingest.as_secs_f64().max(1e-9)
    }

    /// Events stored but not yet projected when the last batch committed.
    pub fn lag(&self) -> usize {
        self.events.saturating_sub(self.projected_while_ingesting)
    }

    /// What is wrong with the books, one line each; empty: every event
    /// sent was stored once and booked as exactly one ledger row.
    pub fn problems(&self) -> Vec<String> {
        let n = self.events;
        let mut out = Vec::new();
        if self.stored != n as u64 {
            out.push(format!("ingest stored {} of {n} events", self.stored));
        }
        if self.projected != n {
            out.push(format!("the projection read {} of {n} events", self.projected));
        }
        if self.issues > 0 {
            out.push(format!("{} projection issues", self.issues));
        }
        if !self.books.unbooked.is_empty() {
            let examples: Vec<String> = self
                .books
                .unbooked
                .iter()
                .take(3)
                .map(|u| format!("row {} {} {}", u.event_row, u.kind, u.event_id))
                .collect();
            out.push(format!(
                "check_books: {} unbooked, e.g. {}",
                self.books.unbooked.len(),
                examples.join("; ")
            ));
        }
        if self.books.events_checked != n as u64 {
            out.push(format!(
                "check_books checked {} stock-moving events of {n}",
                self.books.events_checked
            ));
        }
        if self.event_rows != n || self.booked_events != n {
            out.push(format!(
                "{} ledger rows from {} events for {n} events sent (one row each expected)",
                self.event_rows, self.booked_events
            ));
        }
        out
    }
}

/// What the projection task did.
#[derive(Debug)]
struct Projection {
    events: usize,
    issues: usize,
    /// When its last step with events committed.
    caught_up: Instant,
}

/// Runs `project_step` until `ingesting` is cleared and a step finds
/// nothing; counts committed events into `projected` as it goes.
async fn project_while(
    store: Store,
    tenant: TenantId,
    step: usize,
    projected: Arc<AtomicUsize>,
    ingesting: Arc<AtomicBool>,
) -> anyhow::Result<Projection> {
    let idle = Duration::from_millis(ProjectionConfig::default().interval_ms);
    let mut context = None;
    let mut out = Projection {
        events: 0,
        issues: 0,
        caught_up: Instant::now(),
    };
    loop {
        // Read before the step: cleared means every batch had committed,
        // so a step after it that finds nothing has caught up for good.
        let still_ingesting = ingesting.load(Ordering::Acquire);
        let done = project_step(&store, tenant, &mut context, step)
            .await
            .map_err(|e| anyhow::anyhow!("projection step: {e}"))?;
        if done.events > 0 {
            out.events += done.events;
            out.issues += done.issues;
            out.caught_up = Instant::now();
            projected.store(out.events, Ordering::Release);
        } else if still_ingesting {
            tokio::time::sleep(idle).await;
        } else {
            return Ok(out);
        }
    }
}

/// Sends `batches` one after the other; returns events stored and each
/// call's time.
async fn send_all(
    store: Store,
    agent: AgentAuth,
    batches: Vec<IngestBatch>,
) -> anyhow::Result<(u64, Vec<Duration>)> {
    let mut stored = 0;
    let mut latency = Vec::with_capacity(batches.len());
    for batch in batches {
        let started = Instant::now();
        stored += seed::send(&store, &agent, batch).await?;
        latency.push(started.elapsed());
    }
    Ok((stored, latency))
}

/// The run's tenant.
const SLUG: &str = "agents";

/// One run in a new tenant: `agents` agents sending `shape.events` events
/// between them while the projection steps `step` events at a time;
/// events generated from `seed`.
pub async fn run(db: &BenchDb, agents: usize, shape: Shape, step: usize, seed: u64) -> anyhow::Result<Run> {
    let agents = agents.max(1);
    let store = &db.store;
    let tenant = seed::provision(store, SLUG).await?;
    seed::master_data(store, tenant.id, &shape).await?;
    let mut senders = Vec::with_capacity(agents);
    for i in 0..agents {
        let agent = match i {
            0 => tenant.agent.clone(),
            _ => seed::add_agent(store, SLUG, &format!("gateway-{}", i + 1)).await?,
        };
        let share = Shape {
            events: shape.events / agents + usize::from(i < shape.events % agents),
            ..shape
        };
        let mut stream = Batches::new(agent.clone(), Events::new(share, seed.wrapping_add(i as u64)));
        let mut batches = Vec::new();
        while let Some(batch) = stream.next_batch()? {
            batches.push(batch);
        }
        senders.push((db.hub_store().await?, agent, batches));
    }

    let projected = Arc::new(AtomicUsize::new(0));
    let ingesting = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    let projection = tokio::spawn(project_while(
        store.clone(),
        tenant.id,
        step.max(1),
        projected.clone(),
        ingesting.clone(),
    ));
    let sending: Vec<_> = senders
        .into_iter()
        .map(|(through, agent, batches)| tokio::spawn(send_all(through, agent, batches)))
        .collect();
    let mut sent = Vec::with_capacity(sending.len());
    for task in sending {
        sent.push(task.await);
    }
    let ingest = started.elapsed();
    let projected_while_ingesting = projected.load(Ordering::Acquire);
    ingesting.store(false, Ordering::Release);
    let projection = projection.await??;
    let mut stored = 0;
    let mut batch_latency = Vec::new();
    for result in sent {
        let (n, latency) = result??;
        stored += n;
        batch_latency.extend(latency);
    }

    let books = check_books(store, tenant.id)
        .await
        .map_err(|e| anyhow::anyhow!("books check: {e}"))?;
    let mut event_rows = 0;
    let mut booked = HashSet::new();
    for movement in store.all_movements(tenant.id).await? {
        if let MovementSource::Event(id) = movement.id.source {
            event_rows += 1;
            booked.insert(id);
        }
    }
    Ok(Run {
        events: shape.events,
        stored,
        ingest,
        batch_latency,
        projected_while_ingesting,
        catch_up: projection.caught_up.saturating_duration_since(started + ingest),
        projected: projection.events,
        issues: projection.issues,
        books,
        event_rows,
        booked_events: booked.len(),
    })
}

fn ms((p50, p99, _): (f64, f64, f64)) -> String {
    format!("{p50:.1} / {p99:.1} ms")
}

/// The section's table rows (figure, `many`, `one` as the reference,
/// result) for runs with `batch` events per batch and `step` per
/// projection step.
pub fn table_rows(many: &Run, one: &Run, batch: usize, step: usize) -> Vec<Vec<String>> {
    let ratio = |a: f64, b: f64| format!("{:.2}x", a / b.max(1e-9));
    let lag = |r: &Run| {
        format!(
            "{} events, caught up {:.2} s later",
            thousands(r.lag() as f64),
            r.catch_up.as_secs_f64()
        )
    };
    let books = |r: &Run| {
        format!(
            "{} of {} events, {} rows, {} unbooked",
            thousands(r.booked_events as f64),
            thousands(r.events as f64),
            thousands(r.event_rows as f64),
            thousands(r.books.unbooked.len() as f64)
        )
    };
    let correct = |r: &Run| r.problems().is_empty();
    vec![
        vec![
            format!(
                "ingest, events/s (Store::ingest, {} per batch)",
                thousands(batch as f64)
            ),
            format!("{} events/s", thousands(many.ingest_rate())),
            format!("{} events/s", thousands(one.ingest_rate())),
            ratio(many.ingest_rate(), one.ingest_rate()),
        ],
        vec![
            "  a batch's Store::ingest, p50 / p99".into(),
            ms(percentiles(many.batch_latency.clone())),
            ms(percentiles(one.batch_latency.clone())),
            "-".into(),
        ],
        vec![
            format!(
                "projection while ingesting, events/s (project_step, {} per step)",
                thousands(step as f64)
            ),
            format!("{} events/s", thousands(many.projection_rate())),
            format!("{} events/s", thousands(one.projection_rate())),
            ratio(many.projection_rate(), one.projection_rate()),
        ],
        vec![
            "projection lag when the last batch committed".into(),
            lag(many),
            lag(one),
            "-".into(),
        ],
        vec![
            "stock-moving events booked exactly once (check_books, ledger rows)".into(),
            books(many),
            books(one),
            if correct(many) && correct(one) {
                "PASS".into()
            } else {
                "FAIL".into()
            },
        ],
    ]
}

//! The projection never wedges: a step that fails is narrowed down to the
//! one event it fails on, and that event is set aside as a projection
//! issue (kept in the log, listed with its id and reason) so the tenant's
//! projection goes on past it.
//!
//! `step.rs` already sets aside every event it can tell is unbookable.
//! This is the net under it, for failures no rule foresaw: a panic
//! anywhere in a step (each attempt runs in a task of its own, so a panic
//! is an error here, never the end of the projection), or an error of the
//! store on one event's rows. The failing step is retried on halves of
//! its events until a single event fails alone; that event is set aside
//! only if the database answers and the tenant's master data loads (so an
//! outage or broken master data never sets aside good events: those are
//! retried at the next tick), and only after it failed three times.
//! Fixing the master data and rebuilding (`cloud-hub rebuild`) books a
//! set-aside event.

use super::context::ProjectionContext;
use super::step::{StepOutcome, plain_text, project_step, raw_event_id};
use crate::error::HubError;
use crate::store::Store;
use crate::store::StoreError;
use crate::store::TenantId;
use crate::store::ledger::{LedgerWrite, ProjectionIssue, ProjectionStep};
use std::future::Future;
use std::pin::Pin;

/// One projection step as the guard runs it: owning its inputs, so it can
/// run in a task of its own, and giving the context back. The real one is
/// [`project_step`]; tests put a failing one in its place.
type StepFn = fn(Store, TenantId, Option<ProjectionContext>, usize) -> StepFuture;

/// What a [`StepFn`] returns: the step's result and the context back.
type StepFuture =
    Pin<Box<dyn Future<Output = (Result<StepOutcome, HubError>, Option<ProjectionContext>)> + Send>>;

fn real_step(
    store: Store,
    tenant: TenantId,
    mut context: Option<ProjectionContext>,
    limit: usize,
) -> StepFuture {
    Box::pin(async move {
        let result = project_step(&store, tenant, &mut context, limit).await;
        (result, context)
    })
}

/// Attempts of a single event before it is set aside.
const SINGLE_EVENT_ATTEMPTS: usize = 3;

/// Most attempts one call makes while narrowing a failure down, so a call
/// always ends (the next tick carries on).
const MAX_ATTEMPTS: usize = 64;

/// Why an attempt failed.
#[derive(Debug)]
enum Failure {
    /// The step returned an error.
    Error(HubError),
    /// The step panicked.
    Panic(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Error(e) => write!(f, "{e}"),
            Self::Panic(message) => write!(f, "panic: {message}"),
        }
    }
}

/// Projects up to `limit` events of `tenant` like [`project_step`], but
/// never fails twice on the same event: a failing step is narrowed down
/// and the event it fails on set aside (see the module documentation).
/// An error means nothing could be attributed to an event (the database
/// or the master data failed); the caller retries later.
pub async fn guarded_step(
    store: &Store,
    tenant: TenantId,
    context: &mut Option<ProjectionContext>,
    limit: usize,
) -> Result<StepOutcome, HubError> {
    guarded_with(store, tenant, context, limit, real_step).await
}

/// [`guarded_step`] with `step` for the step.
async fn guarded_with(
    store: &Store,
    tenant: TenantId,
    context: &mut Option<ProjectionContext>,
    limit: usize,
    step: StepFn,
) -> Result<StepOutcome, HubError> {
    let limit = limit.max(1);
    let first = match attempt(store, tenant, context, limit, step).await {
        Ok(step) => return Ok(step),
        Err(Failure::Error(e)) if is_fenced(&e) => return Err(e),
        Err(failure) => failure,
    };
    let mut total = StepOutcome::default();
    let mut size = (limit / 2).max(1);
    let mut single_failures = usize::from(limit == 1);
    let mut last = first;
    for _ in 0..MAX_ATTEMPTS {
        if size == 1 && single_failures >= SINGLE_EVENT_ATTEMPTS {
            let issue = set_aside(store, tenant, &last).await?;
            total.events += 1;
            total.issues += usize::from(issue);
            return Ok(total);
        }
        let cursor = store.projection_cursor(tenant).await.map_err(HubError::Store)?;
        match attempt(store, tenant, context, size, step).await {
            Ok(step) if step.events == 0 => return Ok(total),
            Ok(step) => {
                total.events += step.events;
                total.rows += step.rows;
                total.issues += step.issues;
                total.bytes += step.bytes;
            }
            Err(Failure::Error(e)) if is_fenced(&e) => return Err(e),
            Err(failure) => {
                let after = store.projection_cursor(tenant).await.map_err(HubError::Store)?;
                if after != cursor {
                    // The step was written; what failed came after it
                    // (moving an order along): nothing to set aside.
                    tracing::warn!(tenant = %tenant, error = %failure, "projection: a step was booked but its follow-up failed");
                    return Ok(total);
                }
                if size == 1 {
                    single_failures += 1;
                } else {
                    size = (size / 2).max(1);
                }
                last = failure;
            }
        }
    }
    Ok(total)
}

/// Whether `e` refused a step for its lease or cursor (another step, here
/// or on another replica, got there first): nothing to narrow down or set
/// aside, the caller looks again.
fn is_fenced(e: &HubError) -> bool {
    matches!(
        e,
        HubError::Store(StoreError::StaleStep { .. } | StoreError::LeaseLost { .. })
    )
}

/// One step in a task of its own, so that a panic comes back as a
/// [`Failure`]; the context is dropped after a panic (reloaded next time).
async fn attempt(
    store: &Store,
    tenant: TenantId,
    context: &mut Option<ProjectionContext>,
    limit: usize,
    step: StepFn,
) -> Result<StepOutcome, Failure> {
    let task = tokio::spawn(step(store.clone(), tenant, context.take(), limit));
    match task.await {
        Ok((result, back)) => {
            *context = back;
            result.map_err(Failure::Error)
        }
        Err(e) => {
            let message = match e.try_into_panic() {
                Ok(payload) => panic_message(payload.as_ref()),
                Err(e) => e.to_string(),
            };
            Err(Failure::Panic(message))
        }
    }
}

/// The text of a panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Sets aside the event right after `tenant`'s cursor, with `failure` as
/// its reason, and moves the cursor past it; only once the database
/// answers and the master data loads. Returns whether an event was set
/// aside.
async fn set_aside(store: &Store, tenant: TenantId, failure: &Failure) -> Result<bool, HubError> {
    store.health().await.map_err(HubError::Store)?;
    ProjectionContext::load(store, tenant).await?;
    let cursor = store.projection_cursor(tenant).await.map_err(HubError::Store)?;
    let next = store
        .events_after(tenant, cursor, 1)
        .await
        .map_err(HubError::Store)?;
    let Some(event) = next.first() else {
        return Ok(false);
    };
    let issue = ProjectionIssue {
        event_row: event.row,
        event_id: raw_event_id(&event.raw),
        kind: event.kind.clone(),
        reason: plain_text(&format!(
            "the projection failed on this event and set it aside: {failure}"
        )),
    };
    tracing::error!(tenant = %tenant, event_id = %issue.event_id, event_row = issue.event_row, kind = %issue.kind,
        reason = %issue.reason, "projection: event set aside; fix the master data and run `cloud-hub rebuild` to book it");
    store
        .write_ledger(
            tenant,
            LedgerWrite {
                rows: Vec::new(),
                refuse_negative: false,
                refuse_conflicts: false,
                projection: Some(ProjectionStep {
                    through_event_row: event.row,
                    facts: Vec::new(),
                    issues: vec![issue],
                    resolved: Vec::new(),
                    after_event_row: Some(cursor),
                }),
            },
        )
        .await
        .map_err(HubError::Store)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestBatch, IngestEvent};
    use mes_protocols::event::PartsCounted;
    use mes_protocols::wire::BufferReport;
    use mes_protocols::{Code, EventBody, EventDraft, Incarnation, Seq, Source, Timestamp};

    /// The event row the failing step panics on.
    const POISON_ROW: i64 = 4;

    /// The real step, except that it panics whenever the events it would
    /// read include [`POISON_ROW`]: a bug no rule foresaw.
    fn panics_on_poison(
        store: Store,
        tenant: TenantId,
        mut context: Option<ProjectionContext>,
        limit: usize,
    ) -> StepFuture {
        Box::pin(async move {
            let cursor = store.projection_cursor(tenant).await.unwrap_or_default();
            let next = store
                .events_after(tenant, cursor, limit)
                .await
                .unwrap_or_default();
            assert!(
                !next.iter().any(|e| e.row == POISON_ROW),
                "a bug that fires on this event"
            );
            let result = project_step(&store, tenant, &mut context, limit).await;
            (result, context)
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_step_that_panics_on_one_event_sets_it_aside_and_books_the_rest() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open_sqlite(&dir.path().join("hub.db")).expect("the store opens");
        let tenant = store.create_tenant("guarded").expect("a tenant");
        store.create_site("guarded", "plant-1").expect("a site");
        let agent = store.create_agent("guarded", "plant-1", "gw").expect("an agent");
        let auth = store
            .agent_by_token(&agent.token)
            .await
            .expect("the store answers")
            .expect("the agent's token");
        let code = |s: &str| Code::parse(s).expect("a valid code");
        let events: Vec<IngestEvent> = (1..=9u64)
            .map(|seq| {
                let draft = EventDraft::new(
                    Timestamp::from_unix_millis(1_790_000_000_000 + seq as i64),
                    Source::Device(code("press-1")),
                    EventBody::PartsCounted(PartsCounted {
                        equipment: code("press-1"),
                        good: 1,
                        scrap: 0,
                        good_total: seq,
                        scrap_total: 0,
                    }),
                );
                let record = draft.to_record_json();
                IngestEvent {
                    seq: Seq(seq),
                    event_id: *draft.id.0.as_bytes(),
                    kind: "parts_counted".into(),
                    known: true,
                    occurred_at: draft.occurred_at.unix_millis(),
                    raw: format!("{{\"seq\":{seq},{}", &record[1..]),
                }
            })
            .collect();
        let batch = IngestBatch {
            agent_id: auth.agent_id,
            incarnation: Incarnation::new_v7(),
            first_seq: Seq(1),
            last_seq: Seq(9),
            dropped: Vec::new(),
            buffer: BufferReport::default(),
            events,
            sent_at: Timestamp::from_unix_millis(0),
            clock_offset_ms: None,
        };
        store
            .ingest(auth, batch)
            .await
            .expect("the store answers")
            .expect("the batch is stored");
        let mut context = None;
        let mut read = 0;
        for _ in 0..20 {
            let step = guarded_with(&store, tenant, &mut context, 100, panics_on_poison)
                .await
                .expect("the guard never fails on an event");
            if step.events == 0 {
                break;
            }
            read += step.events;
        }
        assert_eq!(read, 9, "every event was read, the poisoned one set aside");
        assert_eq!(store.projection_cursor(tenant).await.ok(), Some(9));
        let issues = store.projection_issues(tenant, 10).await.expect("issues read");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].event_row, POISON_ROW);
        assert!(!issues[0].event_id.is_empty());
        assert!(
            issues[0].reason.contains("a bug that fires on this event"),
            "{}",
            issues[0].reason
        );
    }
}

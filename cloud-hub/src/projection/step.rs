//! One projection step for one tenant, and the rebuild.
//!
//! An event a step cannot book is set aside as a projection issue (kept in
//! the log, listed with its event id and reason at
//! `GET /api/v1/projection/issues`) and the step goes on past it: an
//! unreadable event, an unknown material or unit, no location, a quantity
//! beyond the ledger's row limit, or a balance the event would take out of
//! the range of a decimal. Failures this step cannot attribute to one
//! event (a panic, an error of the database) are isolated by
//! `guard.rs`. Fixing the master data and rebuilding books them.

use super::context::ProjectionContext;
use crate::error::HubError;
use crate::masterdata::records::ProductionStatus;
use crate::production::lifecycle;
use crate::stock::MovementSource;
use crate::stock::Projector;
use crate::stock::ledger::check_amount;
use crate::store::TenantId;
use crate::store::ledger::{
    LedgerOutcome, LedgerRow, LedgerWrite, LoggedEvent, OperationFact, ProjectionIssue, ProjectionStep,
};
use crate::store::{Store, StoreError};
use mes_protocols::{Code, Event, EventBody, EventDraft, EventId, Seq, Timestamp};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// What a step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// Events read.
    pub events: usize,
    /// Ledger rows inserted.
    pub rows: usize,
    /// Events that could not be booked.
    pub issues: usize,
    /// Bytes of event JSON read (what the step held in memory).
    pub bytes: usize,
}

/// What a step saw of one order: its first start, and each finished
/// operation with when.
type FloorProgress = (Option<Timestamp>, Vec<(Code, Timestamp)>);

/// An event as the log keeps it: the wire event with its `seq`.
#[derive(Deserialize)]
struct Logged {
    seq: Seq,
    #[serde(flatten)]
    draft: EventDraft,
}

/// A stored event's raw JSON, read back.
pub(super) fn parse(raw: &str) -> Result<Event, String> {
    serde_json::from_str::<Logged>(raw)
        .map(|l| l.draft.into_event(l.seq))
        .map_err(|e| format!("the stored event cannot be read: {e}"))
}

/// The `id` of a stored event whose JSON cannot be read as an event, when
/// its top level still names one; empty otherwise. serde_json skips the
/// other fields without recursing, so even a too deeply nested event
/// gives its id.
pub(super) fn raw_event_id(raw: &str) -> String {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<serde_json::Value>,
    }
    match serde_json::from_str::<IdOnly>(raw) {
        Ok(IdOnly {
            id: Some(serde_json::Value::String(id)),
        }) => plain_text(&id),
        _ => String::new(),
    }
}

/// `text` as an issue may store it: PostgreSQL's text cannot hold a NUL
/// character (an unreadable event's error message can quote one), so NUL
/// is written `\0`.
pub(super) fn plain_text(text: &str) -> String {
    text.replace('\0', "\\0")
}

/// `event` dated as the log dates it: in hub time, the agent's stamp plus
/// the clock correction the hub applied at ingest (the raw JSON keeps the
/// agent's own stamp).
pub(super) fn in_hub_time(mut event: Event, logged: &LoggedEvent) -> Event {
    event.header.occurred_at = Timestamp::from_unix_millis(logged.occurred_at);
    event
}

/// The run fields of events about operation runs.
fn fact(row: i64, event: &Event) -> Option<OperationFact> {
    let run = match &event.body {
        EventBody::OperationStarted(b) => &b.run,
        EventBody::OperationPaused(b) => &b.run,
        EventBody::OperationResumed(run) => run,
        EventBody::OperationFinished(run) => run,
        EventBody::MaterialConsumed(b) => &b.run,
        EventBody::OutputReported(b) => &b.run,
        _ => return None,
    };
    let body = serde_json::to_value(&event.body).ok()?;
    Some(OperationFact {
        event_row: row,
        execution: run.execution.to_string(),
        order: run.order.to_string(),
        operation: run.operation.to_string(),
        kind: event.kind().as_str().to_string(),
        occurred_at: event.header.occurred_at.unix_millis(),
        body: body
            .get("data")
            .map_or_else(|| body.to_string(), ToString::to_string),
    })
}

/// Projects up to `limit` events of `tenant` after its cursor; reloads
/// `context` when master data changed. Returns what it did (0 events:
/// caught up).
pub async fn project_step(
    store: &Store,
    tenant: TenantId,
    context: &mut Option<ProjectionContext>,
    limit: usize,
) -> Result<StepOutcome, HubError> {
    let cursor = store.projection_cursor(tenant).await.map_err(HubError::Store)?;
    let events: Vec<LoggedEvent> = store
        .events_after(tenant, cursor, limit)
        .await
        .map_err(HubError::Store)?;
    let Some(last) = events.last() else {
        return Ok(StepOutcome::default());
    };
    let through = last.row;
    project_events(
        store,
        tenant,
        context,
        &events,
        (Some(cursor), through),
        Vec::new(),
    )
    .await
}

/// Projects `events` of `tenant` in one step: ledger rows, facts and
/// issues, recording `through` as the cursor (the stored cursor never moves
/// back; with `after`, only if the stored cursor is still `after`, checked
/// in the step's transaction, so a step is never applied twice) and replacing the issues of the event rows `resolved` (a
/// re-application of set-aside events: those that book now lose their
/// issue, those that still cannot keep one with the new reason).
pub(super) async fn project_events(
    store: &Store,
    tenant: TenantId,
    context: &mut Option<ProjectionContext>,
    events: &[LoggedEvent],
    (after, through): (Option<i64>, i64),
    resolved: Vec<i64>,
) -> Result<StepOutcome, HubError> {
    let version = store.tenant_version(tenant).await.map_err(HubError::Store)?;
    if context.as_ref().is_none_or(|c| c.version != version) {
        *context = Some(ProjectionContext::load(store, tenant).await?);
    }
    let Some(ctx) = context.as_ref() else {
        return Ok(StepOutcome::default());
    };
    let mut step = ProjectionStep {
        through_event_row: through,
        resolved,
        after_event_row: after,
        ..ProjectionStep::default()
    };
    let mut rows = Vec::new();
    // Orders whose status the floor moves: started (first instant), and
    // finished operations with when.
    let mut floor: BTreeMap<Code, FloorProgress> = BTreeMap::new();
    let mut by_id: HashMap<EventId, &LoggedEvent> = HashMap::new();
    for logged in events {
        if !logged.known {
            continue;
        }
        let event = match parse(&logged.raw) {
            Ok(event) => in_hub_time(event, logged),
            Err(reason) => {
                step.issues.push(ProjectionIssue {
                    event_row: logged.row,
                    event_id: raw_event_id(&logged.raw),
                    kind: logged.kind.clone(),
                    reason,
                });
                continue;
            }
        };
        by_id.insert(event.header.id, logged);
        if let Some(f) = fact(logged.row, &event) {
            step.facts.push(f);
        }
        match &event.body {
            EventBody::OperationStarted(b) => {
                let started = &mut floor.entry(b.run.order.clone()).or_default().0;
                let at = event.header.occurred_at;
                *started = Some(started.map_or(at, |s| s.min(at)));
            }
            EventBody::OperationFinished(run) => floor
                .entry(run.order.clone())
                .or_default()
                .1
                .push((run.operation.clone(), event.header.occurred_at)),
            _ => {}
        }
        let site = logged.site.clone();
        let locations = |station: &Code, _material: &Code| ctx.location(&site, station);
        let movements = Projector::new(&ctx.units, &locations)
            .movements(&event)
            .map_err(|e| e.to_string())
            .and_then(|movements| {
                // A row past the ledger's limit would make every later read
                // of this stock fail: set the event aside instead.
                movements
                    .iter()
                    .try_for_each(check_amount)
                    .map_err(|e| format!("event {}: {e}", event.header.id))
                    .map(|()| movements)
            });
        match movements {
            Ok(movements) => rows.extend(movements.into_iter().map(|movement| LedgerRow {
                movement,
                site: logged.site.clone(),
            })),
            Err(reason) => step.issues.push(ProjectionIssue {
                event_row: logged.row,
                event_id: event.header.id.to_string(),
                kind: logged.kind.clone(),
                reason,
            }),
        }
    }
    let (outcome, step) = write_step(store, tenant, &by_id, rows, step).await?;
    let issues = step.issues.len();
    for (order, (started, finished)) in floor {
        advance(store, tenant, &order, started, &finished).await?;
    }
    Ok(StepOutcome {
        events: events.len(),
        rows: outcome.inserted,
        issues,
        bytes: events.iter().map(|e| e.raw.len()).sum(),
    })
}

/// Writes a step's rows, facts, issues and cursor in one transaction. A
/// write refused because an event's row would take a balance out of the
/// range of a decimal is written again without that event's rows, the
/// event set aside as an issue (at most once per event of the step).
async fn write_step(
    store: &Store,
    tenant: TenantId,
    events: &HashMap<EventId, &LoggedEvent>,
    mut rows: Vec<LedgerRow>,
    mut step: ProjectionStep,
) -> Result<(LedgerOutcome, ProjectionStep), HubError> {
    for issue in &mut step.issues {
        issue.reason = plain_text(&issue.reason);
    }
    loop {
        let outcome = store
            .write_ledger(
                tenant,
                LedgerWrite {
                    rows: rows.clone(),
                    refuse_negative: false,
                    refuse_conflicts: false,
                    projection: Some(step.clone()),
                },
            )
            .await
            .map_err(HubError::Store)?;
        let Some(overflow) = outcome.overflow.clone() else {
            return Ok((outcome, step));
        };
        let MovementSource::Event(event_id) = overflow.id.source.clone() else {
            // Only event rows are written here.
            return Err(HubError::Store(StoreError::Task(overflow.to_string())));
        };
        let before = rows.len();
        rows.retain(|r| r.movement.id.source != overflow.id.source);
        if rows.len() == before {
            return Err(HubError::Store(StoreError::Task(overflow.to_string())));
        }
        let logged = events.get(&event_id);
        step.issues.push(ProjectionIssue {
            event_row: logged.map_or(0, |e| e.row),
            event_id: event_id.to_string(),
            kind: logged.map_or_else(String::new, |e| e.kind.clone()),
            reason: format!("event {event_id}: {overflow}"),
        });
    }
}

/// Moves `order` along as the floor reported: started → in progress; its
/// last operation finished → completed.
async fn advance(
    store: &Store,
    tenant: TenantId,
    order: &Code,
    started: Option<Timestamp>,
    finished: &[(Code, Timestamp)],
) -> Result<(), HubError> {
    if let Some(at) = started {
        lifecycle::advance_from_floor(store, tenant, order.as_str(), ProductionStatus::InProgress, at)
            .await?;
    }
    if finished.is_empty() {
        return Ok(());
    }
    let stored = match crate::masterdata::service::get::<crate::masterdata::records::ProductionOrder>(
        store,
        tenant,
        order.as_str(),
    )
    .await
    {
        Ok(stored) => stored,
        Err(HubError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    let last = stored.record.operations.iter().map(|op| op.operation).max();
    if let Some(last) = last
        && let Some((_, at)) = finished.iter().find(|(op, _)| op.as_str() == last.to_string())
    {
        lifecycle::advance_from_floor(store, tenant, order.as_str(), ProductionStatus::InProgress, *at)
            .await?;
        lifecycle::advance_from_floor(store, tenant, order.as_str(), ProductionStatus::Completed, *at)
            .await?;
    }
    Ok(())
}

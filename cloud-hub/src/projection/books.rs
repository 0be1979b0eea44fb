//! The books check: does the stock ledger hold every stock-moving event of
//! the log that the projection has passed?
//!
//! The projection is the only writer of event-sourced ledger rows; a bug
//! or a race in how it reads the log (issue 11: a PostgreSQL cursor that
//! moved past batches still committing) would leave events acknowledged
//! and stored but never booked, silently. This check re-derives, from the
//! log itself, which ledger rows each event projected so far must have
//! produced, and names every event that has neither its rows nor a
//! projection issue. `cloud-hub check-books` runs it once; the hub runs it
//! periodically (`[projection] books_check_interval_secs`) and publishes the
//! count as a metric.

use super::context::ProjectionContext;
use super::step::{in_hub_time, parse};
use crate::error::HubError;
use crate::stock::{MovementId, MovementSource, Projector};
use crate::store::Store;
use crate::store::TenantId;
use serde::Serialize;
use std::collections::HashSet;

/// Events read from the log per query.
const PAGE: usize = 10_000;

/// Most projection issues read (a tenant with more has a problem the
/// issues list already shows).
const MAX_ISSUES: usize = 1_000_000;

/// An event the projection passed without booking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnbookedEvent {
    /// Its row in the log.
    pub event_row: i64,
    /// Its id.
    pub event_id: String,
    /// Its kind.
    pub kind: String,
    /// The ledger rows it should have produced and did not.
    pub missing_rows: usize,
}

/// What the check found for one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BooksReport {
    /// The projection's cursor: events up to this row were checked.
    pub through_event_row: i64,
    /// Stock-moving events checked (those that must produce ledger rows).
    pub events_checked: u64,
    /// Events without their rows and without a projection issue.
    pub unbooked: Vec<UnbookedEvent>,
}

/// Checks `tenant`'s ledger against its event log up to the projection's
/// cursor.
pub async fn check_books(store: &Store, tenant: TenantId) -> Result<BooksReport, HubError> {
    let cursor = store.projection_cursor(tenant).await.map_err(HubError::Store)?;
    let context = ProjectionContext::load(store, tenant).await?;
    // Read the booked rows and issues before the log: an event booked in
    // between is then at worst reported once and found at the next check,
    // never the other way round (rows are never deleted, the cursor only
    // moves forward).
    let booked: HashSet<MovementId> = store
        .all_movements(tenant)
        .await
        .map_err(HubError::Store)?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let booked_events: HashSet<_> = booked
        .iter()
        .filter_map(|id| match &id.source {
            MovementSource::Event(event) => Some(*event),
            MovementSource::Document(_) => None,
        })
        .collect();
    let with_issue: HashSet<i64> = store
        .projection_issues(tenant, MAX_ISSUES)
        .await
        .map_err(HubError::Store)?
        .into_iter()
        .map(|i| i.event_row)
        .collect();
    let mut report = BooksReport {
        through_event_row: cursor,
        ..BooksReport::default()
    };
    let mut after = 0;
    while after < cursor {
        let events = store
            .events_after(tenant, after, PAGE)
            .await
            .map_err(HubError::Store)?;
        let Some(last) = events.last() else { break };
        after = last.row;
        for logged in events.iter().filter(|e| e.known && e.row <= cursor) {
            if with_issue.contains(&logged.row) {
                continue;
            }
            let Ok(event) = parse(&logged.raw).map(|e| in_hub_time(e, logged)) else {
                // Unreadable and without an issue: it was never booked.
                report.unbooked.push(UnbookedEvent {
                    event_row: logged.row,
                    event_id: super::step::raw_event_id(&logged.raw),
                    kind: logged.kind.clone(),
                    missing_rows: 0,
                });
                continue;
            };
            let site = logged.site.clone();
            let locations =
                |station: &mes_protocols::Code, _: &mes_protocols::Code| context.location(&site, station);
            let missing_rows = match Projector::new(&context.units, &locations).movements(&event) {
                Ok(rows) if rows.is_empty() => continue,
                Ok(rows) => {
                    report.events_checked += 1;
                    rows.iter().filter(|m| !booked.contains(&m.id)).count()
                }
                // Not projectable with today's master data: booked if it
                // was then (the rows exist), else it needed an issue.
                Err(_) => {
                    report.events_checked += 1;
                    usize::from(!booked_events.contains(&event.header.id))
                }
            };
            if missing_rows > 0 {
                report.unbooked.push(UnbookedEvent {
                    event_row: logged.row,
                    event_id: event.header.id.to_string(),
                    kind: logged.kind.clone(),
                    missing_rows,
                });
            }
        }
    }
    Ok(report)
}

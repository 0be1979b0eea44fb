//! The plan per machine as printable dispatch lists (issue 17, item 5):
//! `GET /console/sites/{site}/plan/dispatch[?equipment=]`, one table per
//! machine in the order its operations run (times at the site's clock),
//! each on its own printed page (print stylesheet), with a print button
//! and the same list as CSV from the API.

use super::super::chrome::Chrome;
use super::super::render::{PageError, page, urlencode};
use super::super::viewer::Viewer;
use super::when::date_time;
use crate::api::HubState;
use crate::masterdata::records::SiteSettings;
use crate::masterdata::service;
use crate::planning::PlanningError;
use crate::planning::dispatch::{DispatchRow, dispatch};
use crate::store::RecordQuery;
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

/// The page's query.
#[derive(Debug, Default, Deserialize)]
pub struct DispatchQuery {
    /// Only this machine.
    equipment: Option<String>,
}

/// One line of a machine's list, as printed.
pub struct Line {
    /// 1, 2, …
    pub seq: usize,
    /// `PO-1 / 10`.
    pub what: String,
    /// Start, site time.
    pub start: String,
    /// End, site time.
    pub end: String,
    /// Setup minutes.
    pub setup: i64,
    /// Notes: running, fixed, waiting for material.
    pub note: String,
}

/// One machine's list.
pub struct MachineList {
    /// Its code.
    pub equipment: String,
    /// Its lines.
    pub lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "plan_dispatch.html")]
struct DispatchPage {
    chrome: Chrome,
    site: String,
    machines: Vec<MachineList>,
    csv: String,
}

fn site_offset(sites: &[(String, i64)], site: &str) -> Option<i64> {
    sites.iter().find(|(code, _)| code == site).map(|(_, o)| *o)
}

fn parse_iso(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_or(0, |t| t.unix_timestamp() * 1000)
}

fn line(viewer: &Viewer, r: DispatchRow, offset: i64) -> Line {
    let t = viewer.texts();
    let mut notes = Vec::new();
    if r.in_progress {
        notes.push(t.m("plan.legend_running").to_string());
    }
    if r.fixed {
        notes.push(t.m("plan.legend_fixed").to_string());
    }
    if let Some(w) = &r.waits_for {
        notes.push(format!("{}: {w}", t.m("plan.legend_waiting")));
    }
    Line {
        seq: r.seq,
        what: format!("{} / {}", r.order, r.operation),
        start: date_time(parse_iso(&r.start), offset),
        end: date_time(parse_iso(&r.end), offset),
        setup: r.setup_minutes,
        note: notes.join(" · "),
    }
}

/// `GET /console/sites/{site}/plan/dispatch`.
pub async fn show(
    State(state): State<HubState>,
    viewer: Viewer,
    Path(site): Path<String>,
    Query(query): Query<DispatchQuery>,
) -> Result<Response, PageError> {
    viewer.require_at(Module::Scheduling, Action::View, &site)?;
    let tenant = viewer.principal.tenant;
    let sites: Vec<(String, i64)> =
        service::list_all::<SiteSettings>(&state.store, tenant, RecordQuery::default())
            .await
            .map_err(|e| viewer.failed(e))?
            .into_iter()
            .map(|s| (s.record.code.to_string(), i64::from(s.record.utc_offset_minutes)))
            .collect();
    let Some(offset) = site_offset(&sites, &site) else {
        return Err(viewer.not_found());
    };
    let equipment = query.equipment.as_deref().filter(|e| !e.is_empty());
    let rows = match crate::planning::service::live(&state.store, tenant, &site).await {
        Ok(p) => dispatch(&p.stored, equipment),
        Err(PlanningError::NoPlan(_)) => Vec::new(),
        Err(PlanningError::SiteNotFound(_)) => return Err(viewer.not_found()),
        Err(e) => return Err(viewer.failed(e)),
    };
    let mut machines: Vec<MachineList> = Vec::new();
    for r in rows {
        if machines.last().is_none_or(|m| m.equipment != r.equipment) {
            machines.push(MachineList {
                equipment: r.equipment.clone(),
                lines: Vec::new(),
            });
        }
        let l = line(&viewer, r, offset);
        if let Some(m) = machines.last_mut() {
            m.lines.push(l);
        }
    }
    let t = viewer.texts();
    let chrome = Chrome::new(&viewer, "plan", t.fill("plan.dispatch_title", &[("site", &site)]));
    let csv = format!(
        "/api/v1/sites/{}/plan/dispatch?format=csv{}",
        urlencode(&site),
        equipment
            .map(|e| format!("&equipment={}", urlencode(e)))
            .unwrap_or_default()
    );
    Ok(page(
        &DispatchPage {
            chrome,
            site,
            machines,
            csv,
        },
        viewer.lang,
    ))
}

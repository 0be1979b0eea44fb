//! The planning board of a site (read-only): the live plan as a machine
//! Gantt drawn on the server (`plan_view.rs`), zoomed by `?span=`, an
//! order's chain highlighted by `?order=`. A site without a plan explains
//! itself and, for a viewer who may edit schedules there, offers the run
//! button, which posts to the scheduling API like every console change.

use super::super::chrome::Chrome;
use super::super::render::{PageError, page};
use super::super::viewer::Viewer;
use super::plan_steer;
use super::plan_svg::{self, SvgTexts};
use super::plan_view::{self, Equip, Input, Span, Window};
use super::when::date_time;
use crate::api::HubState;
use crate::masterdata::records::{Equipment, EquipmentType, SiteSettings};
use crate::masterdata::service;
use crate::planning::report::{OrderPlan, OrderState, PlanReport, report};
use crate::planning::{PlanningError, settings};
use crate::store::RecordQuery;
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

/// The board's query.
#[derive(Debug, Default, Deserialize)]
pub struct PlanQuery {
    /// `1d`, `3d` (default), `7d` or `14d`.
    span: Option<String>,
    /// The order whose chain is highlighted.
    order: Option<String>,
    /// An earlier revision to show what moved since.
    since: Option<i64>,
}

/// A zoom link.
pub struct Zoom {
    /// Its text.
    pub label: &'static str,
    /// Where it goes.
    pub href: String,
    /// Whether it is the span shown.
    pub current: bool,
}

/// The selected order as the panel shows it.
pub struct Chosen {
    /// The order.
    pub order: String,
    /// Its state's text.
    pub state: &'static str,
    /// Due (site time), or `–`.
    pub due: String,
    /// Estimated completion (site time).
    pub completion: String,
    /// `+75 min` late, `-30 min` slack, or `–`.
    pub lateness: String,
    /// Its open operations, `10 on M1 05-04 06:00`.
    pub operations: Vec<String>,
}

/// The plan's head figures.
pub struct Summary {
    /// Its revision.
    pub revision: i64,
    /// When it was made (site time).
    pub made_at: String,
    /// Why.
    pub trigger: String,
    /// Its makespan (site time).
    pub makespan: String,
    /// Σ setup minutes.
    pub setup_minutes: i64,
    /// Orders late / all planned.
    pub late: usize,
    /// Orders planned.
    pub orders: usize,
    /// Operations planned.
    pub operations: usize,
    /// Orders left out and why.
    pub problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    chrome: Chrome,
    sites: Vec<(String, bool)>,
    site: String,
    /// Set when there is a plan.
    summary: Option<Summary>,
    /// The run button's body, when the viewer may run one.
    run_body: Option<&'static str>,
    zooms: Vec<Zoom>,
    chosen: Option<Chosen>,
    /// Why the requested order is not highlighted (it is not in the plan).
    unknown_order: Option<String>,
    svg: String,
    /// Whether the viewer may steer (drag bars, undo, redo).
    editable: bool,
    /// The live revision shown (the script checks for a newer one).
    revision: i64,
    /// What the viewer's undo would take back, if it can run.
    undo: Option<String>,
    /// What the viewer's redo would bring back, if it can run.
    redo: Option<String>,
    /// What moved since `?since=`.
    diff: Option<plan_steer::DiffView>,
    /// The query kept when the board reloads (`span=3d&order=…`).
    keep_query: String,
}

/// The sites the viewer may see the plan of, with their UTC offsets.
async fn visible_sites(state: &HubState, viewer: &Viewer) -> Result<Vec<(String, i64)>, PageError> {
    let scope = viewer.require(Module::Scheduling, Action::View)?;
    let sites =
        service::list_all::<SiteSettings>(&state.store, viewer.principal.tenant, RecordQuery::default())
            .await
            .map_err(|e| viewer.failed(e))?;
    Ok(sites
        .into_iter()
        .map(|s| (s.record.code.to_string(), i64::from(s.record.utc_offset_minutes)))
        .filter(|(code, _)| scope.covers(code))
        .collect())
}

/// `GET /console/plan`: the first site's plan the viewer may see.
pub async fn first(State(state): State<HubState>, viewer: Viewer) -> Result<Response, PageError> {
    let sites = visible_sites(&state, &viewer).await?;
    match sites.first() {
        Some((site, _)) => Ok(Redirect::to(&format!("/console/sites/{site}/plan")).into_response()),
        None => Err(viewer.not_found()),
    }
}

/// Master data of the site's machines, by code: name and type heading.
async fn equipment_of(
    state: &HubState,
    viewer: &Viewer,
    site: &str,
) -> Result<HashMap<String, Equip>, PageError> {
    let tenant = viewer.principal.tenant;
    let types: HashMap<String, String> =
        service::list_all::<EquipmentType>(&state.store, tenant, RecordQuery::default())
            .await
            .map_err(|e| viewer.failed(e))?
            .into_iter()
            .map(|t| (t.record.code.to_string(), t.record.name))
            .collect();
    let query = RecordQuery {
        site: Some(site.to_string()),
        ..RecordQuery::default()
    };
    Ok(service::list_all::<Equipment>(&state.store, tenant, query)
        .await
        .map_err(|e| viewer.failed(e))?
        .into_iter()
        .map(|e| {
            let ty = e.record.equipment_type.to_string();
            let group = match types.get(&ty) {
                Some(name) if *name != ty => format!("{ty} · {name}"),
                _ => ty,
            };
            (
                e.record.code.to_string(),
                Equip {
                    name: e.record.name,
                    group,
                },
            )
        })
        .collect())
}

fn at(minute: i64, offset: i64) -> String {
    date_time(minute.saturating_mul(60_000), offset)
}

fn iso_minute(text: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.unix_timestamp().div_euclid(60))
}

fn chosen(viewer: &Viewer, o: &OrderPlan, offset: i64) -> Chosen {
    let t = viewer.texts();
    let when = |text: &str| iso_minute(text).map_or_else(|| "–".into(), |m| at(m, offset));
    Chosen {
        order: o.order.clone(),
        state: match o.state {
            OrderState::Late => t.m("plan.state_late"),
            OrderState::AtRisk => t.m("plan.state_at_risk"),
            OrderState::OnTime => t.m("plan.state_on_time"),
            OrderState::NoDueDate => t.m("plan.state_no_due"),
        },
        due: o.due.as_deref().map_or_else(|| "–".into(), when),
        completion: when(&o.completion),
        lateness: o
            .lateness_minutes
            .map_or_else(|| "–".into(), |m| format!("{m:+} min")),
        operations: o
            .operations
            .iter()
            .map(|op| {
                t.fill(
                    "plan.operation_line",
                    &[
                        ("operation", &op.operation),
                        ("machine", &op.equipment),
                        ("start", &when(&op.start)),
                        ("end", &when(&op.end)),
                    ],
                )
            })
            .collect(),
    }
}

fn summary(report: &PlanReport, stored: &crate::planning::StoredPlan, revision: i64, offset: i64) -> Summary {
    Summary {
        revision,
        made_at: date_time(stored.made_at, offset),
        trigger: stored.trigger.clone(),
        makespan: at(stored.cost.makespan, offset),
        setup_minutes: stored.cost.setup,
        late: report
            .orders
            .iter()
            .filter(|o| o.state == OrderState::Late)
            .count(),
        orders: report.orders.len(),
        operations: stored.plan.ops.len(),
        problems: stored
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.subject, p.reason))
            .collect(),
    }
}

/// `GET /console/sites/{site}/plan`.
pub async fn show(
    State(state): State<HubState>,
    viewer: Viewer,
    Path(site): Path<String>,
    Query(query): Query<PlanQuery>,
) -> Result<Response, PageError> {
    viewer.require_at(Module::Scheduling, Action::View, &site)?;
    let sites = visible_sites(&state, &viewer).await?;
    let Some(offset) = sites.iter().find(|(code, _)| *code == site).map(|(_, o)| *o) else {
        return Err(viewer.not_found());
    };
    let t = viewer.texts();
    let span = Span::parse(query.span.as_deref());
    let selected = query.order.as_deref().filter(|o| !o.is_empty());
    let chrome = Chrome::new(&viewer, "plan", t.fill("plan.title", &[("site", &site)]));
    let may_run = viewer.require_at(Module::Scheduling, Action::Edit, &site).is_ok();
    let mut template = PlanPage {
        chrome,
        sites: sites
            .iter()
            .map(|(code, _)| (code.clone(), *code == site))
            .collect(),
        site: site.clone(),
        summary: None,
        run_body: may_run.then_some("{}"),
        zooms: Vec::new(),
        chosen: None,
        unknown_order: None,
        svg: String::new(),
        editable: may_run,
        revision: 0,
        undo: None,
        redo: None,
        diff: None,
        keep_query: String::new(),
    };
    let planned = match crate::planning::service::live(&state.store, viewer.principal.tenant, &site).await {
        Ok(p) => p,
        Err(PlanningError::NoPlan(_)) => return Ok(page(&template, viewer.lang)),
        Err(PlanningError::SiteNotFound(_)) => return Err(viewer.not_found()),
        Err(e) => return Err(viewer.failed(e)),
    };
    let equipment = equipment_of(&state, &viewer, &site).await?;
    let report = report(
        &site,
        planned.revision,
        &planned.stored,
        &planned.model,
        settings().at_risk_slack_minutes,
    );
    let states: HashMap<&str, OrderState> = report
        .orders
        .iter()
        .map(|o| (o.order.as_str(), o.state))
        .collect();
    let now = (state.clock)().div_euclid(60_000);
    let revision = planned.revision.unwrap_or_default();
    let diff = match query.since.filter(|s| *s >= 1 && *s < revision) {
        Some(since) => Some(plan_steer::diff_view(&state, &viewer, &site, since).await?),
        None => None,
    };
    let no_moves = std::collections::HashSet::new();
    let window = Window::around(planned.stored.now, span, offset);
    let board = plan_view::layout(
        &Input {
            stored: &planned.stored,
            equipment: &equipment,
            other_group: t.m("plan.other_machines"),
            order_states: &states,
            window,
            offset_minutes: offset,
            now,
            selected,
            editable: may_run,
            moved: diff.as_ref().map_or(&no_moves, |d| &d.moved),
        },
        span,
    );
    template.svg = plan_svg::svg(
        &board,
        &SvgTexts {
            title: &template.chrome.title,
            now: t.m("plan.now"),
            span,
            offset_minutes: offset,
            window,
        },
    );
    let order_query = selected
        .map(|o| format!("order={}&", super::super::render::urlencode(o)))
        .unwrap_or_default();
    template.zooms = Span::ALL
        .iter()
        .map(|s| Zoom {
            label: match s {
                Span::Day => t.m("plan.span_1d"),
                Span::ThreeDays => t.m("plan.span_3d"),
                Span::Week => t.m("plan.span_7d"),
                Span::TwoWeeks => t.m("plan.span_14d"),
            },
            href: format!("?{order_query}span={}", s.code()),
            current: *s == span,
        })
        .collect();
    if let Some(selected) = selected {
        match report.orders.iter().find(|o| o.order == selected) {
            Some(o) => template.chosen = Some(chosen(&viewer, o, offset)),
            None => template.unknown_order = Some(t.fill("plan.not_in_plan", &[("order", selected)])),
        }
    }
    template.revision = revision;
    template.keep_query = format!("{order_query}span={}", span.code());
    if may_run {
        (template.undo, template.redo) = plan_steer::undo_redo(&state, &viewer, &site).await;
    }
    template.diff = diff;
    template.summary = Some(summary(
        &report,
        &planned.stored,
        planned.revision.unwrap_or_default(),
        offset,
    ));
    Ok(page(&template, viewer.lang))
}

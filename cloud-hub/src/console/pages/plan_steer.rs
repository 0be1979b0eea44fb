//! The planning board's steering parts (issue 17): the what-if panel a
//! drag opens (`GET /console/sites/{site}/plan/drafts/{draft}`, an HTML
//! fragment the script puts into the page: the draft's consequences with
//! Accept and Discard, which the script sends to the API), the undo and
//! redo buttons' texts, and the "what moved" panel of a board that
//! compares with an earlier revision (`?since=`).

use super::super::render::{PageError, page};
use super::super::viewer::Viewer;
use crate::api::HubState;
use crate::planning::drafts::{self, SteerError};
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use std::collections::HashSet;

/// Lines of orders and operations a panel lists at most.
const LISTED: usize = 12;

#[derive(Template)]
#[template(path = "plan_draft.html")]
struct DraftFragment {
    t: &'static crate::console::i18n::Catalog,
    site: String,
    draft: String,
    title: String,
    figures: Vec<String>,
    orders: Vec<String>,
    operations: Vec<String>,
}

fn time(iso: &str) -> String {
    // `2026-05-12T09:30:00Z` → `05-12 09:30` (UTC, as the API answers).
    iso.get(5..16)
        .map_or_else(|| iso.to_string(), |s| s.replace('T', " "))
}

fn lateness(m: Option<i64>) -> String {
    m.map_or_else(|| "–".into(), |m| format!("{m:+}"))
}

/// `GET /console/sites/{site}/plan/drafts/{draft}`: the draft's panel.
pub async fn draft(
    State(state): State<HubState>,
    viewer: Viewer,
    Path((site, draft)): Path<(String, String)>,
) -> Result<Response, PageError> {
    viewer.require_at(Module::Scheduling, Action::Edit, &site)?;
    let answer = match drafts::get(&state.store, viewer.principal.tenant, &site, &draft).await {
        Ok(a) => a,
        Err(SteerError::DraftNotFound(_)) => return Err(viewer.not_found()),
        Err(e) => return Err(viewer.failed(e)),
    };
    let t = viewer.texts();
    let c = &answer.consequences;
    let figures = vec![
        t.fill(
            "plan.draft_makespan",
            &[
                ("before", &time(&c.makespan_before)),
                ("after", &time(&c.makespan_after)),
                ("shift", &format!("{:+}", c.makespan_shift_minutes)),
            ],
        ),
        t.fill(
            "plan.draft_setup",
            &[
                ("before", &c.setup_minutes_before.to_string()),
                ("after", &c.setup_minutes_after.to_string()),
                ("added", &format!("{:+}", c.added_setup_minutes)),
            ],
        ),
        t.fill(
            "plan.draft_late",
            &[
                ("before", &c.late_before.to_string()),
                ("after", &c.late_after.to_string()),
            ],
        ),
        t.fill(
            "plan.draft_orders",
            &[
                ("later", &c.orders_later.to_string()),
                ("earlier", &c.orders_earlier.to_string()),
            ],
        ),
        t.fill("plan.draft_moved", &[("count", &c.operations_moved.to_string())]),
    ];
    let orders = c
        .orders
        .iter()
        .take(LISTED)
        .map(|o| {
            t.fill(
                "plan.draft_order_line",
                &[
                    ("order", &o.order),
                    ("shift", &format!("{:+}", o.shift_minutes)),
                    ("before", &lateness(o.lateness_before)),
                    ("after", &lateness(o.lateness_after)),
                ],
            )
        })
        .collect();
    let fragment = DraftFragment {
        t,
        site,
        draft: answer.draft.clone(),
        title: t.fill("plan.draft_title", &[("summary", &answer.summary)]),
        figures,
        orders,
        operations: op_lines(t, &c.operations),
    };
    Ok(page(&fragment, viewer.lang))
}

fn op_lines(
    t: &crate::console::i18n::Catalog,
    ops: &[crate::planning::steer::consequences::OperationShift],
) -> Vec<String> {
    ops.iter()
        .take(LISTED)
        .map(|o| {
            let from = format!("{} {}", o.machine_before, time(&o.start_before));
            let to = format!("{} {}", o.machine_after, time(&o.start_after));
            t.fill(
                "plan.draft_op_line",
                &[
                    ("operation", &o.operation),
                    ("from", &from),
                    ("to", &to),
                    ("shift", &format!("{:+}", o.shift_minutes)),
                ],
            )
        })
        .collect()
}

/// What moved since an earlier revision, as the board shows it.
pub struct DiffView {
    /// The heading.
    pub title: String,
    /// One line per moved operation (the first few).
    pub lines: Vec<String>,
    /// The operation keys that moved (their bars are outlined).
    pub moved: HashSet<String>,
    /// How much of the earlier plan the new one kept, in words.
    pub stability: Option<String>,
}

/// The "what moved" panel from revision `since` to the live one; a
/// revision no longer kept says so.
pub async fn diff_view(
    state: &HubState,
    viewer: &Viewer,
    site: &str,
    since: i64,
) -> Result<DiffView, PageError> {
    let t = viewer.texts();
    match drafts::diff(&state.store, viewer.principal.tenant, site, since, None).await {
        Ok(d) => {
            let mut lines = op_lines(t, &d.operations);
            if d.operations_moved == 0 {
                lines.push(t.m("plan.diff_none").to_string());
            }
            let s = &d.stability;
            let stability = (s.compared > 0).then(|| {
                t.fill(
                    "plan.stability",
                    &[
                        ("percent", &s.percent.to_string()),
                        ("kept", &s.kept.to_string()),
                        ("compared", &s.compared.to_string()),
                        ("tolerance", &s.tolerance_minutes.to_string()),
                        ("machines", &s.machine_changes.to_string()),
                        ("mean", &s.mean_shift_minutes.to_string()),
                        ("max", &s.max_shift_minutes.to_string()),
                    ],
                )
            });
            Ok(DiffView {
                title: t.fill(
                    "plan.diff_title",
                    &[
                        ("from", &d.from.to_string()),
                        ("to", &d.to.to_string()),
                        ("trigger", &d.trigger),
                    ],
                ),
                moved: d.operations.into_iter().map(|o| o.operation).collect(),
                lines,
                stability,
            })
        }
        Err(SteerError::RevisionGone(_)) => Ok(DiffView {
            title: t.fill("plan.diff_gone", &[("from", &since.to_string())]),
            lines: Vec::new(),
            moved: HashSet::new(),
            stability: None,
        }),
        Err(e) => Err(viewer.failed(e)),
    }
}

/// The viewer's undo and redo on `site`: what each would do, if possible.
pub async fn undo_redo(state: &HubState, viewer: &Viewer, site: &str) -> (Option<String>, Option<String>) {
    let t = viewer.texts();
    match drafts::history(
        &state.store,
        viewer.principal.tenant,
        site,
        &viewer.principal.login,
    )
    .await
    {
        Ok(h) => (
            h.undo.map(|w| t.fill("plan.undo_what", &[("what", &w)])),
            h.redo.map(|w| t.fill("plan.redo_what", &[("what", &w)])),
        ),
        Err(e) => {
            tracing::warn!(error = %e, site, "the board could not read the planner's undo list");
            (None, None)
        }
    }
}

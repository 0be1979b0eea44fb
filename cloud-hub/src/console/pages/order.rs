//! One production order: its facts and lifecycle actions, planned against
//! actual per operation, the processing execution log (every run), the
//! materials planned and used with their stock, and (for viewers who may
//! see costs) the actual cost by element against the standard with the
//! variances.

use super::super::chrome::Chrome;
use super::super::render::{PageError, page};
use super::super::viewer::Viewer;
use super::orders::{lateness_text, planned};
use super::when::date_time;
use crate::api::HubState;
use crate::costing::report::OrderCostReport;
use crate::error::HubError;
use crate::masterdata::records::{ProductionOrder, ProductionStatus};
use crate::masterdata::service;
use crate::production::execution_log::{RunLog, execution_log};
use crate::production::report::OrderActuals;
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

/// A run of the log as shown (times formatted).
pub struct RunView {
    run: RunLog,
    started: String,
    finished: String,
    pauses: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    chrome: Chrome,
    order: ProductionOrder,
    status_label: &'static str,
    completion: String,
    lateness: String,
    released_at: String,
    actuals: OrderActuals,
    runs: Vec<RunView>,
    cost: Option<OrderCostReport>,
    may_release: bool,
    may_close: bool,
}

fn not_found_or(viewer: &Viewer) -> impl Fn(HubError) -> PageError + '_ {
    move |e| match e {
        HubError::NotFound { .. } => viewer.not_found(),
        other => viewer.failed(other),
    }
}

/// The runs of `order` with each worker's time, as the costing counts it.
async fn runs_of(state: &HubState, viewer: &Viewer, order: &str, now: i64) -> Result<Vec<RunLog>, PageError> {
    let tenant = viewer.principal.tenant;
    let facts = state
        .store
        .operation_facts(tenant, order.to_string())
        .await
        .map_err(|e| viewer.failed(e))?;
    let ours =
        std::collections::BTreeSet::from([mes_protocols::Code::parse(order)
            .map_err(|e| viewer.failed(format!("order code {order:?}: {e}")))?]);
    let floor = crate::costing::floor_log::facts_for_orders(&state.store, tenant, &ours)
        .await
        .map_err(|e| viewer.failed(e))?;
    let runs = crate::costing::time::runs(&floor, now).map_err(|e| viewer.failed(format!("{e:?}")))?;
    let times =
        crate::costing::time::run_times(&runs, &floor, now).map_err(|e| viewer.failed(format!("{e:?}")))?;
    Ok(execution_log(&facts, &times))
}

/// `GET /console/orders/{code}`.
pub async fn show(
    State(state): State<HubState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let scope = viewer.require(Module::Production, Action::View)?;
    let tenant = viewer.principal.tenant;
    let order = service::get::<ProductionOrder>(&state.store, tenant, &code)
        .await
        .map_err(not_found_or(&viewer))?
        .record;
    // An order of a site outside the viewer's rights is not theirs to see.
    if order.site.as_ref().is_some_and(|s| !scope.covers(s.as_str())) {
        return Err(viewer.not_found());
    }
    let now = (state.clock)();
    // The cost is the cost report's below; the actuals need not cost it too.
    let (_, actuals) = crate::production::actuals::actuals_with_stock_at(&state.store, tenant, &code, now)
        .await
        .map_err(not_found_or(&viewer))?;
    let runs = runs_of(&state, &viewer, &code, now).await?;
    let cost = if viewer.may(Module::Costing, Action::View) {
        Some(
            crate::costing::report::order_report(&state.store, tenant, &code, now)
                .await
                .map_err(not_found_or(&viewer))?,
        )
    } else {
        None
    };
    let plan = match &order.site {
        Some(site) => planned(&state, &viewer, [site.to_string()])
            .await
            .remove(code.as_str()),
        None => None,
    };
    let t = viewer.texts();
    let status_key = match order.status {
        ProductionStatus::Draft => "status.draft",
        ProductionStatus::Released => "status.released",
        ProductionStatus::InProgress => "status.in_progress",
        ProductionStatus::Completed => "status.completed",
        ProductionStatus::Closed => "status.closed",
    };
    let may_approve = viewer.may(Module::Production, Action::Approve);
    let shown = |at: Option<i64>| at.map(|ms| date_time(ms, 0)).unwrap_or_default();
    let runs = runs
        .into_iter()
        .map(|run| RunView {
            started: shown(run.started_at),
            finished: shown(run.finished_at),
            pauses: run
                .pauses
                .iter()
                .map(|p| {
                    (
                        shown(Some(p.from)),
                        shown(p.until),
                        p.reason.clone().unwrap_or_default(),
                    )
                })
                .collect(),
            run,
        })
        .collect();
    let template = OrderPage {
        chrome: Chrome::new(&viewer, "orders", t.fill("order.title", &[("order", &code)])),
        status_label: t.m(status_key),
        completion: plan.as_ref().map(|p| p.completion.clone()).unwrap_or_default(),
        lateness: plan
            .as_ref()
            .and_then(|p| p.lateness_minutes)
            .map(|m| lateness_text(&viewer, m))
            .unwrap_or_default(),
        released_at: order
            .released_at
            .map(|at| date_time(at.unix_millis(), 0))
            .unwrap_or_default(),
        may_release: may_approve && order.status == ProductionStatus::Draft,
        may_close: may_approve && order.status == ProductionStatus::Completed,
        order,
        actuals,
        runs,
        cost,
    };
    Ok(page(&template, viewer.lang))
}

//! The production orders list: progress (good received against the
//! quantity), due date, the live plan's expected completion and lateness,
//! filtered by status, site and text, a page of [`PAGE`] at a time.

use super::super::chrome::Chrome;
use super::super::render::{PageError, page, urlencode};
use super::super::viewer::Viewer;
use crate::api::HubState;
use crate::masterdata::records::{ProductionOrder, ProductionStatus};
use crate::masterdata::service::{self, Stored};
use crate::planning::report::OrderPlan;
use crate::store::RecordQuery;
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

/// Orders on one page.
pub const PAGE: usize = 100;
/// Orders read from the store at a time while filling a page.
const CHUNK: usize = 500;

/// The list's filters.
#[derive(Debug, Default, Deserialize)]
pub struct OrdersQuery {
    /// `open` (default: released and in progress), `all`, or one status.
    status: Option<String>,
    /// Only this site.
    site: Option<String>,
    /// Code or material containing this text.
    q: Option<String>,
    /// Only late orders.
    late: Option<String>,
    /// The page after this code.
    after: Option<String>,
}

/// One row.
pub struct OrderRow {
    code: String,
    material: String,
    quantity: Decimal,
    received: Decimal,
    /// Received as a share of the quantity, 0 to 100 (for `<meter>`).
    percent: i64,
    status: &'static str,
    status_label: &'static str,
    site: String,
    due: String,
    completion: String,
    lateness: String,
    late: bool,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    chrome: Chrome,
    rows: Vec<OrderRow>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    sites: Vec<(String, bool)>,
    q: String,
    late_only: bool,
    next: Option<String>,
    may_create: bool,
}

const STATUSES: &[(ProductionStatus, &str)] = &[
    (ProductionStatus::Draft, "status.draft"),
    (ProductionStatus::Released, "status.released"),
    (ProductionStatus::InProgress, "status.in_progress"),
    (ProductionStatus::Completed, "status.completed"),
    (ProductionStatus::Closed, "status.closed"),
];

fn is_open(status: ProductionStatus) -> bool {
    matches!(status, ProductionStatus::Released | ProductionStatus::InProgress)
}

/// Good output received into stock for each of `orders` (base units), by
/// order code, in one query; orders with none are absent.
pub async fn received(
    state: &HubState,
    viewer: &Viewer,
    orders: Vec<String>,
) -> Result<HashMap<String, Decimal>, PageError> {
    let rows = state
        .store
        .movements_of_orders(viewer.principal.tenant, orders)
        .await
        .map_err(|e| viewer.failed(e))?;
    let mut out: HashMap<String, Decimal> = HashMap::new();
    for m in rows {
        if m.kind != mes_stock::MovementKind::OutputReceipt {
            continue;
        }
        if let (Some(order), mes_stock::Amount::Delta(q)) = (&m.order, m.amount) {
            let sum = out.entry(order.to_string()).or_default();
            *sum = sum.saturating_add(q);
        }
    }
    Ok(out)
}

/// The live plans' view of every order of `sites`, by order code.
pub async fn planned(
    state: &HubState,
    viewer: &Viewer,
    sites: impl IntoIterator<Item = String>,
) -> HashMap<String, OrderPlan> {
    let slack = crate::planning::settings().at_risk_slack_minutes;
    let mut out = HashMap::new();
    for site in sites {
        match crate::planning::service::live_report(&state.store, viewer.principal.tenant, &site, slack).await
        {
            Ok(report) => out.extend(report.orders.into_iter().map(|o| (o.order.clone(), o))),
            // No plan is shown as no plan; the planning page says why.
            Err(e) => tracing::debug!(site = %site, error = %e, "no plan for the orders list"),
        }
    }
    out
}

/// Minutes late (or early) as the list shows it.
pub fn lateness_text(viewer: &Viewer, minutes: i64) -> String {
    let t = viewer.texts();
    let amount = super::when::ago(t, minutes.abs() * 60_000);
    if minutes > 0 {
        t.fill("orders.late_by", &[("time", &amount)])
    } else {
        t.fill("orders.slack", &[("time", &amount)])
    }
}

/// Whether order `o` is late: by its live plan, else (no plan) when it is
/// not done and its due day is before `today`.
fn is_late(plans: &HashMap<String, OrderPlan>, o: &ProductionOrder, today: time::Date) -> bool {
    match plans.get(o.code.as_str()).and_then(|p| p.lateness_minutes) {
        Some(minutes) => minutes > 0,
        None => {
            !matches!(o.status, ProductionStatus::Completed | ProductionStatus::Closed)
                && o.due.is_some_and(|d| d < today)
        }
    }
}

fn status_key(status: ProductionStatus) -> &'static str {
    STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("status.draft", |(_, key)| key)
}

/// `GET /console/orders`.
pub async fn list(
    State(state): State<HubState>,
    viewer: Viewer,
    Query(query): Query<OrdersQuery>,
) -> Result<Response, PageError> {
    let scope = viewer.require(Module::Production, Action::View)?;
    let tenant = viewer.principal.tenant;
    let status_filter = query.status.clone().unwrap_or_else(|| "open".into());
    let text = query.q.clone().unwrap_or_default().trim().to_lowercase();
    let late_only = query.late.is_some();
    let mut equals = Vec::new();
    if let Some((status, _)) = STATUSES.iter().find(|(s, _)| s.as_str() == status_filter) {
        equals.push(("status", status.as_str().to_string()));
    }
    let base = RecordQuery {
        site: query.site.clone().filter(|s| !s.is_empty()),
        equals,
        ..RecordQuery::default()
    };
    let keep = |o: &Stored<ProductionOrder>| {
        let r = &o.record;
        let site_ok = r.site.as_ref().is_none_or(|s| scope.covers(s.as_str()));
        let status_ok = status_filter != "open" || is_open(r.status);
        let text_ok = text.is_empty()
            || r.code.as_str().to_lowercase().contains(&text)
            || r.material.as_str().to_lowercase().contains(&text);
        let after_ok = query.after.as_ref().is_none_or(|a| r.code.as_str() > a.as_str());
        site_ok && status_ok && text_ok && after_ok
    };
    let today = time::OffsetDateTime::from_unix_timestamp((state.clock)() / 1000)
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    // Read a chunk at a time in code order until the page and one order
    // more (so there is a next page) are found, never every order of the
    // tenant; the live plans of the sites met on the way.
    let mut orders: Vec<Stored<ProductionOrder>> = Vec::new();
    let mut plans: HashMap<String, OrderPlan> = HashMap::new();
    let mut planned_sites: BTreeSet<String> = BTreeSet::new();
    let mut cursor = query.after.clone();
    while orders.len() <= PAGE {
        let chunk = service::list::<ProductionOrder>(
            &state.store,
            tenant,
            RecordQuery {
                after: cursor.clone(),
                limit: CHUNK,
                ..base.clone()
            },
        )
        .await
        .map_err(|e| viewer.failed(e))?;
        let full = chunk.len() == CHUNK;
        if let Some(last) = chunk.last() {
            cursor = Some(last.record.code.to_string());
        }
        let kept: Vec<Stored<ProductionOrder>> = chunk.into_iter().filter(keep).collect();
        let new_sites: BTreeSet<String> = kept
            .iter()
            .filter_map(|o| o.record.site.as_ref().map(ToString::to_string))
            .filter(|s| !planned_sites.contains(s))
            .collect();
        if !new_sites.is_empty() {
            plans.extend(planned(&state, &viewer, new_sites.iter().cloned()).await);
            planned_sites.extend(new_sites);
        }
        orders.extend(
            kept.into_iter()
                .filter(|o| !late_only || is_late(&plans, &o.record, today)),
        );
        if !full {
            break;
        }
    }
    let more = orders.len() > PAGE;
    orders.truncate(PAGE);
    let t = viewer.texts();
    let mut rows = Vec::with_capacity(orders.len());
    let received_by_order = received(
        &state,
        &viewer,
        orders.iter().map(|o| o.record.code.to_string()).collect(),
    )
    .await?;
    for stored in &orders {
        let o = &stored.record;
        let received = received_by_order
            .get(o.code.as_str())
            .copied()
            .unwrap_or_default();
        let percent = if o.quantity > Decimal::ZERO {
            ((received * Decimal::from(100)) / o.quantity)
                .round()
                .clamp(Decimal::ZERO, Decimal::from(100))
                .try_into()
                .unwrap_or(0)
        } else {
            0
        };
        let plan = plans.get(o.code.as_str());
        rows.push(OrderRow {
            code: o.code.to_string(),
            material: o.material.to_string(),
            quantity: o.quantity,
            received,
            percent,
            status: o.status.as_str(),
            status_label: t.m(status_key(o.status)),
            site: o.site.as_ref().map(ToString::to_string).unwrap_or_default(),
            due: o.due.map(|d| d.to_string()).unwrap_or_default(),
            completion: plan
                .map(|p| {
                    p.completion
                        .replace('T', " ")
                        .trim_end_matches(":00Z")
                        .to_string()
                })
                .unwrap_or_default(),
            lateness: plan
                .and_then(|p| p.lateness_minutes)
                .map(|m| lateness_text(&viewer, m))
                .unwrap_or_default(),
            late: is_late(&plans, o, today),
        });
    }
    let statuses = std::iter::once(("open", t.m("status.open"), status_filter == "open"))
        .chain(std::iter::once((
            "all",
            t.m("status.all"),
            status_filter == "all",
        )))
        .chain(
            STATUSES
                .iter()
                .map(|(s, key)| (s.as_str(), t.m(key), status_filter == s.as_str())),
        )
        .collect();
    let next = more.then(|| {
        let last = rows.last().map(|r| r.code.clone()).unwrap_or_default();
        format!(
            "/console/orders?status={}&site={}&q={}{}&after={}",
            urlencode(&status_filter),
            urlencode(query.site.as_deref().unwrap_or("")),
            urlencode(&text),
            if late_only { "&late=1" } else { "" },
            urlencode(&last)
        )
    });
    let selected_site = query.site.clone().unwrap_or_default();
    let template = OrdersPage {
        chrome: Chrome::new(&viewer, "orders", t.m("orders.title")),
        rows,
        statuses,
        sites: visible_sites(&state, &viewer, &scope)
            .await?
            .into_iter()
            .map(|s| {
                let selected = s == selected_site;
                (s, selected)
            })
            .collect(),
        q: query.q.unwrap_or_default(),
        late_only,
        next,
        may_create: viewer.may(Module::Production, Action::Edit),
    };
    Ok(page(&template, viewer.lang))
}

/// The tenant's sites within `scope`, by code.
pub async fn visible_sites(
    state: &HubState,
    viewer: &Viewer,
    scope: &crate::store::rights::SiteScope,
) -> Result<Vec<String>, PageError> {
    let sites = service::list_all::<crate::masterdata::records::SiteSettings>(
        &state.store,
        viewer.principal.tenant,
        RecordQuery::default(),
    )
    .await
    .map_err(|e| viewer.failed(e))?;
    Ok(sites
        .into_iter()
        .map(|s| s.record.code.to_string())
        .filter(|c| scope.covers(c))
        .collect())
}

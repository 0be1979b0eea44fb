//! The scheduling API of a site (`/api/v1/schedules/{site}/…`): run a
//! schedule, read the live plan (per machine, per order, the critical
//! orders), a what-if that never replaces the live plan, and the
//! validation report. A site of another tenant is a 404 like no site.

use super::admission::GatePass;
use super::book::{Operation, RouteBook};
use super::guard::TenantCaller;
use super::masterdata::parse_body;
use super::{ApiFailure, HubState};
use crate::planning::build::DownWindow;
use crate::planning::report::{MachinePlan, OrderPlan, OrderState, PlanReport, moved_operations, report};
use crate::planning::service::{self, Planned, WhatIf};
use crate::planning::{PlanningError, RunOptions, settings};
use crate::store::TenantId;
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Json;
use axum::routing::{get, post};
use mes_protocols::{Code, FieldError, Timestamp};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Body of a run (all optional).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// Search time limit in seconds (default `planning.time_limit_seconds`);
    /// above `planning.max_time_limit_seconds` (120 unless configured) it
    /// is 422.
    #[serde(default)]
    #[schemars(range(min = 1, max = 3600))]
    pub time_limit_seconds: Option<u64>,
    /// Seed of the search (default 0).
    #[serde(default)]
    pub seed: Option<u64>,
}

/// An order a what-if adds (operations from its material's routing).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfOrder {
    /// Its order number (not one on the floor).
    pub code: Code,
    /// The material made.
    pub material: Code,
    /// Quantity; above zero.
    pub quantity: Decimal,
    /// Due day `YYYY-MM-DD`.
    #[serde(default)]
    #[schemars(extend("format" = "date"))]
    pub due: Option<String>,
    /// Priority (default 1).
    #[serde(default)]
    pub priority: Option<u32>,
    /// Routing version (default: the last).
    #[serde(default)]
    pub routing_version: Option<Code>,
}

/// A machine a what-if takes down.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MachineDown {
    /// The machine.
    pub equipment: Code,
    /// From, RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub from: String,
    /// Until, RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub to: String,
}

/// Most orders one what-if may add.
pub const MAX_WHAT_IF_ORDERS: usize = 200;
/// Most machine-down windows in one what-if.
pub const MAX_WHAT_IF_DOWN: usize = 200;

/// Body of a what-if.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    /// Orders to add (at most 200).
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub add_orders: Vec<WhatIfOrder>,
    /// Machines to take down (at most 200 windows).
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub machines_down: Vec<MachineDown>,
}

/// An order whose state differs between the live plan and a what-if.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StateChange {
    /// The order.
    pub order: String,
    /// Its state in the live plan (none: not in it).
    pub live: Option<OrderState>,
    /// Its state in the what-if.
    pub what_if: OrderState,
}

/// A what-if's plan and how it differs from the live plan.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WhatIfReport {
    /// The what-if plan (not stored).
    pub plan: PlanReport,
    /// Operations whose machine or times differ from the live plan.
    pub moved_operations: Vec<String>,
    /// Orders whose state differs from the live plan.
    pub changed_states: Vec<StateChange>,
}

/// The live plan's validation.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ValidationReport {
    /// The live plan's revision.
    pub revision: i64,
    /// Whether it satisfies every constraint of the model it was made for.
    pub valid: bool,
    /// Broken constraints of that model (none expected).
    pub violations: Vec<String>,
    /// Broken constraints against the current data and floor facts (new
    /// orders missing, machines down, calendars changed): what re-planning
    /// would fix.
    pub against_current_data: Vec<String>,
}

impl From<PlanningError> for ApiFailure {
    fn from(e: PlanningError) -> Self {
        let message = e.to_string();
        match e {
            PlanningError::SiteNotFound(_) | PlanningError::NoPlan(_) => {
                ApiFailure::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            // Well-formed, but wrong for this site's data (an order already
            // on the floor, equipment not at the site): 422.
            PlanningError::Invalid(f) => ApiFailure::invalid(f.field, f.reason),
            PlanningError::Model(_) | PlanningError::Solve(_) => {
                ApiFailure::new(StatusCode::UNPROCESSABLE_ENTITY, "unschedulable", message)
            }
            PlanningError::Conflict { .. } => ApiFailure::new(StatusCode::CONFLICT, "plan_changed", message),
            PlanningError::Records(e) => e.into(),
            PlanningError::Store(e) => e.into(),
            PlanningError::InvalidPlan(_) | PlanningError::Unreadable { .. } | PlanningError::Task(_) => {
                tracing::error!(error = %message, "planning failed");
                ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "planning_error", message)
            }
        }
    }
}

/// A place for one more planning computation of `tenant`, or 429.
pub(super) fn planning_pass(state: &HubState, tenant: TenantId) -> Result<GatePass, ApiFailure> {
    state.planning_gate.try_enter(tenant).ok_or_else(|| {
        ApiFailure::busy(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "this tenant already runs {} schedules or what-ifs; retry when one has finished",
                state.planning_gate.per_tenant()
            ),
            5,
        )
    })
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> ApiFailure {
    ApiFailure::new(StatusCode::BAD_REQUEST, "invalid_body", reason).field(field)
}

fn show(site: &str, p: &Planned) -> PlanReport {
    report(
        site,
        p.revision,
        &p.stored,
        &p.model,
        settings().at_risk_slack_minutes,
    )
}

async fn run(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(site): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<PlanReport>), ApiFailure> {
    let _pass = planning_pass(&state, tenant)?;
    let request: RunRequest = if body.is_empty() {
        RunRequest::default()
    } else {
        parse_body(&body)?
    };
    let settings = settings();
    let time_limit = match request.time_limit_seconds {
        None => settings.default_time_limit,
        Some(s) if s >= 1 && Duration::from_secs(s) <= settings.max_time_limit => Duration::from_secs(s),
        Some(0) => return Err(bad("time_limit_seconds", "must be 1 or more")),
        Some(_) => {
            // Within the document's range but over this hub's setting.
            let max = settings.max_time_limit.as_secs();
            return Err(ApiFailure::invalid(
                "time_limit_seconds",
                format!("this hub runs a schedule at most {max} s (planning.max_time_limit_seconds)"),
            ));
        }
    };
    let options = RunOptions {
        time_limit,
        seed: request.seed.unwrap_or(0),
    };
    let planned = service::run(&state.store, tenant, &site, &settings, options, (state.clock)()).await?;
    Ok((StatusCode::CREATED, Json(show(&site, &planned))))
}

async fn live_plan(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(site): Path<String>,
) -> Result<Json<PlanReport>, ApiFailure> {
    match service::live(&state.store, tenant, &site).await {
        Ok(planned) => Ok(Json(show(&site, &planned))),
        // A planned-for site without a plan yet reads as an empty one.
        Err(PlanningError::NoPlan(_)) => Ok(Json(PlanReport::none(&site))),
        Err(e) => Err(e.into()),
    }
}

async fn machines(
    state: State<HubState>,
    caller: Extension<TenantCaller>,
    site: Path<String>,
) -> Result<Json<Vec<MachinePlan>>, ApiFailure> {
    Ok(Json(live_plan(state, caller, site).await?.0.machines))
}

async fn orders(
    state: State<HubState>,
    caller: Extension<TenantCaller>,
    site: Path<String>,
) -> Result<Json<Vec<OrderPlan>>, ApiFailure> {
    Ok(Json(live_plan(state, caller, site).await?.0.orders))
}

async fn critical(
    state: State<HubState>,
    caller: Extension<TenantCaller>,
    site: Path<String>,
) -> Result<Json<Vec<OrderPlan>>, ApiFailure> {
    let mut orders: Vec<OrderPlan> = live_plan(state, caller, site)
        .await?
        .0
        .orders
        .into_iter()
        .filter(|o| matches!(o.state, OrderState::Late | OrderState::AtRisk))
        .collect();
    orders.sort_by_key(|o| (std::cmp::Reverse(o.lateness_minutes), o.order.clone()));
    Ok(Json(orders))
}

fn parse_time(field: String, raw: &str) -> Result<i64, ApiFailure> {
    Timestamp::parse(raw)
        .map(|t| t.unix_millis().div_euclid(60_000))
        .map_err(|e| bad(field, e))
}

fn what_if_changes(site: &str, request: WhatIfRequest) -> Result<WhatIf, ApiFailure> {
    if request.add_orders.len() > MAX_WHAT_IF_ORDERS {
        return Err(bad(
            "add_orders",
            format!("at most {MAX_WHAT_IF_ORDERS} orders per what-if"),
        ));
    }
    if request.machines_down.len() > MAX_WHAT_IF_DOWN {
        return Err(bad(
            "machines_down",
            format!("at most {MAX_WHAT_IF_DOWN} windows per what-if"),
        ));
    }
    let mut changes = WhatIf::default();
    for (i, o) in request.add_orders.into_iter().enumerate() {
        let order = serde_json::json!({
            "code": o.code, "material": o.material, "quantity": o.quantity, "due": o.due,
            "priority": o.priority.unwrap_or(1), "routing_version": o.routing_version,
            "site": site, "status": "released",
        });
        let order: crate::masterdata::records::ProductionOrder = serde_path_to_error::deserialize(order)
            .map_err(|e| {
                let f = FieldError::from_json(e.path().to_string(), e.inner());
                ApiFailure::invalid(format!("add_orders[{i}].{}", f.field), f.reason)
            })?;
        crate::masterdata::kind::positive("quantity", order.quantity, mes_protocols::limits::QUANTITY)
            .map_err(|f| ApiFailure::invalid(format!("add_orders[{i}].{}", f.field), f.reason))?;
        changes.orders.push(order);
    }
    for (i, d) in request.machines_down.into_iter().enumerate() {
        let from = parse_time(format!("machines_down[{i}].from"), &d.from)?;
        let to = parse_time(format!("machines_down[{i}].to"), &d.to)?;
        if to <= from {
            // Each instant is well-formed; together they make no window: 422.
            return Err(ApiFailure::invalid(
                format!("machines_down[{i}].to"),
                "must be at least a minute after from",
            ));
        }
        changes.down.push(DownWindow {
            equipment: d.equipment,
            from,
            to,
        });
    }
    Ok(changes)
}

async fn what_if(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(site): Path<String>,
    body: Bytes,
) -> Result<Json<WhatIfReport>, ApiFailure> {
    let _pass = planning_pass(&state, tenant)?;
    let request: WhatIfRequest = parse_body(&body)?;
    let changes = what_if_changes(&site, request)?;
    let settings = settings();
    let planned = service::what_if(&state.store, tenant, &site, &settings, changes, (state.clock)()).await?;
    let plan = show(&site, &planned);
    let live = match service::live(&state.store, tenant, &site).await {
        Ok(live) => Some(live),
        Err(PlanningError::NoPlan(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let (moved, changed_states) = match &live {
        Some(live) => {
            let live_report = show(&site, live);
            let moved = moved_operations(
                (&live.model, &live.stored.plan),
                (&planned.model, &planned.stored.plan),
            );
            let changed = plan
                .orders
                .iter()
                .filter_map(|o| {
                    let before = live_report
                        .orders
                        .iter()
                        .find(|l| l.order == o.order)
                        .map(|l| l.state);
                    (before != Some(o.state)).then(|| StateChange {
                        order: o.order.clone(),
                        live: before,
                        what_if: o.state,
                    })
                })
                .collect();
            (moved, changed)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(Json(WhatIfReport {
        plan,
        moved_operations: moved,
        changed_states,
    }))
}

async fn validation(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(site): Path<String>,
) -> Result<Json<ValidationReport>, ApiFailure> {
    let (revision, violations, now) =
        match service::validation(&state.store, tenant, &site, &settings(), (state.clock)()).await {
            Err(PlanningError::NoPlan(_)) => (0, Vec::new(), Vec::new()),
            other => other?,
        };
    Ok(Json(ValidationReport {
        revision,
        valid: violations.is_empty(),
        violations,
        against_current_data: now,
    }))
}

/// Adds the scheduling routes to `book`.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let base = "/api/v1/schedules/{site}";
    let tag = "Scheduling";
    let report = book.schema::<PlanReport>();
    let machine_list = book.schema::<Vec<MachinePlan>>();
    let order_list = book.schema::<Vec<OrderPlan>>();
    let run_request = book.schema::<RunRequest>();
    let what_if_request = book.schema::<WhatIfRequest>();
    let what_if_report = book.schema::<WhatIfReport>();
    let validation_report = book.schema::<ValidationReport>();
    book.add(
        Operation::new(
            "post",
            format!("{base}/run"),
            tag,
            "Schedule the site afresh and make it the live plan",
        )
        .right(Module::Scheduling, Action::Edit)
        .request(run_request)
        .optional_body()
        .describe("At most 2 runs and what-ifs of a tenant at once; more are 429 with Retry-After.")
        .response(report.clone())
        .status(201),
        post(run),
    );
    book.add(
        Operation::new("get", base, tag, "The live plan: per machine and per order")
            .right(Module::Scheduling, Action::View)
            .response(report),
        get(live_plan),
    );
    book.add(
        Operation::new(
            "get",
            format!("{base}/machines"),
            tag,
            "The live plan per machine",
        )
        .right(Module::Scheduling, Action::View)
        .response(machine_list),
        get(machines),
    );
    book.add(
        Operation::new(
            "get",
            format!("{base}/orders"),
            tag,
            "The live plan per order: estimated completion and lateness",
        )
        .right(Module::Scheduling, Action::View)
        .response(order_list.clone()),
        get(orders),
    );
    book.add(
        Operation::new(
            "get",
            format!("{base}/critical"),
            tag,
            "Late and at-risk orders, latest first",
        )
        .right(Module::Scheduling, Action::View)
        .response(order_list),
        get(critical),
    );
    book.add(
        Operation::new(
            "post",
            format!("{base}/what-if"),
            tag,
            "Plan with added orders or machines down, without replacing the live plan",
        )
        .right(Module::Scheduling, Action::Edit)
        .request(what_if_request)
        .describe("At most 2 runs and what-ifs of a tenant at once; more are 429 with Retry-After.")
        .response(what_if_report),
        post(what_if),
    );
    book.add(
        Operation::new(
            "get",
            format!("{base}/validation"),
            tag,
            "The live plan checked against its model and against the current data",
        )
        .right(Module::Scheduling, Action::View)
        .response(validation_report),
        get(validation),
    );
}

//! Steering a site's plan (`/api/v1/sites/{code}/plan/…`, issue 17): a
//! what-if of moves, pins, priorities, due dates or a frozen horizon
//! against a copy of the live plan, stored as a draft; accept (only while
//! the live plan is the draft's base, else 409), discard; the caller's
//! undo and redo; the live revision (a light check for open boards) and
//! what moved between two revisions. A change that breaks a constraint is
//! 422 with the constraint as the code and the change's field named.

use super::admission::GatePass;
use super::book::{Operation, RouteBook};
use super::guard::{AuditNote, CallerPrincipal, TenantCaller, with_note};
use super::masterdata::parse_body;
use super::{ApiFailure, HubState};
use crate::masterdata::records::Equipment;
use crate::masterdata::service;
use crate::planning::PlanningError;
use crate::planning::drafts::{self, DraftAnswer, DraftRequest, History, Made, RevisionDiff, SteerError};
use crate::planning::steer::Change;
use crate::store::rights::{Action, Module};
use crate::store::{RecordQuery, Store, TenantId};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::{delete, get, post};
use mes_protocols::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

/// Most changes in one what-if.
pub const MAX_CHANGES: usize = 50;
/// Longest operation key or order code, characters.
const NAME_MAX: usize = 200;
/// How long the search may improve a plan after a priority or due change.
pub const IMPROVE_BUDGET: Duration = Duration::from_millis(300);

/// One change of a what-if.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChangeBody {
    /// Put an operation on another machine and/or at another start; it
    /// stays there (fixed) until unpinned.
    Move {
        /// The operation key `order/operation`.
        #[schemars(length(min = 1, max = 200))]
        operation: String,
        /// The machine (default: where it is planned).
        #[serde(default)]
        #[schemars(length(min = 1, max = 200))]
        machine: Option<String>,
        /// The start, RFC 3339 (default: when it is planned).
        #[serde(default)]
        #[schemars(extend("format" = "date-time"))]
        start: Option<String>,
    },
    /// Fix an operation where it is planned.
    Pin {
        /// The operation key.
        #[schemars(length(min = 1, max = 200))]
        operation: String,
    },
    /// Let a fixed operation be planned freely again.
    Unpin {
        /// The operation key.
        #[schemars(length(min = 1, max = 200))]
        operation: String,
    },
    /// Set an order's priority (its weight: minutes late count this many times).
    Priority {
        /// The order's code.
        #[schemars(length(min = 1, max = 200))]
        order: String,
        /// 0 to 1,000,000.
        #[schemars(range(min = 0, max = 1_000_000))]
        priority: u32,
    },
    /// Set an order's due time (null: it cannot be late).
    Due {
        /// The order's code.
        #[schemars(length(min = 1, max = 200))]
        order: String,
        /// RFC 3339, or null.
        #[schemars(extend("format" = "date-time"))]
        due: Option<String>,
    },
    /// Freeze the plan until a time: what starts before stays, nothing
    /// new starts before it (null: thaw).
    Freeze {
        /// RFC 3339, or null.
        #[schemars(extend("format" = "date-time"))]
        until: Option<String>,
    },
}

/// Body of a what-if.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    /// The changes, tried in order (1 to 50).
    #[schemars(length(min = 1, max = 50))]
    pub changes: Vec<ChangeBody>,
}

/// The body of accept, undo and redo: nothing (or an empty object).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoBody {}

/// The live plan's revision, for a board to learn that a new plan exists.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RevisionInfo {
    /// The site.
    pub site: String,
    /// The live revision (0: no plan yet).
    pub revision: i64,
}

impl From<SteerError> for ApiFailure {
    fn from(e: SteerError) -> Self {
        let message = e.to_string();
        match e {
            SteerError::Planning(p) => p.into(),
            SteerError::Refused(i, r) => ApiFailure::new(StatusCode::UNPROCESSABLE_ENTITY, r.code(), message)
                .field(format!("changes[{i}].{}", r.field())),
            SteerError::DraftNotFound(_) | SteerError::RevisionGone(_) => {
                ApiFailure::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            SteerError::Stale { .. } | SteerError::Moved { .. } => {
                ApiFailure::new(StatusCode::CONFLICT, "plan_changed", message)
            }
            SteerError::NothingTo(what) => ApiFailure::new(
                StatusCode::CONFLICT,
                if what == "undo" {
                    "nothing_to_undo"
                } else {
                    "nothing_to_redo"
                },
                message,
            ),
            SteerError::Invalid(_) => {
                tracing::error!(error = %message, "a steered plan failed validation");
                ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "planning_error", message)
            }
            SteerError::Store(s) => s.into(),
        }
    }
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> ApiFailure {
    ApiFailure::new(StatusCode::BAD_REQUEST, "invalid_body", reason).field(field)
}

fn minute(field: String, raw: &str) -> Result<i64, ApiFailure> {
    Timestamp::parse(raw)
        .map(|t| t.unix_millis().div_euclid(60_000))
        .map_err(|e| bad(field, e))
}

fn name(field: String, value: String) -> Result<String, ApiFailure> {
    if value.is_empty() || value.chars().count() > NAME_MAX {
        return Err(bad(field, format!("must be 1 to {NAME_MAX} characters")));
    }
    Ok(value)
}

/// The body's changes, parsed (400 for what the document forbids, 422
/// for a move that changes nothing).
pub fn parse_changes(body: DraftBody) -> Result<Vec<Change>, ApiFailure> {
    if body.changes.is_empty() || body.changes.len() > MAX_CHANGES {
        return Err(bad("changes", format!("1 to {MAX_CHANGES} changes")));
    }
    let mut out = Vec::with_capacity(body.changes.len());
    for (i, c) in body.changes.into_iter().enumerate() {
        let f = |field: &str| format!("changes[{i}].{field}");
        out.push(match c {
            ChangeBody::Move {
                operation,
                machine,
                start,
            } => {
                if machine.is_none() && start.is_none() {
                    return Err(ApiFailure::invalid(
                        f("machine"),
                        "a move names a machine, a start or both",
                    ));
                }
                Change::Move {
                    op: name(f("operation"), operation)?,
                    machine: machine.map(|m| name(f("machine"), m)).transpose()?,
                    start: start.map(|s| minute(f("start"), &s)).transpose()?,
                }
            }
            ChangeBody::Pin { operation } => Change::Pin {
                op: name(f("operation"), operation)?,
            },
            ChangeBody::Unpin { operation } => Change::Unpin {
                op: name(f("operation"), operation)?,
            },
            ChangeBody::Priority { order, priority } => {
                if priority > 1_000_000 {
                    return Err(bad(f("priority"), "0 to 1000000"));
                }
                Change::Priority {
                    order: name(f("order"), order)?,
                    priority: i64::from(priority),
                }
            }
            ChangeBody::Due { order, due } => Change::Due {
                order: name(f("order"), order)?,
                due: due.map(|d| minute(f("due"), &d)).transpose()?,
            },
            ChangeBody::Freeze { until } => Change::Freeze {
                until: until.map(|u| minute(f("until"), &u)).transpose()?,
            },
        });
    }
    Ok(out)
}

/// Each machine of the site and its equipment type.
pub(crate) async fn machine_types(
    store: &Store,
    tenant: TenantId,
    site: &str,
) -> Result<HashMap<String, String>, ApiFailure> {
    let query = RecordQuery {
        site: Some(site.to_string()),
        ..RecordQuery::default()
    };
    Ok(service::list_all::<Equipment>(store, tenant, query)
        .await?
        .into_iter()
        .map(|e| (e.record.code.to_string(), e.record.equipment_type.to_string()))
        .collect())
}

fn pass(state: &HubState, tenant: TenantId) -> Result<GatePass, ApiFailure> {
    super::planning::planning_pass(state, tenant)
}

async fn create_draft(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
    Path(site): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<DraftAnswer>), ApiFailure> {
    let _pass = pass(&state, tenant)?;
    let changes = parse_changes(parse_body(&body)?)?;
    let types = machine_types(&state.store, tenant, &site).await?;
    let request = DraftRequest {
        author: principal.login.clone(),
        changes,
        types,
        now_ms: (state.clock)(),
        improve_budget: IMPROVE_BUDGET,
    };
    let answer = drafts::create(&state.store, tenant, &site, request).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

async fn discard_draft(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path((site, draft)): Path<(String, String)>,
) -> Result<StatusCode, ApiFailure> {
    drafts::discard(&state.store, tenant, &site, &draft).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn no_body(body: &Bytes) -> Result<(), ApiFailure> {
    if !body.is_empty() {
        parse_body::<NoBody>(body)?;
    }
    Ok(())
}

/// The answer of a plan made live, with its audit note.
fn made(what: &str, m: &Made) -> Response {
    let note = AuditNote::object(
        "plan",
        &m.site,
        Some(json!({"revision": m.replaced})),
        Some(json!({"revision": m.revision, what: m.summary})),
    );
    with_note(StatusCode::OK, json!(m), note)
}

async fn accept_draft(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
    Path((site, draft)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    no_body(&body)?;
    let m = drafts::accept(&state.store, tenant, &site, &draft, &principal.login).await?;
    Ok(made("accepted", &m))
}

async fn step(
    state: HubState,
    tenant: TenantId,
    login: &str,
    site: &str,
    undo: bool,
) -> Result<Response, ApiFailure> {
    let m = drafts::step_back(&state.store, tenant, site, login, undo, (state.clock)()).await?;
    Ok(made(if undo { "undone" } else { "redone" }, &m))
}

async fn undo(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
    Path(site): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    no_body(&body)?;
    step(state, tenant, &principal.login, &site, true).await
}

async fn redo(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
    Path(site): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    no_body(&body)?;
    step(state, tenant, &principal.login, &site, false).await
}

async fn history(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
    Path(site): Path<String>,
) -> Result<Json<History>, ApiFailure> {
    Ok(Json(
        drafts::history(&state.store, tenant, &site, &principal.login).await?,
    ))
}

async fn revision(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(site): Path<String>,
) -> Result<Json<RevisionInfo>, ApiFailure> {
    if !state.store.site_exists(tenant, site.clone()).await? {
        return Err(PlanningError::SiteNotFound(site).into());
    }
    let revision = state
        .store
        .live_plan_revision(tenant, site.clone())
        .await?
        .unwrap_or(0);
    Ok(Json(RevisionInfo { site, revision }))
}

fn revision_param(params: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ApiFailure> {
    params
        .get(name)
        .map(|v| {
            v.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                super::params::bad_query(name, format!("`{name}` must be a revision number (1 or more)"))
            })
        })
        .transpose()
}

async fn diff(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(site): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<RevisionDiff>, ApiFailure> {
    if let Some(unknown) = params
        .keys()
        .find(|k| *k != "from_revision" && *k != "to_revision")
    {
        return Err(super::params::bad_query(unknown, "unknown query parameter"));
    }
    let to = revision_param(&params, "to_revision")?;
    let from = match revision_param(&params, "from_revision")? {
        Some(from) => from,
        None => {
            // By default what the last revision changed; nothing before the first.
            if !state.store.site_exists(tenant, site.clone()).await? {
                return Err(PlanningError::SiteNotFound(site).into());
            }
            let live = state
                .store
                .live_plan_revision(tenant, site.clone())
                .await?
                .unwrap_or(0);
            if live <= 1 {
                return Ok(Json(RevisionDiff {
                    from: live,
                    to: live,
                    trigger: String::new(),
                    operations_moved: 0,
                    operations: Vec::new(),
                    stability: Default::default(),
                }));
            }
            to.unwrap_or(live) - 1
        }
    };
    Ok(Json(drafts::diff(&state.store, tenant, &site, from, to).await?))
}

/// Adds the steering routes to `book`.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let base = "/api/v1/sites/{code}/plan";
    let tag = "Scheduling";
    let draft_body = book.schema::<DraftBody>();
    let draft = book.schema::<DraftAnswer>();
    let made = book.schema::<Made>();
    let no_body = book.schema::<NoBody>();
    let history_schema = book.schema::<History>();
    let revision_schema = book.schema::<RevisionInfo>();
    let diff_schema = book.schema::<RevisionDiff>();
    let limits = "At most 2 runs and what-ifs of a tenant at once; more are 429 with Retry-After. \
                  A change that breaks a constraint is 422 with the constraint as its code \
                  (`machine_not_allowed`, `before_predecessor`, `outside_calendar`, \
                  `material_not_available`, `before_earliest_start`, `machine_busy`, `in_progress`) \
                  and the change's field named.";
    book.add(
        Operation::new(
            "post",
            format!("{base}/drafts"),
            tag,
            "What-if: try changes on a copy of the live plan and keep the result as a draft",
        )
        .right(Module::Scheduling, Action::Edit)
        .request(draft_body)
        .describe(limits)
        .response(draft)
        .status(201),
        post(create_draft),
    );
    book.add(
        Operation::new(
            "delete",
            format!("{base}/drafts/{{draft}}"),
            tag,
            "Discard a draft",
        )
        .right(Module::Scheduling, Action::Edit)
        .status(204),
        delete(discard_draft),
    );
    book.add(
        Operation::new(
            "post",
            format!("{base}/drafts/{{draft}}/accept"),
            tag,
            "Make a draft the live plan (409 when the live plan is no longer its base)",
        )
        .right(Module::Scheduling, Action::Edit)
        .request(no_body.clone())
        .optional_body()
        .response(made.clone()),
        post(accept_draft),
    );
    book.add(
        Operation::new(
            "post",
            format!("{base}/undo"),
            tag,
            "Undo your last accepted change: the plan before it becomes live again",
        )
        .right(Module::Scheduling, Action::Edit)
        .request(no_body.clone())
        .optional_body()
        .response(made.clone()),
        post(undo),
    );
    book.add(
        Operation::new(
            "post",
            format!("{base}/redo"),
            tag,
            "Redo your last undone change",
        )
        .right(Module::Scheduling, Action::Edit)
        .request(no_body)
        .optional_body()
        .response(made),
        post(redo),
    );
    book.add(
        Operation::new(
            "get",
            format!("{base}/history"),
            tag,
            "What you can undo and redo now",
        )
        .right(Module::Scheduling, Action::View)
        .response(history_schema),
        get(history),
    );
    book.add(
        Operation::new(
            "get",
            format!("{base}/revision"),
            tag,
            "The live plan's revision (a light check)",
        )
        .right(Module::Scheduling, Action::View)
        .response(revision_schema),
        get(revision),
    );
    book.add(
        Operation::new(
            "get",
            format!("{base}/diff"),
            tag,
            "What moved between two revisions of the plan (to: the live one by default)",
        )
        .right(Module::Scheduling, Action::View)
        .query_typed(
            "from_revision",
            "The earlier revision (default: the one before `to_revision`)",
            json!({"type": "integer", "minimum": 1, "maximum": i64::MAX}),
        )
        .query_typed(
            "to_revision",
            "The later revision (default: the live one)",
            json!({"type": "integer", "minimum": 1, "maximum": i64::MAX}),
        )
        .response(diff_schema),
        get(diff),
    );
}

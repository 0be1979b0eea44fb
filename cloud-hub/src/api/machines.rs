//! `GET /api/v1/equipment/{code}/timeline`, `…/downtime` and `…/parts`: an
//! equipment's states, stops with reasons and part counts over a period
//! (`from`, `to`: RFC 3339; default the last 24 hours by the hub's clock).

use super::book::{Operation, RouteBook};
use super::guard::{SiteAccess, TenantCaller};
use super::params::{bad_query, only};
use super::{ApiFailure, HubState};
use crate::machines::fleet::{self, EquipmentNow};
use crate::machines::load::machine_events;
use crate::machines::timeline::{self, PartsBucket, StateInterval};
use crate::store::TenantId;
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Json;
use axum::routing::get;
use mes_protocols::Timestamp;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

const DAY_MS: i64 = 86_400_000;

/// Longest period one question may cover.
const MAX_DAYS: i64 = 400;

/// A period read from `from` and `to`.
struct Period {
    from: i64,
    to: i64,
}

pub(super) fn instant(raw: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ApiFailure> {
    raw.get(name)
        .map(|v| {
            Timestamp::parse(v)
                .map(Timestamp::unix_millis)
                .map_err(|reason| bad_query(name, format!("must be an RFC 3339 instant: {reason}")))
        })
        .transpose()
}

fn period(state: &HubState, raw: &HashMap<String, String>) -> Result<Period, ApiFailure> {
    let now = (state.clock)();
    let to = instant(raw, "to")?.unwrap_or(now).min(now);
    let from = instant(raw, "from")?.unwrap_or(to - DAY_MS);
    // Well-formed instants that make no period are wrong in meaning: 422.
    if from >= to {
        return Err(ApiFailure::invalid(
            "from",
            "must be before `to` (and before now)",
        ));
    }
    if to - from > MAX_DAYS * DAY_MS {
        return Err(ApiFailure::invalid(
            "from",
            format!("the period may cover at most {MAX_DAYS} days"),
        ));
    }
    Ok(Period { from, to })
}

/// An equipment's intervals over a period.
#[derive(Serialize, schemars::JsonSchema)]
struct Intervals {
    equipment: String,
    site: String,
    from: i64,
    to: i64,
    /// Duration of the listed intervals together, ms.
    total_ms: i64,
    /// Down only: the stops (intervals of one stop share `stop_since`).
    #[serde(skip_serializing_if = "Option::is_none")]
    stops: Option<usize>,
    items: Vec<StateInterval>,
}

/// An equipment's part counts over a period.
#[derive(Serialize, schemars::JsonSchema)]
struct Parts {
    equipment: String,
    site: String,
    from: i64,
    to: i64,
    /// `hour` or `day` (local days of the site).
    bucket: String,
    good: u64,
    scrap: u64,
    items: Vec<PartsBucket>,
}

async fn intervals_of(
    state: &HubState,
    tenant: TenantId,
    code: &str,
    raw: &HashMap<String, String>,
    down_only: bool,
) -> Result<Json<Intervals>, ApiFailure> {
    only(raw, &["from", "to"])?;
    let p = period(state, raw)?;
    let events = machine_events(&state.store, tenant, code).await?;
    let states = timeline::intervals(&events.changes, &events.assigned, p.from, p.to);
    let mut items = timeline::with_outages(states, &events.outages, p.from, p.to);
    if down_only {
        items = timeline::downtime(&items);
    }
    Ok(Json(Intervals {
        equipment: code.to_string(),
        site: events.site,
        from: p.from,
        to: p.to,
        total_ms: items.iter().map(|i| i.duration_ms).sum(),
        stops: down_only.then(|| {
            let mut starts: Vec<_> = items.iter().filter_map(|i| i.stop_since).collect();
            starts.dedup();
            starts.len()
        }),
        items,
    }))
}

async fn states(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    Path(code): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<Intervals>, ApiFailure> {
    within_reach(
        intervals_of(&state, tenant, &code, &raw, false).await?,
        |i| &i.site,
        &scope,
        &code,
    )
}

async fn downtime(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    Path(code): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<Intervals>, ApiFailure> {
    within_reach(
        intervals_of(&state, tenant, &code, &raw, true).await?,
        |i| &i.site,
        &scope,
        &code,
    )
}

/// The answer about equipment `code`, or 404 when its site is beyond the
/// caller's right (to them it does not exist).
fn within_reach<T>(
    answer: Json<T>,
    site: impl Fn(&T) -> &String,
    scope: &SiteAccess,
    code: &str,
) -> Result<Json<T>, ApiFailure> {
    if scope.0.covers(site(&answer.0)) {
        Ok(answer)
    } else {
        Err(ApiFailure::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("equipment `{code}` not found"),
        ))
    }
}

async fn parts(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    Path(code): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<Parts>, ApiFailure> {
    only(&raw, &["from", "to", "bucket"])?;
    let p = period(&state, &raw)?;
    let bucket = raw.get("bucket").map_or("hour", String::as_str);
    let bucket_ms = match bucket {
        "hour" => 3_600_000,
        "day" => DAY_MS,
        _ => return Err(bad_query("bucket", "must be `hour` or `day`")),
    };
    let events = machine_events(&state.store, tenant, &code).await?;
    if !scope.0.covers(&events.site) {
        return Err(ApiFailure::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("equipment `{code}` not found"),
        ));
    }
    let items = timeline::parts(&events.parts, p.from, p.to, bucket_ms, events.utc_offset_ms);
    Ok(Json(Parts {
        equipment: code,
        site: events.site,
        from: p.from,
        to: p.to,
        bucket: bucket.to_string(),
        good: items.iter().map(|b| b.good).fold(0, u64::saturating_add),
        scrap: items.iter().map(|b| b.scrap).fold(0, u64::saturating_add),
        items,
    }))
}

/// Adds the machine-data routes.
async fn site_equipment(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(site): Path<String>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let items = fleet::site_equipment(&state.store, tenant, &site).await?;
    Ok(Json(json!({ "site": site, "items": items })))
}

pub(crate) fn add_routes(book: &mut RouteBook) {
    let tag = "Machines";
    let now = book.schema::<EquipmentNow>();
    book.add(
        Operation::new(
            "get",
            "/api/v1/sites/{code}/equipment",
            tag,
            "The active equipment of a site with the last state each reported (state, reason, since)",
        )
        .right(Module::Equipment, Action::View)
        .response(
            json!({"type": "object", "required": ["site", "items"], "properties": {
            "site": {"type": "string"}, "items": {"type": "array", "items": now}}}),
        ),
        get(site_equipment),
    );
    let intervals = book.schema::<Intervals>();
    let counted = book.schema::<Parts>();
    let period = |op: Operation| {
        op.query_typed(
            "from",
            "start, an RFC 3339 instant (default: 24 hours before `to`)",
            json!({"type": "string", "format": "date-time"}),
        )
        .query_typed(
            "to",
            "end, an RFC 3339 instant (default and at most: now)",
            json!({"type": "string", "format": "date-time"}),
        )
    };
    book.add(
        period(Operation::new(
            "get",
            "/api/v1/equipment/{code}/timeline",
            tag,
            "An equipment's states over a period: each interval with its reason, and agent_down where the agent observing it was not running",
        ).right(Module::Equipment, Action::View))
        .response(intervals.clone()),
        get(states),
    );
    book.add(
        period(Operation::new(
            "get",
            "/api/v1/equipment/{code}/downtime",
            tag,
            "An equipment's stops (state down) over a period, with the machine's and the operator's reasons",
        ).right(Module::Equipment, Action::View))
        .response(intervals),
        get(downtime),
    );
    book.add(
        period(
            Operation::new(
                "get",
                "/api/v1/equipment/{code}/parts",
                tag,
                "Good and scrap parts an equipment counted, per hour or local day",
            )
            .right(Module::Equipment, Action::View),
        )
        .query_typed(
            "bucket",
            "hour (default) or day",
            json!({"type": "string", "enum": ["hour", "day"]}),
        )
        .response(counted),
        get(parts),
    );
}

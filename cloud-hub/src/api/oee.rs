//! `GET /api/v1/oee/equipment/{code}` and `GET /api/v1/oee/sites/{site}`:
//! OEE and downtime per ISO 22400-2 (`crate::oee`) of an equipment, or of
//! a site's machines pooled and each, over a period (`from`, `to`: RFC
//! 3339; default the last 24 hours by the hub's clock) in buckets
//! (`bucket`: shift, day or week; default day).

use super::book::{Operation, RouteBook};
use super::guard::{SiteAccess, TenantCaller};
use super::machines::instant;
use super::params::{bad_query, only};
use super::{ApiFailure, HubState};
use crate::oee::{self, BucketKind, EquipmentOee, Period, SiteOee};
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Json;
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;

/// The question's period and bucket from the query: unknown parameters
/// and unreadable values are 400 naming them; a period that reads but
/// makes no sense (empty, too long) is 422 (`oee::Period`).
fn question(state: &HubState, raw: &HashMap<String, String>) -> Result<(Period, BucketKind), ApiFailure> {
    only(raw, &["from", "to", "bucket"])?;
    let from = instant(raw, "from")?;
    let to = instant(raw, "to")?;
    let bucket = match raw.get("bucket") {
        None => BucketKind::Day,
        Some(text) => {
            BucketKind::parse(text).ok_or_else(|| bad_query("bucket", "must be `shift`, `day` or `week`"))?
        }
    };
    Ok((Period::new(from, to, (state.clock)())?, bucket))
}

async fn equipment(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    Path(code): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<EquipmentOee>, ApiFailure> {
    let (period, bucket) = question(&state, &raw)?;
    let now = (state.clock)();
    let answer = oee::equipment_oee(&state.store, tenant, &code, period, bucket, now).await?;
    // Beyond the caller's sites the equipment does not exist to them.
    if !scope.0.covers(&answer.site) {
        return Err(ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("equipment `{code}` not found"),
        ));
    }
    Ok(Json(answer))
}

async fn site(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(site): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<SiteOee>, ApiFailure> {
    // The guard refused a caller whose right does not reach `{site}`.
    let (period, bucket) = question(&state, &raw)?;
    let now = (state.clock)();
    Ok(Json(
        oee::site_oee(&state.store, tenant, &site, period, bucket, now).await?,
    ))
}

const STATUSES: &str = "Answers 400 for an unknown query parameter or a value that does not read \
    (naming it), 404 for an unknown (or out of reach) equipment or site, 422 for a period that \
    reads but makes no sense (`from` not before `to` and now, longer than 400 days) or too many \
    buckets (more than 1000, naming `bucket`). Every ratio has its numerator and denominator as \
    exact decimal strings and no value without a denominator; times are ms. Rules (what counts \
    as produced, unknown time, changeover, MTBF/MTTR): `cloud-hub/src/oee/mod.rs`.";

/// Adds the OEE routes.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let tag = "OEE";
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
        .query_typed(
            "bucket",
            "the trend's buckets: shift (of the calendar followed; local days without one), day (default) or week (ISO, local)",
            json!({"type": "string", "enum": ["shift", "day", "week"]}),
        )
        .right(Module::Equipment, Action::View)
        .describe(STATUSES)
    };
    let one = book.schema::<EquipmentOee>();
    book.add(
        period(Operation::new(
            "get",
            "/api/v1/oee/equipment/{code}",
            tag,
            "An equipment's OEE (availability, performance, quality) over a period with its time waterfall, downtime Pareto, MTBF/MTTR and trend per bucket",
        ))
        .response(one),
        get(equipment),
    );
    let pooled = book.schema::<SiteOee>();
    book.add(
        period(Operation::new(
            "get",
            "/api/v1/oee/sites/{site}",
            tag,
            "A site's OEE: its machines pooled (sums of numerators and denominators) with waterfall, Pareto and trend, and each machine's totals",
        ))
        .response(pooled),
        get(site),
    );
}

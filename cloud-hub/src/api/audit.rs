//! `GET /api/v1/audit`: the audit log for admins, newest first, filtered
//! by who, what, object and time, paged by `before` (the last id seen).
//! There is no route that changes or deletes a record of it.

use super::book::{Operation, RouteBook};
use super::guard::TenantCaller;
use super::{ApiFailure, HubState};
use crate::store::access::{AuditQuery, AuditRow};
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Json;
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Longest text filter, characters.
const TEXT_MAX: usize = 200;

/// Records per page unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 100;

fn day_start(field: &str, text: &str) -> Result<i64, ApiFailure> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).map_err(|_| {
        ApiFailure::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("`{field}` must be a date YYYY-MM-DD"),
        )
        .field(field)
    })?;
    Ok(date.midnight().assume_utc().unix_timestamp() * 1000)
}

async fn query(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiFailure> {
    let bad = |field: &str, reason: &str| {
        ApiFailure::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_query",
            reason.to_string(),
        )
        .field(field)
    };
    const KNOWN: [&str; 8] = [
        "actor",
        "action",
        "object_kind",
        "object_code",
        "from",
        "to",
        "before",
        "limit",
    ];
    if let Some(name) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(bad(name, "unknown query parameter"));
    }
    for field in ["actor", "action", "object_kind", "object_code"] {
        if let Some(value) = params.get(field)
            && value.chars().count() > TEXT_MAX
        {
            return Err(bad(field, "a filter is at most 200 characters"));
        }
    }
    let limit = match params.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=super::params::MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                bad(
                    "limit",
                    "`limit` must be a whole number from 1 to the documented maximum",
                )
            })?,
        None => DEFAULT_LIMIT,
    };
    let before_id = match params.get("before") {
        Some(b) => Some(
            b.parse::<i64>()
                .ok()
                .filter(|id| *id >= 1)
                .ok_or_else(|| bad("before", "`before` must be a record id (1 or more)"))?,
        ),
        None => None,
    };
    let from = params.get("from").map(|d| day_start("from", d)).transpose()?;
    // `to` is inclusive: up to the end of that day.
    let to = params
        .get("to")
        .map(|d| day_start("to", d).map(|ms| ms + 86_400_000))
        .transpose()?;
    let rows: Vec<AuditRow> = state
        .store
        .query_audit(
            tenant,
            AuditQuery {
                actor: params.get("actor").cloned(),
                action: params.get("action").cloned(),
                object_kind: params.get("object_kind").cloned(),
                object_code: params.get("object_code").cloned(),
                from,
                to,
                before_id,
                limit,
            },
        )
        .await?;
    let next = (rows.len() == limit).then(|| rows.last().map(|r| r.id)).flatten();
    Ok(Json(json!({ "items": rows, "next_before": next })))
}

/// Adds the audit log's read route.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let row = book.schema::<AuditRow>();
    let text = json!({"type": "string", "maxLength": TEXT_MAX});
    book.add(
        Operation::new(
            "get",
            "/api/v1/audit",
            "Users and rights",
            "The audit log, newest first: who did what, from where, with what outcome",
        )
        .right(Module::System, Action::Admin)
        .query_typed("actor", "only this login, token or agent", text.clone())
        .query_typed(
            "action",
            "only actions containing this text (`login`, `POST /api/v1/materials`)",
            text.clone(),
        )
        .query_typed(
            "object_kind",
            "only this kind of object (`material`)",
            text.clone(),
        )
        .query_typed("object_code", "only this object's code", text)
        .query("from", "from this day (UTC)")
        .query("to", "up to and including this day (UTC)")
        .query_typed(
            "before",
            "records older than this id (the previous page's `next_before`)",
            json!({"type": "integer", "minimum": 1}),
        )
        .query("limit", "records per page (default 100)")
        .response(json!({"type": "object", "properties": {
            "items": {"type": "array", "items": row},
            "next_before": {"type": ["integer", "null"]}}})),
        get(query),
    );
}

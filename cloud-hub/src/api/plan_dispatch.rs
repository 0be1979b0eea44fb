//! The live plan per machine as dispatch lists
//! (`GET /api/v1/sites/{code}/plan/dispatch`, issue 17 item 5): JSON, or
//! CSV rows with `format=csv` (an export, so audited), for stations
//! without screens and for spreadsheets.

use super::book::{Operation, RouteBook};
use super::guard::TenantCaller;
use super::{ApiFailure, HubState};
use crate::planning::PlanningError;
use crate::planning::dispatch::DispatchRow;
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;

/// The dispatch list as CSV (one row per operation, machines by code).
fn dispatch_csv(rows: &[DispatchRow]) -> Result<Response, ApiFailure> {
    let internal =
        |e: csv::Error| ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string());
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "equipment",
        "seq",
        "order",
        "operation",
        "start",
        "end",
        "setup_minutes",
        "span_minutes",
        "in_progress",
        "fixed",
        "waits_for",
    ])
    .map_err(internal)?;
    for r in rows {
        let text = |v: &str| crate::csv_cell::escape(v).into_owned();
        out.write_record([
            text(&r.equipment),
            r.seq.to_string(),
            text(&r.order),
            text(&r.operation),
            r.start.clone(),
            r.end.clone(),
            r.setup_minutes.to_string(),
            r.span_minutes.to_string(),
            r.in_progress.to_string(),
            r.fixed.to_string(),
            text(r.waits_for.as_deref().unwrap_or("")),
        ])
        .map_err(internal)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response())
}

async fn dispatch(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(site): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiFailure> {
    if let Some(unknown) = params.keys().find(|k| *k != "equipment" && *k != "format") {
        return Err(super::params::bad_query(unknown, "unknown query parameter"));
    }
    let csv = match params.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(super::params::bad_query("format", "`format` is json or csv")),
    };
    let planned = crate::planning::service::live(&state.store, tenant, &site).await;
    let rows = match planned {
        Ok(p) => crate::planning::dispatch::dispatch(&p.stored, params.get("equipment").map(String::as_str)),
        Err(PlanningError::NoPlan(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    if csv {
        dispatch_csv(&rows)
    } else {
        Ok(Json(json!({ "items": rows })).into_response())
    }
}

/// Adds the dispatch-list route to `book`.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let base = "/api/v1/sites/{code}/plan";
    let tag = "Scheduling";
    let dispatch_row = book.schema::<DispatchRow>();
    book.add(
        Operation::new(
            "get",
            format!("{base}/dispatch"),
            tag,
            "The live plan per machine as dispatch lists (JSON, or CSV rows with format=csv)",
        )
        .right(Module::Scheduling, Action::View)
        .query("equipment", "Only this machine")
        .query("format", "json (default) or csv")
        .response(
            json!({"type": "object", "properties": {"items": {"type": "array", "items": dispatch_row}}}),
        )
        .produces("text/csv"),
        get(dispatch),
    );
}

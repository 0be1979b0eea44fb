//! Stock routes: post documents, list balances, a material's position,
//! statement and shortages, and the events the projection could not book.

use super::book::{Operation, RouteBook};
use super::guard::{SiteAccess, TenantCaller};
use super::masterdata::parse_body;
use super::params::{Page, bad_query, limit, only};
use super::{ApiFailure, HubState};
use crate::inventory::documents::{self, Posted, StockDocument};
use crate::inventory::position::{self, MaterialPosition, ShortageEntry, StatementEntry, parse_at};
use crate::store::ledger::BalanceQuery;
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::collections::HashMap;

async fn post_document(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let doc: StockDocument = parse_body(&body).map_err(|e| {
        documents::decimal_field_error(&body).map_or(e, |f| {
            ApiFailure::new(StatusCode::BAD_REQUEST, "invalid_body", f.reason).field(f.field)
        })
    })?;
    let posted = documents::post(&state.store, tenant, doc).await?;
    let status = if posted.rows_booked > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(posted)).into_response())
}

async fn list_balances(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(SiteAccess(scope)): Extension<SiteAccess>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<Page>, ApiFailure> {
    only(
        &raw,
        &["material", "location", "lot", "site", "zero", "after", "limit"],
    )?;
    let limit = limit(raw.get("limit"))?;
    // The filters are codes, as the document says.
    for name in ["material", "location", "lot", "site"] {
        if let Some(value) = raw.get(name) {
            mes_protocols::Code::parse(value).map_err(|reason| bad_query(name, reason))?;
        }
    }
    let after = match raw.get("after") {
        None => None,
        Some(cursor) => {
            let parts: Vec<&str> = cursor.splitn(3, '|').collect();
            match parts.as_slice() {
                [m, l, loc] => Some((m.to_string(), l.to_string(), loc.to_string())),
                _ => return Err(bad_query("after", "must be the previous page's `next`")),
            }
        }
    };
    let include_zero = match raw.get("zero").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad_query("zero", "must be true or false")),
    };
    let rows = state
        .store
        .balances(
            tenant,
            BalanceQuery {
                material: raw.get("material").cloned(),
                location: raw.get("location").cloned(),
                lot: raw.get("lot").cloned(),
                site: raw.get("site").cloned(),
                after,
                include_zero,
                limit,
            },
        )
        .await?;
    let next = (rows.len() == limit).then(|| rows.last()).flatten().map(|r| {
        format!(
            "{}|{}|{}",
            r.material,
            r.lot.as_ref().map_or("", |l| l.as_str()),
            r.location
        )
    });
    Ok(Json(Page {
        items: rows
            .iter()
            // Cut before filtering, so `next` still walks every row.
            .filter(|r| scope.covers(&r.site))
            .map(|r| serde_json::to_value(r).unwrap_or_default())
            .collect(),
        next,
    }))
}

async fn material_position(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(material): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<MaterialPosition>, ApiFailure> {
    only(&raw, &["at"])?;
    let at = parse_at(raw.get("at"))?;
    Ok(Json(
        position::position(&state.store, tenant, &material, at).await?,
    ))
}

async fn material_statement(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(material): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    only(&raw, &["at"])?;
    let at = parse_at(raw.get("at"))?;
    let lines: Vec<StatementEntry> = position::statement(&state.store, tenant, &material, at).await?;
    Ok(Json(json!({ "items": lines })))
}

async fn material_shortages(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(material): Path<String>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    only(&raw, &["at"])?;
    let at = parse_at(raw.get("at"))?;
    let items: Vec<ShortageEntry> = position::shortages(&state.store, tenant, &material, at).await?;
    Ok(Json(json!({ "items": items })))
}

/// Adds the stock routes.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let tag = "Stock";
    let doc = book.schema::<StockDocument>();
    let posted = book.schema::<Posted>();
    let position = book.schema::<MaterialPosition>();
    let statement = book.schema::<StatementEntry>();
    let shortage = book.schema::<ShortageEntry>();
    book.add(
        Operation::new(
            "post",
            "/api/v1/stock/documents",
            tag,
            "Post a stock document (receipt, transfer, stocktake, scrap, adjustment); idempotent per document number",
        ).right(Module::Stock, Action::Approve)
        .request(doc)
        .response(posted)
        .status(201)
        .also(200),
        post(post_document).layer(DefaultBodyLimit::max(1 << 20)),
    );
    book.add(
        Operation::new(
            "get",
            "/api/v1/stock",
            tag,
            "Balances per material, lot and location (now)",
        )
        .right(Module::Stock, Action::View)
        .query("material", "only this material")
        .query("location", "only this location")
        .query("lot", "only this lot")
        .query("site", "only this site")
        .query("zero", "true: include zero balances")
        .query_typed(
            "after",
            "the previous page's `next` (material|lot|location)",
            serde_json::json!({"type": "string", "pattern": "^[^|]*\\|[^|]*\\|"}),
        )
        .query("limit", "page size, 1 to 1000 (default 100)"),
        get(list_balances),
    );
    book.add(
        Operation::new(
            "get",
            "/api/v1/stock/materials/{code}",
            tag,
            "A material's on hand, reserved and available at an instant (`at`, default now)",
        )
        .right(Module::Stock, Action::View)
        .query("at", "an RFC 3339 instant")
        .response(position),
        get(material_position),
    );
    book.add(
        Operation::new(
            "get",
            "/api/v1/stock/materials/{code}/movements",
            tag,
            "A material's statement per lot and location",
        )
        .right(Module::Stock, Action::View)
        .query("at", "an RFC 3339 instant: movements up to it")
        .response(json!({"type": "object", "properties": {"items": {"type": "array", "items": statement}}})),
        get(material_statement),
    );
    book.add(
        Operation::new(
            "get",
            "/api/v1/stock/materials/{code}/shortages",
            tag,
            "Where a material went below zero, and each explicit correction",
        )
        .right(Module::Stock, Action::View)
        .query("at", "an RFC 3339 instant")
        .response(json!({"type": "object", "properties": {"items": {"type": "array", "items": shortage}}})),
        get(material_shortages),
    );
}

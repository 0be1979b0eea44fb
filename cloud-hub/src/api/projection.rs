//! Projection routes: the events the hub could not book into the ledger
//! (set aside with their id and reason, see `projection/guard.rs`), and
//! booking them again once the cause is fixed.

use super::book::{Operation, RouteBook};
use super::guard::TenantCaller;
use super::params::{limit, only};
use super::{ApiFailure, HubState};
use crate::projection::{Reapplied, reapply_issues};
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Json;
use axum::routing::{get, post};
use serde_json::json;
use std::collections::HashMap;

async fn projection_issues(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    only(&raw, &["limit"])?;
    let limit = limit(raw.get("limit"))?;
    let items = state.store.projection_issues(tenant, limit).await?;
    Ok(Json(json!({ "items": items })))
}

async fn reapply(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<Reapplied>, ApiFailure> {
    only(&raw, &["limit"])?;
    let limit = limit(raw.get("limit"))?;
    Ok(Json(reapply_issues(&state.store, tenant, limit).await?))
}

/// Adds the projection routes.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let tag = "Stock";
    let reapplied = book.schema::<Reapplied>();
    book.add(
        Operation::new(
            "post",
            "/api/v1/projection/issues/reapply",
            tag,
            "Book the set-aside events again (oldest first), after the master data that stopped them was fixed: those that book lose their issue, the others keep one with today's reason",
        ).right(Module::System, Action::Edit)
        .query("limit", "most events, 1 to 1000 (default 100)")
        .response(reapplied),
        post(reapply),
    );
    book.add(
        Operation::new(
            "get",
            "/api/v1/projection/issues",
            tag,
            "Events the hub could not book into the ledger, and why",
        )
        .right(Module::System, Action::View)
        .query("limit", "most issues, 1 to 1000 (default 100)"),
        get(projection_issues),
    );
}

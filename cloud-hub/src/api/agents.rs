//! `GET /api/v1/agents`: the tenant's agents and their sync state.

use super::{ApiFailure, HubState};
use crate::auth::bearer;
use crate::store::AgentSummary;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Json;

/// The tenant of the request's API token, or 401.
pub(super) async fn tenant_of(state: &HubState, headers: &HeaderMap) -> Result<String, ApiFailure> {
    let token = bearer(headers.get(header::AUTHORIZATION)).ok_or_else(ApiFailure::unauthorized)?;
    state
        .store
        .tenant_by_api_token(token)
        .await?
        .ok_or_else(ApiFailure::unauthorized)
}

pub(super) async fn list(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let tenant = tenant_of(&state, &headers).await?;
    let agents: Vec<AgentSummary> = state.store.list_agents(tenant).await?;
    Ok(Json(serde_json::json!({ "items": agents })))
}

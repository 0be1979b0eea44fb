//! `GET /api/v1/agents`: the tenant's agents and their sync state.

use super::{ApiFailure, HubState, tenant_of};
use crate::store::AgentSummary;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Json;

pub(super) async fn list(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let tenant = tenant_of(&state, &headers).await?;
    let agents: Vec<AgentSummary> = state.store.list_agents(tenant).await?;
    Ok(Json(serde_json::json!({ "items": agents })))
}

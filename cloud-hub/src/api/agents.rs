//! `GET /api/v1/agents`: the tenant's agents and their sync state.

use super::guard::{SiteAccess, TenantCaller};
use super::{ApiFailure, HubState};
use crate::store::AgentSummary;
use axum::Extension;
use axum::extract::State;
use axum::response::Json;

pub(super) async fn list(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(SiteAccess(scope)): Extension<SiteAccess>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let mut agents: Vec<AgentSummary> = state.store.list_agents(tenant).await?;
    agents.retain(|a| scope.covers(&a.site));
    Ok(Json(serde_json::json!({ "items": agents })))
}

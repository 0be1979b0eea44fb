//! `GET /api/v1/agents`: the tenant's agents and their sync state;
//! `POST /api/v1/agents`: a new agent of a site, its token shown once.

use super::guard::{SiteAccess, TenantCaller};
use super::masterdata::parse_body;
use super::{ApiFailure, HubState};
use crate::store::{AgentSummary, StoreError};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Json;
use schemars::JsonSchema;
use serde::Deserialize;

pub(super) async fn list(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(SiteAccess(scope)): Extension<SiteAccess>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let mut agents: Vec<AgentSummary> = state.store.list_agents(tenant).await?;
    agents.retain(|a| scope.covers(&a.site));
    Ok(Json(serde_json::json!({ "items": agents })))
}

/// A new agent.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    /// The site it collects for (its short name).
    #[schemars(length(min = 1, max = 100))]
    pub site: String,
    /// A name people know it by (the gateway's).
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
}

pub(super) async fn add(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(SiteAccess(scope)): Extension<SiteAccess>,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiFailure> {
    let request: AgentRequest = parse_body(&body)?;
    super::bounds::length("site", &request.site, 1, 100)?;
    super::bounds::length("name", &request.name, 1, 100)?;
    if request.name.trim().is_empty() {
        return Err(ApiFailure::invalid("name", "must not be blank"));
    }
    if !scope.covers(&request.site) {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("your rights do not reach site {}", request.site),
        )
        .field("site"));
    }
    let slug = state
        .store
        .tenants()
        .await?
        .into_iter()
        .find(|(id, _)| *id == tenant)
        .map(|(_, slug)| slug)
        .ok_or_else(|| ApiFailure::new(StatusCode::NOT_FOUND, "not_found", "no such tenant"))?;
    let store = state.store.clone();
    let (site, name) = (request.site.clone(), request.name.trim().to_string());
    let created = tokio::task::spawn_blocking(move || store.create_agent(&slug, &site, &name))
        .await
        .map_err(|e| ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let agent = match created {
        Ok(agent) => agent,
        Err(StoreError::NotFound { .. }) => {
            return Err(ApiFailure::invalid(
                "site",
                format!("no site {} in this company", request.site),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "agent_id": agent.agent_id,
            "site": request.site,
            "name": request.name.trim(),
            "token": agent.token,
            "note": "the token is shown only now; the hub keeps only its hash: give it to the agent as MES_AGENT_TOKEN",
        })),
    ))
}

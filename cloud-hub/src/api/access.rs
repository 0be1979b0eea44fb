//! Revoking a tenant's API tokens and disabling its agents:
//! `GET /api/v1/tokens`, `DELETE /api/v1/tokens/{name}`,
//! `POST /api/v1/agents/{agent}/disable` and `…/enable`. A revoked token or
//! a disabled agent stops authenticating at once; rows are kept.

use super::guard::TenantCaller;
use super::{ApiFailure, HubState};
use crate::store::TokenSummary;
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Json;
use serde_json::{Value, json};

pub(super) async fn list_tokens(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Json<Value>, ApiFailure> {
    let tokens: Vec<TokenSummary> = state.store.list_api_tokens(tenant).await?;
    Ok(Json(json!({ "items": tokens })))
}

pub(super) async fn revoke_token(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiFailure> {
    let revoked = state.store.revoke_api_tokens(tenant, name.clone()).await?;
    if revoked == 0 {
        return Err(ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no valid API token named `{name}`"),
        ));
    }
    Ok(Json(json!({ "name": name, "revoked": revoked })))
}

pub(super) async fn disable_agent(
    state: State<HubState>,
    caller: Extension<TenantCaller>,
    agent: Path<String>,
) -> Result<Json<Value>, ApiFailure> {
    set_disabled(state, caller, agent, true).await
}

pub(super) async fn enable_agent(
    state: State<HubState>,
    caller: Extension<TenantCaller>,
    agent: Path<String>,
) -> Result<Json<Value>, ApiFailure> {
    set_disabled(state, caller, agent, false).await
}

async fn set_disabled(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(agent): Path<String>,
    disabled: bool,
) -> Result<Json<Value>, ApiFailure> {
    if !state
        .store
        .set_agent_disabled(tenant, agent.clone(), disabled)
        .await?
    {
        return Err(ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no agent `{agent}`"),
        ));
    }
    Ok(Json(json!({ "agent_id": agent, "disabled": disabled })))
}

/// Adds the token and agent access routes.
pub(crate) fn add_routes(book: &mut super::book::RouteBook) {
    use super::book::Operation;
    use axum::routing::{delete, get, post};
    let tokens = book.schema::<TokenSummary>();
    book.add(
        Operation::new(
            "get",
            "/api/v1/tokens",
            "Access",
            "The tenant's API tokens: names and dates, never the tokens",
        )
        .right(Module::System, Action::View)
        .response(json!({"type": "object", "properties": {"items": {"type": "array", "items": tokens}}})),
        get(list_tokens),
    );
    book.add(
        Operation::new(
            "delete",
            "/api/v1/tokens/{name}",
            "Access",
            "Revoke the tenant's valid API tokens of this name: they stop authenticating at once",
        )
        .right(Module::System, Action::Admin),
        delete(revoke_token),
    );
    book.add(
        Operation::new(
            "post",
            "/api/v1/agents/{agent}/disable",
            "Access",
            "Disable an agent: its token stops authenticating (its events and sync state are kept)",
        )
        .right(Module::Agents, Action::Admin),
        post(disable_agent),
    );
    book.add(
        Operation::new(
            "post",
            "/api/v1/agents/{agent}/enable",
            "Access",
            "Enable a disabled agent again",
        )
        .right(Module::Agents, Action::Admin),
        post(enable_agent),
    );
}

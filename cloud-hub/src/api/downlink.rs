//! `GET /api/v1/downlink`: an agent's pages of its site's master data
//! (see `protocols/SYNC_PROTOCOL.md`, "Downlink").

use super::{ApiFailure, HubState};
use crate::auth::bearer;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Json;
use mes_protocols::downlink::{DEFAULT_LIMIT, DownlinkPage, MAX_LIMIT};
use std::collections::HashMap;

fn bad(field: &str, message: &str) -> ApiFailure {
    ApiFailure::new(StatusCode::BAD_REQUEST, "invalid_query", message).field(field)
}

pub(super) async fn downlink(
    State(state): State<HubState>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<DownlinkPage>, ApiFailure> {
    let token = bearer(headers.get(header::AUTHORIZATION)).ok_or_else(ApiFailure::unauthorized)?;
    let auth = state
        .store
        .agent_by_token(token)
        .await?
        .ok_or_else(ApiFailure::unauthorized)?;
    if let Some(name) = raw
        .keys()
        .find(|k| !matches!(k.as_str(), "since" | "limit" | "plan"))
    {
        return Err(bad(
            name,
            "unknown query parameter; the downlink takes since, limit and plan",
        ));
    }
    let since = match raw.get("since") {
        None => 0,
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| bad("since", "must be the cursor of the last page (a whole number)"))?,
    };
    let limit = match raw.get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad("limit", "must be a whole number from 1 to 5000"))?,
    };
    let plan = match raw.get("plan") {
        None => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            bad(
                "plan",
                "must be the revision of the live plan the agent holds (a whole number, 0 for none)",
            )
        })?),
    };
    let page = crate::downlink::page(
        &state.store,
        auth.tenant_id,
        &auth.site,
        since,
        usize::try_from(limit).unwrap_or(usize::MAX),
        plan,
    )
    .await?;
    Ok(Json(page))
}

//! `POST /api/v1/ingest`: an agent's batch, stored atomically and
//! idempotently. See `protocols/SYNC_PROTOCOL.md`.

use super::{ApiFailure, HubState};
use crate::auth::bearer;
use crate::ingest::parse_body;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Json;
use mes_protocols::Timestamp;
use mes_protocols::wire::SyncAck;

pub(super) async fn ingest(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SyncAck>, ApiFailure> {
    let result = handle(&state, &headers, body).await;
    state.metrics.count_ingest(&result);
    result.map(Json)
}

async fn handle(state: &HubState, headers: &HeaderMap, body: Body) -> Result<SyncAck, ApiFailure> {
    let token = bearer(headers.get(header::AUTHORIZATION)).ok_or_else(ApiFailure::unauthorized)?;
    let auth = state
        .store
        .agent_by_token(token)
        .await?
        .ok_or_else(ApiFailure::unauthorized)?;
    let gzipped = match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?"))
    {
        None | Some("identity") => false,
        Some("gzip") => true,
        Some(other) => {
            return Err(ApiFailure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_encoding",
                format!("Content-Encoding `{other}` is not supported; use gzip or none"),
            ));
        }
    };
    let limits = state.limits;
    let bytes = to_bytes(body, limits.max_body_bytes).await.map_err(|_| {
        ApiFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {} bytes", limits.max_body_bytes),
        )
    })?;
    let batch = tokio::task::spawn_blocking(move || parse_body(&bytes, gzipped, limits.max_inflated_bytes))
        .await
        .map_err(|e| ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))??;
    if batch.agent_id != auth.agent_id {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "this token belongs to agent {}, not to agent {}",
                auth.agent_id, batch.agent_id
            ),
        )
        .field("agent_id"));
    }
    let received = (state.clock)();
    let mut batch = batch;
    let offset = received.saturating_sub(batch.sent_at.unix_millis());
    batch.clock_offset_ms = Some(offset);
    state.metrics.set_clock_offset(&auth.agent_id.to_string(), offset);
    let incarnation = batch.incarnation;
    let outcome = state.store.ingest(auth.clone(), batch).await??;
    state.metrics.count_future_events(outcome.future);
    Ok(SyncAck {
        agent_id: auth.agent_id,
        incarnation,
        acked_seq: outcome.acked_seq,
        stored: outcome.stored,
        duplicates: outcome.duplicates,
        hub_time: Timestamp::from_unix_millis((state.clock)()),
    })
}

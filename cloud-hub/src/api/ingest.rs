//! `POST /api/v1/ingest`: an agent's batch, stored atomically and
//! idempotently. See `protocols/SYNC_PROTOCOL.md`. The guard has checked
//! the agent's token before the body is read; the body is held in memory
//! only within the hub's ingest memory budget (503 with `Retry-After`
//! beyond it, which the agent retries).

use super::admission::OverBudget;
use super::guard::{self, AgentCaller};
use super::{ApiFailure, HubState};
use crate::ingest::parse_owned_body;
use axum::body::{Body, to_bytes};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Json;
use mes_protocols::Timestamp;
use mes_protocols::wire::SyncAck;

pub(super) async fn ingest(
    State(state): State<HubState>,
    Extension(auth): Extension<AgentCaller>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SyncAck>, ApiFailure> {
    let result = handle(&state, auth, &headers, body).await;
    state.metrics.count_ingest(result.as_ref().map_err(|e| e.code()));
    result.map(Json)
}

/// Copies of a batch in memory while it is decoded and stored, per
/// inflated byte: the inflated text, the events' own copies of their
/// JSON, and the parse and store structures around them (measured by the
/// RSS benchmark, `tests/src/bin/bench_hub_memory.rs`).
const COPIES_PER_INFLATED_BYTE: usize = 3;

/// How many times its gzip size a batch is guessed to inflate to before
/// its trailer is read.
const GZIP_RATIO_GUESS: usize = 8;

fn busy(over: OverBudget) -> ApiFailure {
    ApiFailure::busy(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        format!(
            "the hub holds as many batches in memory as it may ({} bytes); this one needs {}: retry later",
            over.total, over.wanted
        ),
        2,
    )
}

async fn handle(
    state: &HubState,
    auth: AgentCaller,
    headers: &HeaderMap,
    body: Body,
) -> Result<SyncAck, ApiFailure> {
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
    // Room for the body as sent before reading a byte of it (the guard
    // has refused a Content-Length over the limit).
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(limits.max_body_bytes)
        .min(limits.max_body_bytes);
    // Reserve for the body and a guess at what it inflates to (JSON
    // batches gzip 5-10 fold) before reading it, so bodies read never
    // starve the decoding of bodies read before them.
    let guess = if gzipped {
        declared
            .saturating_mul(GZIP_RATIO_GUESS)
            .min(limits.max_inflated_bytes)
    } else {
        declared
    };
    let mut reservation = state.ingest_budget.empty();
    state
        .ingest_budget
        .reserve_total(
            &mut reservation,
            declared + guess.saturating_mul(COPIES_PER_INFLATED_BYTE),
        )
        .await
        .map_err(busy)?;
    let bytes = to_bytes(body, limits.max_body_bytes)
        .await
        .map_err(|_| guard::too_large(limits.max_body_bytes))?;
    // Then exactly what decoding makes of it, known before inflating from
    // the size the gzip trailer states.
    let inflated = if gzipped {
        crate::ingest::stated_size(&bytes, limits.max_inflated_bytes)?
    } else {
        bytes.len()
    };
    state
        .ingest_budget
        .reserve_total(
            &mut reservation,
            bytes.len() + inflated.saturating_mul(COPIES_PER_INFLATED_BYTE),
        )
        .await
        .map_err(busy)?;
    let mut batch =
        tokio::task::spawn_blocking(move || parse_owned_body(bytes, gzipped, limits.max_inflated_bytes))
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
    let offset = received.saturating_sub(batch.sent_at.unix_millis());
    batch.clock_offset_ms = Some(offset);
    state.metrics.set_clock_offset(&auth.agent_id.to_string(), offset);
    let incarnation = batch.incarnation;
    let outcome = state.store.ingest(auth.clone(), batch).await??;
    drop(reservation);
    // Open boards of the site read it again (its agent's contact changed
    // even when every event was a duplicate).
    state.live.site_changed(auth.tenant_id, &auth.site);
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

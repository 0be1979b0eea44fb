//! The agent's own HTTP server: health, metrics, a status page, and the
//! local event intake that scripts and test rigs use to hand events to the
//! buffer. Station pages join this router in the station work.

mod config;
mod intake;
mod status;

pub use config::HttpConfig;

use crate::buffer::{Buffer, BufferStats};
use crate::uplink::UplinkStats;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use mes_protocols::wire::{ApiError, ApiErrorDetail};
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// What the handlers share.
#[derive(Clone)]
pub struct LocalState {
    /// The durable buffer.
    pub buffer: Buffer,
    /// The uplink's counters.
    pub uplink: Arc<UplinkStats>,
    /// Metrics registry.
    pub registry: Arc<Registry>,
    /// Equipment states and Modbus counters.
    pub machines: crate::machines::MachineViews,
    /// Whether sync is configured.
    pub sync_enabled: bool,
    /// Whether the local intake accepts events without a producer id
    /// (`http.intake_allow_missing_id`; at-least-once).
    pub intake_allow_missing_id: bool,
}

/// The router of the agent's HTTP server.
pub fn router(state: LocalState) -> Router {
    Router::new()
        .route("/", get(status::page))
        .route("/healthz", get(status::health))
        .route("/metrics", get(metrics))
        .route("/local/v1/events", post(intake::post_events))
        .with_state(state)
}

async fn metrics(axum::extract::State(state): axum::extract::State<LocalState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::render(&state.registry),
    )
        .into_response()
}

/// A JSON error answer `{ "error": { "code", "message", "field" } }`.
pub(crate) fn error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    field: Option<String>,
) -> Response {
    let body = ApiError {
        error: ApiErrorDetail {
            code: code.into(),
            message: message.into(),
            field,
            acked_seq: None,
        },
    };
    (status, Json(body)).into_response()
}

pub(crate) fn buffer_summary(stats: &BufferStats) -> serde_json::Value {
    serde_json::json!({
        "incarnation": stats.incarnation(),
        "depth": BufferStats::get(&stats.depth),
        "bytes": BufferStats::get(&stats.bytes),
        "disk_free_bytes": BufferStats::get(&stats.disk_free_bytes),
        "reserve_held": stats.reserve_held.load(std::sync::atomic::Ordering::Relaxed),
        "commit_error": stats.commit_error(),
        "last_seq": BufferStats::get(&stats.last_seq),
        "acked_seq": BufferStats::get(&stats.acked_seq),
        "dropped_total": BufferStats::get(&stats.dropped_total),
        "refused_total": BufferStats::get(&stats.refused_total),
    })
}

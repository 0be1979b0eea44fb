//! The hub's HTTP API under `/api/v1`, plus `/healthz` and `/metrics`.

mod agents;
mod error;
mod ingest;

pub use error::ApiFailure;

use crate::metrics::HubMetrics;
use crate::store::Store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use std::sync::Arc;

/// Size limits of ingest requests.
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    /// Largest request body as sent (compressed), bytes.
    pub max_body_bytes: usize,
    /// Largest batch once inflated, bytes.
    pub max_inflated_bytes: usize,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct HubState {
    /// The database.
    pub store: Store,
    /// Metrics.
    pub metrics: Arc<HubMetrics>,
    /// Ingest limits.
    pub limits: IngestLimits,
}

/// The hub's router.
pub fn router(state: HubState) -> Router {
    Router::new()
        .route("/api/v1/ingest", post(ingest::ingest))
        .route("/api/v1/agents", get(agents::list))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        // The ingest handler enforces its own (JSON-answering) limit.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

async fn health(State(state): State<HubState>) -> Response {
    match state.store.health().await {
        Ok(_) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "database unavailable" })),
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<HubState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> ApiFailure {
    ApiFailure::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

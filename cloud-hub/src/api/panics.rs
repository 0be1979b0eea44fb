//! The last resort: a handler that panics is answered 500 with the API's
//! error shape (`{ "error": { "code": "internal", "message" } }`) instead
//! of a dropped connection, logged once, and counted
//! (`mes_hub_http_panics`). Panics are bugs: every input the hub can be
//! sent is meant to be refused by a typed error before it gets here.

use super::ApiFailure;
use crate::metrics::HubMetrics;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::any::Any;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;

/// The layer, counting panics in `metrics`.
pub fn layer(
    metrics: Arc<HubMetrics>,
) -> CatchPanicLayer<impl FnMut(Box<dyn Any + Send + 'static>) -> Response + Clone> {
    CatchPanicLayer::custom(move |payload: Box<dyn Any + Send + 'static>| {
        metrics.count_http_panic();
        let message = crate::projection::panic_message(payload.as_ref());
        tracing::error!(panic = %message, "a request handler panicked; answered 500");
        ApiFailure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the hub failed on this request (an internal error, logged); nothing was changed by the failed part",
        )
        .into_response()
    })
}

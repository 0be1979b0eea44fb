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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_is_a_counted_500_in_the_error_shape() {
        let metrics = Arc::new(HubMetrics::default());
        let app: Router = Router::new()
            .route(
                "/boom",
                get(|| async {
                    let huge = rust_decimal::Decimal::MAX;
                    // What an unchecked product of stored data used to do.
                    let product = std::hint::black_box(huge) * std::hint::black_box(huge);
                    product.to_string()
                }),
            )
            .layer(layer(metrics.clone()));
        let request = Request::get("/boom")
            .body(Body::empty())
            .expect("a valid request");
        let response = app.oneshot(request).await.expect("the router answers");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.into_body().collect().await.expect("a body").to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).expect("a JSON body");
        assert_eq!(json["error"]["code"], "internal");
        assert!(
            metrics.render().contains("mes_hub_http_panics_total 1"),
            "{}",
            metrics.render()
        );
    }
}

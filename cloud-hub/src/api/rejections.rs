//! Errors that the framework answers before a handler runs (a path
//! parameter that is not UTF-8, a method the path does not take, a body
//! over the limit) come out of axum as plain text or empty bodies. This
//! layer gives them the API's one error shape, `{ "error": { "code",
//! "message" } }`, so a client never has to parse two kinds of error.

use super::ApiFailure;
use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Most bytes of a framework error's text kept as the message.
const MESSAGE_LIMIT: usize = 4096;

/// Rewrites error answers that are not JSON into the API's error shape.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = to_bytes(body, MESSAGE_LIMIT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", format!("this path does not take {method}")),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", text),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", text),
        s if s.is_server_error() => ("internal", text),
        _ => ("bad_request", text),
    };
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        message
    };
    let mut rewritten = ApiFailure::new(status, code, message).into_response();
    // Keep what the framework said besides the body (`Allow` on a 405).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

//! The checks every route gets before its handler or any extractor reads
//! the body, from what the route book says of it: who may call it
//! (a valid token of the right kind, else 401), how large its body may be
//! (a `Content-Length` over the limit is 413 without reading a byte; a
//! body without one stops at the limit through `DefaultBodyLimit`) and,
//! for JSON bodies, that the body says it is JSON (else 415).
//!
//! So an unauthenticated upload of any size costs a header parse and a
//! token lookup, never memory.

use super::{ApiFailure, HubState};
use axum::body::HttpBody as _;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// Anyone (health, metrics, this document).
    Public,
    /// An agent, by its agent token.
    Agent,
    /// A tenant's API token.
    Tenant,
}

/// What the guard enforces on one route.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    /// Who may call it.
    pub caller: Caller,
    /// Whether its body is JSON (`Content-Type: application/json`).
    pub json_body: bool,
    /// Largest body, bytes.
    pub body_limit: usize,
}

/// The agent a request authenticated as (agent routes), for handlers.
pub(crate) type AgentCaller = crate::store::AgentAuth;

/// The tenant a request's API token authenticated (tenant routes), for
/// handlers: the guard looks the token up once and hands the tenant on, so
/// a handler never sees the token and never looks it up again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TenantCaller(pub crate::store::TenantId);

/// Runs [`Rule`] for a route, then the route.
pub(crate) async fn check(
    State((state, rule)): State<(HubState, Rule)>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = crate::auth::bearer(request.headers().get(header::AUTHORIZATION));
    match rule.caller {
        Caller::Public => {}
        Caller::Tenant => match token {
            None => return ApiFailure::unauthorized().into_response(),
            Some(token) => match state.store.tenant_by_api_token(token).await {
                Ok(Some(tenant)) => {
                    request.extensions_mut().insert(TenantCaller(tenant));
                }
                Ok(None) => return ApiFailure::unauthorized().into_response(),
                Err(e) => return ApiFailure::from(e).into_response(),
            },
        },
        Caller::Agent => match token {
            None => return ApiFailure::unauthorized().into_response(),
            Some(token) => match state.store.agent_by_token(token).await {
                Ok(Some(agent)) => {
                    request.extensions_mut().insert::<AgentCaller>(agent);
                }
                Ok(None) => return ApiFailure::unauthorized().into_response(),
                Err(e) => return ApiFailure::from(e).into_response(),
            },
        },
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > rule.body_limit as u64) {
        return too_large(rule.body_limit).into_response();
    }
    let empty = declared == Some(0) || request.body().size_hint().exact() == Some(0);
    if rule.json_body && !empty && !is_json(request.headers().get(header::CONTENT_TYPE)) {
        return ApiFailure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "this route takes a JSON body: send Content-Type: application/json",
        )
        .field("Content-Type")
        .into_response();
    }
    next.run(request).await
}

/// 413 naming the limit.
pub(crate) fn too_large(limit: usize) -> ApiFailure {
    ApiFailure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is larger than {limit} bytes"),
    )
}

/// Whether a `Content-Type` names JSON (`application/json`, or any
/// `application/…+json`), parameters such as `charset` aside.
fn is_json(value: Option<&header::HeaderValue>) -> bool {
    let Some(value) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let media = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_are_recognised() {
        let is = |v: &str| is_json(Some(&header::HeaderValue::from_str(v).expect("valid header")));
        assert!(is("application/json"));
        assert!(is("Application/JSON; charset=utf-8"));
        assert!(is("application/merge-patch+json"));
        assert!(!is("text/plain"));
        assert!(!is("application/jsonx"));
        assert!(!is_json(None));
    }
}

//! The checks every route gets before its handler or any extractor reads
//! the body, from what the route book says of it: who may call it
//! (a valid token of the right kind or a browser session, else 401; a
//! user without the route's right, or whose rights are limited to other
//! sites than the one the path names, 403), how large its body may be
//! (a `Content-Length` over the limit is 413 without reading a byte; a
//! body without one stops at the limit through `DefaultBodyLimit`) and,
//! for JSON bodies, that the body says it is JSON (else 415).
//!
//! So an unauthenticated upload of any size costs a header parse and a
//! token lookup, never memory.
//!
//! Tenant routes are audited here too: every request that changes
//! something, and every export, leaves a row in the audit log with who,
//! from where, what and the outcome (handlers add the object's before and
//! after values as an [`AuditNote`] on their response).

use super::{ApiFailure, HubState};
use crate::access::client::ClientInfo;
use crate::access::principal::{self, Principal, Refusal};
use crate::store::access::AuditEntry;
use crate::store::rights::{Right, SiteScope};
use axum::body::HttpBody as _;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// Anyone (health, metrics, this document).
    Public,
    /// An agent, by its agent token.
    Agent,
    /// A user of a tenant (API token or browser session) holding the
    /// route's right.
    Tenant,
    /// Any user of a tenant, about their own account (log out, my
    /// sessions, my password): no right needed.
    Myself,
}

/// What the guard enforces on one route.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    /// Who may call it.
    pub caller: Caller,
    /// The right a tenant route needs (`None`: refused to everyone).
    pub right: Option<Right>,
    /// `POST /api/v1/materials/{code}`: what the audit log calls it.
    pub action: &'static str,
    /// The path parameter that names a site, if any.
    pub site_param: Option<&'static str>,
    /// Whether its body is JSON (`Content-Type: application/json`).
    pub json_body: bool,
    /// Largest body, bytes.
    pub body_limit: usize,
}

/// The agent a request authenticated as (agent routes), for handlers.
pub(crate) type AgentCaller = crate::store::AgentAuth;

/// The tenant a request's credential authenticated (tenant routes), for
/// handlers: the guard looks the credential up once and hands the tenant
/// on, so a handler never sees a token and never looks it up again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TenantCaller(pub crate::store::TenantId);

/// The sites where the caller holds the route's right (tenant routes): a
/// handler that lists or reads site-bound things shows only these.
#[derive(Debug, Clone)]
pub(crate) struct SiteAccess(pub SiteScope);

/// The authenticated user of a tenant route.
#[derive(Debug, Clone)]
pub(crate) struct CallerPrincipal(pub Arc<Principal>);

/// What a handler tells the audit log about the object it changed.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditNote {
    /// The object's kind (`material`).
    pub object_kind: Option<String>,
    /// Its code.
    pub object_code: Option<String>,
    /// Before the change.
    pub before: Option<serde_json::Value>,
    /// After it.
    pub after: Option<serde_json::Value>,
}

impl AuditNote {
    /// The object `kind` `code` a handler changed, with its values before
    /// and after.
    pub(crate) fn object(
        kind: &str,
        code: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> AuditNote {
        AuditNote {
            object_kind: Some(kind.into()),
            object_code: Some(code.into()),
            before,
            after,
        }
    }
}

/// `body` answered with `status`, carrying `note` for the audit row.
pub(crate) fn with_note(status: StatusCode, body: serde_json::Value, note: AuditNote) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.extensions_mut().insert(note);
    response
}

/// `POST /api/v1/materials/{code}` for `post` and its path (leaked once per
/// route at start-up: the set of routes is fixed).
pub(crate) fn action_name(method: &str, path: &str) -> &'static str {
    Box::leak(format!("{} {path}", method.to_ascii_uppercase()).into_boxed_str())
}

/// The path parameter naming a site: `{site}`, or the `{code}` of
/// `/api/v1/sites/{code}/…`.
pub(crate) fn site_param(path: &str) -> Option<&'static str> {
    if path.contains("{site}") {
        Some("site")
    } else if path.starts_with("/api/v1/sites/{code}") {
        Some("code")
    } else {
        None
    }
}
/// Runs [`Rule`] for a route, then the route.
pub(crate) async fn check(
    State((state, rule)): State<(HubState, Rule)>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = crate::auth::bearer(request.headers().get(header::AUTHORIZATION));
    match rule.caller {
        Caller::Public => {}
        Caller::Tenant | Caller::Myself => return tenant_route(state, rule, request, next).await,
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
    if let Some(refusal) = body_refusal(&rule, &request) {
        return refusal.into_response();
    }
    next.run(request).await
}

/// 413 or 415 for a body the route does not take, before it is read.
fn body_refusal(rule: &Rule, request: &Request) -> Option<ApiFailure> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > rule.body_limit as u64) {
        return Some(too_large(rule.body_limit));
    }
    let empty = declared == Some(0) || request.body().size_hint().exact() == Some(0);
    if rule.json_body && !empty && !is_json(request.headers().get(header::CONTENT_TYPE)) {
        return Some(
            ApiFailure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "this route takes a JSON body: send Content-Type: application/json",
            )
            .field("Content-Type"),
        );
    }
    None
}

/// A tenant route: the principal, its right (and site), the body checks,
/// the handler, and the audit row.
async fn tenant_route(state: HubState, rule: Rule, mut request: Request, next: Next) -> Response {
    let now = (state.clock)();
    let method = request.method().clone();
    let principal =
        match principal::authenticate(&state.store, &state.access, request.headers(), &method, now).await {
            Ok(p) => p,
            Err(Refusal::Unauthenticated) => return ApiFailure::unauthorized().into_response(),
            Err(Refusal::CsrfMissing) => {
                return ApiFailure::new(
                    StatusCode::FORBIDDEN,
                    "csrf_token_missing",
                    "a change made with a browser session needs the session's CSRF token in X-CSRF-Token",
                )
                .field("X-CSRF-Token")
                .into_response();
            }
            Err(Refusal::Store(e)) => return ApiFailure::from(e).into_response(),
        };
    let client = ClientInfo::of(&request, state.access.trust_forwarded_for);
    let (mut parts, body) = request.into_parts();
    let params: Vec<(String, String)> = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .map(|p| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
        .unwrap_or_default();
    request = Request::from_parts(parts, body);
    let audited = method != Method::GET || rule.action.contains("/export/") || is_csv_export(&request);
    let refused = |failure: ApiFailure, principal: &Principal| {
        let status = failure.status;
        (
            failure,
            audit_entry(
                principal,
                &client,
                rule.action,
                &params,
                "refused",
                status.as_u16(),
                None,
            ),
        )
    };
    let wanted = if rule.caller == Caller::Myself {
        Some(None)
    } else {
        rule.right.map(|r| Some((r, principal.scope_of(r))))
    };
    let scope = match wanted {
        Some(None) => Ok(SiteScope::All),
        None => Err(refused(
            ApiFailure::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this route declares no right; nobody may call it",
            ),
            &principal,
        )),
        Some(Some((right, None))) => Err(refused(
            ApiFailure::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("this needs the right `{right}`"),
            ),
            &principal,
        )),
        Some(Some((right, Some(scope)))) => match site_of(&rule, &params) {
            Some(site) if !scope.covers(site) => Err(refused(
                ApiFailure::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!("your right `{right}` does not reach site `{site}`"),
                ),
                &principal,
            )),
            _ => Ok(scope),
        },
    };
    let scope = match scope {
        Ok(scope) => scope,
        Err((failure, entry)) => {
            append(&state, principal.tenant, now, entry).await;
            return failure.into_response();
        }
    };
    if let Some(refusal) = body_refusal(&rule, &request) {
        return refusal.into_response();
    }
    let tenant = principal.tenant;
    let principal = Arc::new(principal);
    request.extensions_mut().insert(TenantCaller(tenant));
    request.extensions_mut().insert(SiteAccess(scope));
    request
        .extensions_mut()
        .insert(CallerPrincipal(principal.clone()));
    let mut response = next.run(request).await;
    if audited {
        let status = response.status();
        let outcome = if status.is_success() {
            "ok"
        } else if status.is_client_error() {
            "refused"
        } else {
            "failed"
        };
        let note = response.extensions_mut().remove::<AuditNote>();
        let entry = audit_entry(
            &principal,
            &client,
            rule.action,
            &params,
            outcome,
            status.as_u16(),
            note,
        );
        append(&state, tenant, (state.clock)(), entry).await;
    }
    response
}

/// Whether a GET asks for CSV (`format=csv`): an export, audited.
fn is_csv_export(request: &Request) -> bool {
    request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.eq_ignore_ascii_case("format=csv")))
}

/// The site a request's path names, if its route has a site parameter.
fn site_of<'a>(rule: &Rule, params: &'a [(String, String)]) -> Option<&'a str> {
    let name = rule.site_param?;
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn audit_entry(
    principal: &Principal,
    client: &ClientInfo,
    action: &str,
    params: &[(String, String)],
    outcome: &str,
    status: u16,
    note: Option<AuditNote>,
) -> AuditEntry {
    let (actor_kind, actor) = principal.actor();
    let note = note.unwrap_or_default();
    AuditEntry {
        actor_kind: actor_kind.into(),
        actor,
        address: client.address.clone(),
        user_agent: client.user_agent.clone(),
        action: action.into(),
        object_kind: note.object_kind,
        object_code: note
            .object_code
            .or_else(|| params.first().map(|(_, v)| v.clone())),
        outcome: outcome.into(),
        status,
        before: note.before,
        after: note.after,
        detail: None,
    }
}

/// Appends to the audit log; a failure is logged loudly (the request has
/// been answered already).
pub(crate) async fn append(state: &HubState, tenant: crate::store::TenantId, at: i64, entry: AuditEntry) {
    let action = entry.action.clone();
    if let Err(e) = state.store.append_audit(tenant, at, entry).await {
        tracing::error!(error = %e, %tenant, action, "could not write the audit log");
    }
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

//! Logging in and out, and what a user may do about themselves:
//! `POST /api/v1/auth/login` (public), `POST /api/v1/auth/logout`,
//! `GET /api/v1/auth/me`, `GET/DELETE /api/v1/auth/sessions…` and
//! `POST /api/v1/auth/password` (any logged-in user, for their own account).
//!
//! A wrong login and a wrong password get the same answer, after the same
//! work (a decoy hash is verified when the login names nobody). Attempts
//! are limited per account and per address (`access/throttle.rs`). With
//! the one-session option, a second login while a session is live is
//! refused naming where and since when the other one is; sending the
//! password again with `end_other_sessions: true` ends it and logs in.

use super::book::{Operation, RouteBook};
use super::guard::{CallerPrincipal, TenantCaller, append};
use super::masterdata::parse_body;
use super::{ApiFailure, HubState};
use crate::access::client::ClientInfo;
use crate::access::throttle::{self, Verdict};
use crate::access::{password, session};
use crate::store::access::{AuditEntry, LoginAttempt, NewSession, SessionsToEnd, UserKind};
use crate::store::{StoreError, TenantId};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, post};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// A login.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The company's short name (the tenant).
    #[schemars(length(min = 1, max = 100))]
    pub tenant: String,
    /// The login name.
    #[schemars(length(min = 1, max = 100))]
    pub login: String,
    /// The password.
    #[schemars(length(min = 1, max = 1000))]
    pub password: String,
    /// With the one-session option: end the other live session and log in
    /// here (the password above confirms it).
    #[serde(default)]
    pub end_other_sessions: bool,
}

/// A user changing their own password.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    #[schemars(length(min = 1, max = 1000))]
    pub current: String,
    /// The new one (at least 12 characters, not a common one).
    #[schemars(length(min = 1, max = 1000))]
    pub new: String,
}

/// A user choosing their own console language.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageChoice {
    /// `en` or `zh`; null: the browser's.
    pub language: Option<super::people::Language>,
}

fn wrong_credentials() -> ApiFailure {
    ApiFailure::new(
        StatusCode::UNAUTHORIZED,
        "login_failed",
        "the company, login or password is wrong",
    )
}

fn internal(e: impl std::fmt::Display) -> ApiFailure {
    ApiFailure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{e}"))
}

/// `2026-12-04 08:00 UTC`.
fn when(ms: i64) -> String {
    let t = mes_protocols::Timestamp::from_unix_millis(ms).to_datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

async fn audit_login(
    state: &HubState,
    tenant: TenantId,
    client: &ClientInfo,
    login: &str,
    outcome: &str,
    status: u16,
    detail: Option<String>,
) {
    let entry = AuditEntry {
        actor_kind: "user".into(),
        actor: login.into(),
        address: client.address.clone(),
        user_agent: client.user_agent.clone(),
        action: "login".into(),
        object_kind: Some("user".into()),
        object_code: Some(login.into()),
        outcome: outcome.into(),
        status,
        detail,
        ..AuditEntry::default()
    };
    append(state, tenant, (state.clock)(), entry).await;
}

async fn login(State(state): State<HubState>, request: Request) -> Result<Response, ApiFailure> {
    let client = ClientInfo::of(&request, state.access.trust_forwarded_for);
    let secure = session::secure_context(request.headers());
    let body = axum::body::to_bytes(request.into_body(), super::book::DEFAULT_BODY_LIMIT)
        .await
        .map_err(|_| super::guard::too_large(super::book::DEFAULT_BODY_LIMIT))?;
    let request: LoginRequest = parse_body(&body)?;
    super::bounds::length("tenant", &request.tenant, 1, 100)?;
    super::bounds::length("login", &request.login, 1, 100)?;
    super::bounds::length("password", &request.password, 1, 1000)?;
    let now = (state.clock)();
    let login_key = request.login.trim().to_lowercase();
    let failures = state
        .store
        .login_failures(
            request.tenant.clone(),
            login_key.clone(),
            client.address.clone(),
            now - throttle::WINDOW_MS,
        )
        .await?;
    if let Verdict::Wait { seconds, locked } = throttle::verdict(&state.access, &failures, now) {
        let message = if locked {
            format!("too many failed logins; try again in {seconds} s")
        } else {
            format!("wait {seconds} s before the next attempt")
        };
        return Err(ApiFailure::busy(
            StatusCode::TOO_MANY_REQUESTS,
            "login_throttled",
            message,
            seconds,
        ));
    }
    let tenant = match state.store.tenant_id_by_slug(request.tenant.clone()).await {
        Ok(t) => Some(t),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let user = match tenant {
        Some(t) => state.store.login_user(t, request.login.clone()).await?,
        None => None,
    };
    // Verify against the user's hash, or a decoy, so the time does not
    // tell whether the login exists.
    let phc = user
        .as_ref()
        .and_then(|u| u.password_phc.clone())
        .unwrap_or_else(|| password::decoy_hash().to_string());
    let typed = request.password.clone();
    let matches = tokio::task::spawn_blocking(move || password::verify(&typed, &phc))
        .await
        .map_err(internal)?;
    let usable = user
        .as_ref()
        .filter(|u| matches && u.user.active && u.user.kind == UserKind::Person && u.password_phc.is_some());
    let attempt = |succeeded| LoginAttempt {
        tenant: request.tenant.clone(),
        login: login_key.clone(),
        address: client.address.clone(),
        at: now,
        succeeded,
    };
    let (Some(tenant), Some(found)) = (tenant, usable) else {
        state.store.record_login_attempt(attempt(false)).await?;
        if let Some(tenant) = tenant {
            audit_login(&state, tenant, &client, &request.login, "refused", 401, None).await;
        }
        return Err(wrong_credentials());
    };
    let user = found.user.clone();
    if user.single_session || found.tenant_single_session {
        let live = state.store.live_sessions(tenant, Some(user.id)).await?;
        if let Some(other) = live.first() {
            if !request.end_other_sessions {
                state.store.record_login_attempt(attempt(true)).await?;
                audit_login(
                    &state,
                    tenant,
                    &client,
                    &user.login,
                    "refused",
                    409,
                    Some("another session is live".into()),
                )
                .await;
                return Err(ApiFailure::new(
                    StatusCode::CONFLICT,
                    "session_elsewhere",
                    format!(
                        "you are logged in already from {} ({}) since {}; only one session is allowed. \
                         To log in here, end that session: send your password again with end_other_sessions",
                        other.address,
                        if other.user_agent.is_empty() {
                            "unknown browser"
                        } else {
                            &other.user_agent
                        },
                        when(other.created_at)
                    ),
                ));
            }
            state
                .store
                .end_sessions(
                    tenant,
                    SessionsToEnd::OfUser {
                        user: user.id,
                        except: None,
                    },
                    "ended by a new login".into(),
                    now,
                )
                .await?;
        }
    }
    if let Some(phc) = &found.password_phc
        && password::needs_rehash(phc)
    {
        let typed = request.password.clone();
        let fresh = tokio::task::spawn_blocking(move || password::hash(&typed))
            .await
            .map_err(internal)?;
        state
            .store
            .set_password(tenant, user.login.clone(), fresh)
            .await?;
    }
    let (secret, secret_hash) = session::new_secret();
    let csrf_token = session::new_csrf_token();
    let id = state
        .store
        .create_session(
            tenant,
            NewSession {
                user: user.id,
                secret_hash,
                csrf_token: csrf_token.clone(),
                address: client.address.clone(),
                user_agent: client.user_agent.clone(),
                at: now,
            },
        )
        .await?;
    state.store.record_login_attempt(attempt(true)).await?;
    audit_login(&state, tenant, &client, &user.login, "ok", 200, None).await;
    let mut response = Json(json!({
        "login": user.login,
        "display_name": user.display_name,
        "language": user.language,
        "session_id": id,
        "csrf_token": csrf_token,
        "idle_timeout_minutes": state.access.idle_timeout_minutes,
        "absolute_timeout_hours": state.access.absolute_timeout_hours,
    }))
    .into_response();
    let cookie = HeaderValue::from_str(&session::set_cookie(&secret, secure)).map_err(internal)?;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn logout(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiFailure> {
    let Some(id) = principal.session_id() else {
        return Err(ApiFailure::invalid(
            "Cookie",
            "logout ends a browser session; this request came with an API token",
        ));
    };
    state
        .store
        .end_sessions(tenant, SessionsToEnd::One(id), "logout".into(), (state.clock)())
        .await?;
    let mut response = Json(json!({"logged_out": true})).into_response();
    let cookie =
        HeaderValue::from_str(&session::clear_cookie(session::secure_context(&headers))).map_err(internal)?;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn me(Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>) -> Json<Value> {
    let rights: Vec<Value> = principal
        .rights
        .iter()
        .map(|(right, scope)| match scope {
            crate::store::rights::SiteScope::All => json!({"right": right.to_string()}),
            crate::store::rights::SiteScope::Only(sites) => {
                json!({"right": right.to_string(), "sites": sites})
            }
        })
        .collect();
    let (csrf_token, session_id) = match &principal.credential {
        crate::store::access::Credential::Session { id, csrf_token, .. } => {
            (Some(csrf_token.clone()), Some(*id))
        }
        crate::store::access::Credential::Token { .. } => (None, None),
    };
    Json(json!({
        "login": principal.login,
        "language": principal.language,
        "rights": rights,
        "session_id": session_id,
        "csrf_token": csrf_token,
    }))
}

async fn my_sessions(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
) -> Result<Json<Value>, ApiFailure> {
    let sessions = state.store.live_sessions(tenant, Some(principal.user)).await?;
    let current = principal.session_id();
    let items: Vec<Value> = sessions
        .into_iter()
        .map(|s| {
            let mut v = json!(s);
            v["current"] = json!(Some(s.id) == current);
            v
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn end_my_session(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiFailure> {
    let not_found = || {
        ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("you have no live session `{id}`"),
        )
    };
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let mine = state.store.live_sessions(tenant, Some(principal.user)).await?;
    if !mine.iter().any(|s| s.id == id) {
        return Err(not_found());
    }
    state
        .store
        .end_sessions(
            tenant,
            SessionsToEnd::One(id),
            "ended by its user".into(),
            (state.clock)(),
        )
        .await?;
    Ok(Json(json!({"id": id, "ended": true})))
}

async fn set_language(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
    body: Bytes,
) -> Result<Json<Value>, ApiFailure> {
    let choice: LanguageChoice = parse_body(&body)?;
    let language = choice.language.map(|l| l.as_str().to_string());
    let update = crate::store::access::UserUpdate {
        language: Some(language.clone()),
        ..Default::default()
    };
    if state
        .store
        .update_user(tenant, principal.login.clone(), update)
        .await?
        .is_none()
    {
        return Err(ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such user",
        ));
    }
    Ok(Json(json!({ "language": language })))
}

async fn change_password(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(CallerPrincipal(principal)): Extension<CallerPrincipal>,
    body: Bytes,
) -> Result<Json<Value>, ApiFailure> {
    let request: PasswordChange = parse_body(&body)?;
    super::bounds::length("current", &request.current, 1, 1000)?;
    super::bounds::length("new", &request.new, 1, 1000)?;
    let found = state
        .store
        .login_user(tenant, principal.login.clone())
        .await?
        .ok_or_else(wrong_credentials)?;
    let phc = found
        .password_phc
        .clone()
        .unwrap_or_else(|| password::decoy_hash().to_string());
    let current = request.current.clone();
    if !tokio::task::spawn_blocking(move || password::verify(&current, &phc))
        .await
        .map_err(internal)?
    {
        return Err(ApiFailure::invalid("current", "the current password is wrong"));
    }
    password::check_policy(&request.new, &principal.login)
        .map_err(|reason| ApiFailure::invalid("new", reason))?;
    let new = request.new.clone();
    let phc = tokio::task::spawn_blocking(move || password::hash(&new))
        .await
        .map_err(internal)?;
    state
        .store
        .set_password(tenant, principal.login.clone(), phc)
        .await?;
    // The user's other sessions end; this one (if it is one) stays.
    let ended = state
        .store
        .end_sessions(
            tenant,
            SessionsToEnd::OfUser {
                user: principal.user,
                except: principal.session_id(),
            },
            "password changed".into(),
            (state.clock)(),
        )
        .await?;
    Ok(Json(json!({"changed": true, "other_sessions_ended": ended})))
}

/// Adds the login, logout and own-account routes.
pub(crate) fn add_routes(book: &mut RouteBook) {
    use super::guard::Caller;
    let tag = "Sign-in";
    let login_request = book.schema::<LoginRequest>();
    book.add(
        Operation::new(
            "post",
            "/api/v1/auth/login",
            tag,
            "Log in: starts a browser session (cookie) and answers its CSRF token",
        )
        .caller(Caller::Public)
        .request(login_request)
        .describe(
            "A wrong company, login or password is 401 alike. Failed attempts are limited per account \
             and per address (429 with Retry-After). With the one-session option a second login while a \
             session is live is 409 naming where and since when; send the password again with \
             `end_other_sessions: true` to end that session and log in here.",
        ),
        post(login),
    );
    book.add(
        Operation::new(
            "post",
            "/api/v1/auth/logout",
            tag,
            "Log out: ends this browser session on the server",
        )
        .caller(Caller::Myself),
        post(logout),
    );
    book.add(
        Operation::new(
            "get",
            "/api/v1/auth/me",
            tag,
            "Who I am, my rights and (in a session) its CSRF token",
        )
        .caller(Caller::Myself),
        get(me),
    );
    book.add(
        Operation::new("get", "/api/v1/auth/sessions", tag, "My live sessions").caller(Caller::Myself),
        get(my_sessions),
    );
    book.add(
        Operation::new(
            "delete",
            "/api/v1/auth/sessions/{id}",
            tag,
            "End one of my sessions",
        )
        .caller(Caller::Myself),
        delete(end_my_session),
    );
    let language = book.schema::<LanguageChoice>();
    book.add(
        Operation::new(
            "put",
            "/api/v1/auth/language",
            tag,
            "Choose my console language (`en`, `zh`, or null for the browser's)",
        )
        .caller(Caller::Myself)
        .request(language),
        axum::routing::put(set_language),
    );
    let change = book.schema::<PasswordChange>();
    book.add(
        Operation::new(
            "post",
            "/api/v1/auth/password",
            tag,
            "Change my password (my other sessions end)",
        )
        .caller(Caller::Myself)
        .request(change),
        post(change_password),
    );
}

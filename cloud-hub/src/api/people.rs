//! Users, their API tokens, everyone's sessions and the tenant's access
//! settings, for admins: `/api/v1/users…`, `/api/v1/sessions…`,
//! `/api/v1/settings/access` (roles and groups are `roles.rs`). Reading
//! needs `system:view`, changing `system:admin`. Every change is audited
//! with its before and after.

use super::book::{Operation, RouteBook};
use super::bounds::{check_name, length};
use super::guard::{AuditNote, TenantCaller, with_note};
use super::masterdata::parse_body;
use super::roles::check_grants;
use super::{ApiFailure, HubState};
use crate::access::password;
use crate::store::access::{NewUser, RoleGrant, SessionsToEnd, UserKind, UserRow, UserUpdate};
use crate::store::rights::{Action, Module, Right};
use crate::store::{TenantId, UserId};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::{delete, get, post, put};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// A new user.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Login name: letters, digits, `.`, `_`, `-`, `@`; unique in the tenant.
    #[schemars(length(min = 1, max = 100), regex(pattern = r"^[A-Za-z0-9._@-]+$"))]
    pub login: String,
    /// Name shown to others (default: the login).
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub display_name: Option<String>,
    /// The password (people; at least 12 characters, not a common one).
    /// Absent: a service account, which has API tokens only.
    #[serde(default)]
    #[schemars(length(max = 1000))]
    pub password: Option<String>,
    /// Roles granted directly.
    #[serde(default)]
    pub roles: Vec<RoleGrant>,
    /// At most one browser session at a time.
    #[serde(default)]
    pub single_session: bool,
}

/// Changes to a user; absent fields stay.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// New display name.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub display_name: Option<String>,
    /// Active (false: cannot log in, tokens stop working, sessions end).
    #[serde(default)]
    pub active: Option<bool>,
    /// At most one browser session at a time.
    #[serde(default)]
    pub single_session: Option<bool>,
    /// Console language: `en` or `zh`; null: the browser's.
    #[serde(default, deserialize_with = "double_option::deserialize")]
    #[schemars(with = "Option<Language>")]
    pub language: Option<Option<Language>>,
}

/// A console language.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Language {
    /// Its code as stored.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
        }
    }
}

/// `null` as "set to none", absent as "leave".
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A new password set by an admin.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The new password (at least 12 characters, not a common one).
    #[schemars(length(max = 1000))]
    pub password: String,
}

/// A new API token of a user.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// The token's name (to list and revoke it by).
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// Narrow the token to these rights (it never holds more than its
    /// user); absent: all of the user's rights.
    #[serde(default)]
    pub rights: Option<Vec<Right>>,
}

/// The tenant's access settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessSettings {
    /// At most one browser session per user, for every user of the tenant.
    pub single_session: bool,
}

/// The user `login` (one lookup), else 404.
async fn user_or_404(state: &HubState, tenant: TenantId, login: &str) -> Result<UserRow, ApiFailure> {
    state
        .store
        .login_user(tenant, login.to_string())
        .await?
        .map(|found| found.user)
        .ok_or_else(|| ApiFailure::new(StatusCode::NOT_FOUND, "not_found", format!("no user `{login}`")))
}

/// Ends every session of `user`, with `reason`.
async fn end_all_sessions(
    state: &HubState,
    tenant: TenantId,
    user: UserId,
    reason: &str,
) -> Result<(), ApiFailure> {
    state
        .store
        .end_sessions(
            tenant,
            SessionsToEnd::OfUser { user, except: None },
            reason.into(),
            (state.clock)(),
        )
        .await?;
    Ok(())
}

async fn list_users(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Json<Value>, ApiFailure> {
    Ok(Json(json!({ "items": state.store.list_users(tenant).await? })))
}

async fn read_user(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(login): Path<String>,
) -> Result<Json<UserRow>, ApiFailure> {
    Ok(Json(user_or_404(&state, tenant, &login).await?))
}

async fn create_user(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let request: NewUserRequest = parse_body(&body)?;
    check_name("login", &request.login)?;
    if let Some(name) = &request.display_name {
        check_name("display_name", name)?;
    }
    if let Some(password) = &request.password {
        length("password", password, 0, 1000)?;
    }
    if !request
        .login
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c))
    {
        return Err(ApiFailure::invalid(
            "login",
            "a login is letters, digits, `.`, `_`, `-` and `@`",
        ));
    }
    check_grants(&state, tenant, "roles", &request.roles).await?;
    let password_phc = match &request.password {
        Some(p) => {
            password::check_policy(p, &request.login)
                .map_err(|reason| ApiFailure::invalid("password", reason))?;
            let p = p.clone();
            Some(
                tokio::task::spawn_blocking(move || password::hash(&p))
                    .await
                    .map_err(|e| {
                        ApiFailure::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "internal",
                            format!("hashing failed: {e}"),
                        )
                    })?,
            )
        }
        None => None,
    };
    let kind = if password_phc.is_some() {
        UserKind::Person
    } else {
        UserKind::Service
    };
    let login = request.login.clone();
    state
        .store
        .create_user(
            tenant,
            NewUser {
                login: login.clone(),
                display_name: request.display_name.unwrap_or_else(|| login.clone()),
                kind,
                password_phc,
            },
        )
        .await?;
    if request.single_session {
        state
            .store
            .update_user(
                tenant,
                login.clone(),
                UserUpdate {
                    single_session: Some(true),
                    ..UserUpdate::default()
                },
            )
            .await?;
    }
    let user = state
        .store
        .set_user_roles(tenant, login.clone(), request.roles)
        .await?;
    let after = serde_json::to_value(&user).ok();
    Ok(with_note(
        StatusCode::CREATED,
        json!(user),
        AuditNote::object("user", &login, None, after),
    ))
}

async fn change_user(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(login): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let before = user_or_404(&state, tenant, &login).await?;
    let change: UserChange = parse_body(&body)?;
    if let Some(name) = &change.display_name {
        check_name("display_name", name)?;
    }
    let update = UserUpdate {
        display_name: change.display_name,
        active: change.active,
        single_session: change.single_session,
        language: change.language.map(|l| l.map(|l| l.as_str().to_string())),
    };
    let user = state
        .store
        .update_user(tenant, login.clone(), update)
        .await?
        .ok_or_else(|| ApiFailure::new(StatusCode::NOT_FOUND, "not_found", format!("no user `{login}`")))?;
    if change.active == Some(false) {
        end_all_sessions(&state, tenant, user.id, "user disabled").await?;
    }
    let (b, a) = (
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&user).ok(),
    );
    Ok(with_note(
        StatusCode::OK,
        json!(user),
        AuditNote::object("user", &login, b, a),
    ))
}

async fn read_roles(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(login): Path<String>,
) -> Result<Json<Vec<RoleGrant>>, ApiFailure> {
    Ok(Json(user_or_404(&state, tenant, &login).await?.roles))
}

async fn set_roles(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(login): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let before = user_or_404(&state, tenant, &login).await?;
    let grants: Vec<RoleGrant> = super::masterdata::parse_list(&body)?;
    check_grants(&state, tenant, "", &grants).await?;
    let user = state.store.set_user_roles(tenant, login.clone(), grants).await?;
    Ok(with_note(
        StatusCode::OK,
        json!(user),
        AuditNote::object(
            "user_roles",
            &login,
            Some(json!(before.roles)),
            Some(json!(user.roles)),
        ),
    ))
}

async fn reset_password(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(login): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let user = user_or_404(&state, tenant, &login).await?;
    let request: PasswordReset = parse_body(&body)?;
    length("password", &request.password, 0, 1000)?;
    if user.kind == UserKind::Service {
        return Err(ApiFailure::invalid(
            "password",
            "a service account has no password; it uses API tokens",
        ));
    }
    password::check_policy(&request.password, &login)
        .map_err(|reason| ApiFailure::invalid("password", reason))?;
    let phc = tokio::task::spawn_blocking(move || password::hash(&request.password))
        .await
        .map_err(|e| {
            ApiFailure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("hashing failed: {e}"),
            )
        })?;
    state.store.set_password(tenant, login.clone(), phc).await?;
    end_all_sessions(&state, tenant, user.id, "password reset").await?;
    Ok(with_note(
        StatusCode::OK,
        json!({"login": login, "sessions_ended": true}),
        AuditNote::object("user_password", &login, None, None),
    ))
}

async fn create_token(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(login): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    user_or_404(&state, tenant, &login).await?;
    let request: NewTokenRequest = parse_body(&body)?;
    check_name("name", &request.name)?;
    let token = state
        .store
        .create_user_token(
            tenant,
            login.clone(),
            request.name.clone(),
            request.rights.clone(),
        )
        .await?;
    Ok(with_note(
        StatusCode::CREATED,
        json!({"name": request.name, "user": login, "rights": request.rights, "token": token.token}),
        AuditNote::object(
            "api_token",
            &request.name,
            None,
            Some(json!({"user": login, "rights": request.rights})),
        ),
    ))
}

async fn list_sessions(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Json<Value>, ApiFailure> {
    Ok(Json(
        json!({ "items": state.store.live_sessions(tenant, None).await? }),
    ))
}

async fn end_session(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(id): Path<String>,
) -> Result<Response, ApiFailure> {
    let not_found = || {
        ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no live session `{id}`"),
        )
    };
    let session = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let ended = state
        .store
        .end_sessions(
            tenant,
            SessionsToEnd::One(session),
            "ended by an admin".into(),
            (state.clock)(),
        )
        .await?;
    if ended == 0 {
        return Err(not_found());
    }
    Ok(with_note(
        StatusCode::OK,
        json!({"id": id, "ended": true}),
        AuditNote::object("session", &id, None, None),
    ))
}

async fn read_settings(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Json<Value>, ApiFailure> {
    Ok(Json(
        json!({ "single_session": state.store.tenant_single_session(tenant).await? }),
    ))
}

async fn put_settings(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let request: AccessSettings = parse_body(&body)?;
    let before = state.store.tenant_single_session(tenant).await?;
    state
        .store
        .set_tenant_single_session(tenant, request.single_session)
        .await?;
    Ok(with_note(
        StatusCode::OK,
        json!({"single_session": request.single_session}),
        AuditNote::object(
            "access_settings",
            "single_session",
            Some(json!(before)),
            Some(json!(request.single_session)),
        ),
    ))
}

/// Adds the user, session and settings routes.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let user = book.schema::<UserRow>();
    let session = book.schema::<crate::store::access::SessionRow>();
    let items = |s: &Value| json!({"type": "object", "properties": {"items": {"type": "array", "items": s}}});
    let tag = "Users and rights";
    let view = |op: Operation| op.right(Module::System, Action::View);
    let admin = |op: Operation| op.right(Module::System, Action::Admin);
    book.add(
        view(Operation::new(
            "get",
            "/api/v1/users",
            tag,
            "The tenant's users (never their passwords)",
        ))
        .response(items(&user)),
        get(list_users),
    );
    let new_user = book.schema::<NewUserRequest>();
    book.add(
        admin(Operation::new(
            "post",
            "/api/v1/users",
            tag,
            "Create a user (a person with a password, or a service account)",
        ))
        .request(new_user)
        .response(user.clone())
        .status(201),
        post(create_user),
    );
    book.add(
        view(Operation::new("get", "/api/v1/users/{login}", tag, "One user")).response(user.clone()),
        get(read_user),
    );
    let change = book.schema::<UserChange>();
    book.add(
        admin(Operation::new(
            "put",
            "/api/v1/users/{login}",
            tag,
            "Change a user's name, active flag, one-session flag or language (disabling ends their sessions)",
        ))
        .request(change)
        .response(user.clone()),
        put(change_user),
    );
    let grants = book.schema::<Vec<RoleGrant>>();
    book.add(
        view(Operation::new(
            "get",
            "/api/v1/users/{login}/roles",
            tag,
            "The roles granted directly to a user",
        ))
        .response(grants.clone()),
        get(read_roles),
    );
    book.add(
        admin(Operation::new(
            "put",
            "/api/v1/users/{login}/roles",
            tag,
            "Replace the roles granted directly to a user (each at every site, or only at some)",
        ))
        .request(grants)
        .response(user),
        put(set_roles),
    );
    let reset = book.schema::<PasswordReset>();
    book.add(
        admin(Operation::new(
            "post",
            "/api/v1/users/{login}/password",
            tag,
            "Set a user's password (ends all their sessions)",
        ))
        .request(reset),
        post(reset_password),
    );
    let new_token = book.schema::<NewTokenRequest>();
    book.add(
        admin(Operation::new(
            "post",
            "/api/v1/users/{login}/tokens",
            tag,
            "Create an API token acting as the user (shown once), optionally narrowed to some rights",
        ))
        .request(new_token)
        .status(201),
        post(create_token),
    );
    book.add(
        view(Operation::new(
            "get",
            "/api/v1/sessions",
            tag,
            "Every live browser session of the tenant",
        ))
        .response(items(&session)),
        get(list_sessions),
    );
    book.add(
        admin(Operation::new(
            "delete",
            "/api/v1/sessions/{id}",
            tag,
            "End anyone's session",
        )),
        delete(end_session),
    );
    book.add(
        view(Operation::new(
            "get",
            "/api/v1/settings/access",
            tag,
            "The tenant's access settings",
        )),
        get(read_settings),
    );
    let settings = book.schema::<AccessSettings>();
    book.add(
        admin(Operation::new(
            "put",
            "/api/v1/settings/access",
            tag,
            "Change the tenant's access settings (one session per user for everyone)",
        ))
        .request(settings),
        put(put_settings),
    );
}

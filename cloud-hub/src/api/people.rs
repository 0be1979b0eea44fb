//! Users, roles, groups, their API tokens, everyone's sessions and the
//! tenant's access settings, for admins: `/api/v1/users…`,
//! `/api/v1/roles…`, `/api/v1/groups…`, `/api/v1/sessions…`,
//! `/api/v1/settings/access`. Reading needs `system:view`, changing
//! `system:admin`. Every change is audited with its before and after.

use super::book::{Operation, RouteBook};
use super::guard::{AuditNote, TenantCaller};
use super::masterdata::parse_body;
use super::{ApiFailure, HubState};
use crate::access::password;
use crate::store::access::{
    GroupRow, NewUser, RoleGrant, RoleRow, SessionsToEnd, UserKind, UserRow, UserUpdate,
};
use crate::store::rights::{Action, Module, Right};
use crate::store::{TenantId, UserId};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, post, put};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// Longest login, display name, role or group name, characters.
const NAME_MAX: usize = 100;

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

/// A role's content.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    /// What it is for.
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub description: String,
    /// Its rights.
    pub rights: Vec<Right>,
}

/// A new role.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoleRequest {
    /// Its name, unique in the tenant.
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// What it is for.
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub description: String,
    /// Its rights.
    pub rights: Vec<Right>,
}

/// A new group.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupRequest {
    /// Its name, unique in the tenant.
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// What it is for.
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub description: String,
    /// Logins of its members.
    #[serde(default)]
    pub members: Vec<String>,
    /// Roles its members get.
    #[serde(default)]
    pub roles: Vec<RoleGrant>,
}

/// A group's content.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRequest {
    /// What it is for.
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub description: String,
    /// Logins of its members.
    #[serde(default)]
    pub members: Vec<String>,
    /// Roles its members get.
    #[serde(default)]
    pub roles: Vec<RoleGrant>,
}

/// The tenant's access settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessSettings {
    /// At most one browser session per user, for every user of the tenant.
    pub single_session: bool,
}

fn note(kind: &str, code: &str, before: Option<Value>, after: Option<Value>) -> AuditNote {
    AuditNote {
        object_kind: Some(kind.into()),
        object_code: Some(code.into()),
        before,
        after,
    }
}

fn with_note(status: StatusCode, body: Value, note: AuditNote) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.extensions_mut().insert(note);
    response
}

/// 400 naming `field` when `value` is outside the length the document
/// gives it (characters).
pub(super) fn length(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiFailure> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ApiFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("`{field}` must be {min} to {max} characters; it has {n}"),
        )
        .field(field));
    }
    Ok(())
}

fn check_name(field: &str, name: &str) -> Result<(), ApiFailure> {
    if name.trim().is_empty() || name.chars().count() > NAME_MAX {
        return Err(ApiFailure::invalid(
            field,
            format!("`{field}` must be 1 to {NAME_MAX} characters"),
        ));
    }
    Ok(())
}

/// Checks that every granted role and site exists (422 naming the field).
async fn check_grants(
    state: &HubState,
    tenant: TenantId,
    field: &str,
    grants: &[RoleGrant],
) -> Result<(), ApiFailure> {
    let roles = state.store.list_roles(tenant).await?;
    for (i, grant) in grants.iter().enumerate() {
        if !roles.iter().any(|r| r.name == grant.role) {
            return Err(ApiFailure::invalid(
                format!("{field}[{i}].role"),
                format!("there is no role `{}`", grant.role),
            ));
        }
        for (j, site) in grant.sites.iter().flatten().enumerate() {
            if !state.store.site_exists(tenant, site.clone()).await? {
                return Err(ApiFailure::invalid(
                    format!("{field}[{i}].sites[{j}]"),
                    format!("there is no site `{site}`"),
                ));
            }
        }
    }
    Ok(())
}

async fn user_or_404(state: &HubState, tenant: TenantId, login: &str) -> Result<UserRow, ApiFailure> {
    state
        .store
        .list_users(tenant)
        .await?
        .into_iter()
        .find(|u| u.login == login)
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
    length("login", &request.login, 1, NAME_MAX)?;
    if let Some(name) = &request.display_name {
        length("display_name", name, 0, NAME_MAX)?;
    }
    if let Some(password) = &request.password {
        length("password", password, 0, 1000)?;
    }
    check_name("login", &request.login)?;
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
    if let Some(name) = &request.display_name {
        check_name("display_name", name)?;
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
        note("user", &login, None, after),
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
        length("display_name", name, 1, NAME_MAX)?;
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
    Ok(with_note(StatusCode::OK, json!(user), note("user", &login, b, a)))
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
    let grants: Vec<RoleGrant> = parse_body(&body)?;
    check_grants(&state, tenant, "", &grants).await?;
    let user = state.store.set_user_roles(tenant, login.clone(), grants).await?;
    Ok(with_note(
        StatusCode::OK,
        json!(user),
        note(
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
        note("user_password", &login, None, None),
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
    length("name", &request.name, 1, NAME_MAX)?;
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
        note(
            "api_token",
            &request.name,
            None,
            Some(json!({"user": login, "rights": request.rights})),
        ),
    ))
}

async fn list_roles(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Json<Value>, ApiFailure> {
    Ok(Json(json!({ "items": state.store.list_roles(tenant).await? })))
}

async fn read_role(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(name): Path<String>,
) -> Result<Json<RoleRow>, ApiFailure> {
    state
        .store
        .list_roles(tenant)
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .map(Json)
        .ok_or_else(|| ApiFailure::new(StatusCode::NOT_FOUND, "not_found", format!("no role `{name}`")))
}

async fn read_group(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(name): Path<String>,
) -> Result<Json<GroupRow>, ApiFailure> {
    state
        .store
        .list_groups(tenant)
        .await?
        .into_iter()
        .find(|g| g.name == name)
        .map(Json)
        .ok_or_else(|| ApiFailure::new(StatusCode::NOT_FOUND, "not_found", format!("no group `{name}`")))
}

async fn put_role(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let roles = state.store.list_roles(tenant).await?;
    if !roles.iter().any(|r| r.name == name) {
        return Err(ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no role `{name}`"),
        ));
    }
    let request: RoleRequest = parse_body(&body)?;
    length("description", &request.description, 0, 500)?;
    write_role(state, tenant, name, request.description, request.rights).await
}

async fn create_role(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let request: NewRoleRequest = parse_body(&body)?;
    length("name", &request.name, 1, NAME_MAX)?;
    length("description", &request.description, 0, 500)?;
    check_name("name", &request.name)?;
    if state
        .store
        .list_roles(tenant)
        .await?
        .iter()
        .any(|r| r.name == request.name)
    {
        return Err(ApiFailure::new(
            StatusCode::CONFLICT,
            "exists",
            format!("role `{}` exists already", request.name),
        ));
    }
    write_role(state, tenant, request.name, request.description, request.rights).await
}

async fn write_role(
    state: HubState,
    tenant: TenantId,
    name: String,
    description: String,
    rights: Vec<Right>,
) -> Result<Response, ApiFailure> {
    let request = RoleRequest { description, rights };
    let before = state
        .store
        .put_role(
            tenant,
            name.clone(),
            request.description.clone(),
            request.rights.clone(),
        )
        .await?;
    let role = RoleRow {
        name: name.clone(),
        description: request.description,
        rights: request.rights,
        updated_at: (state.clock)(),
    };
    let status = if before.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(with_note(
        status,
        json!(role),
        note("role", &name, before.map(|b| json!(b)), Some(json!(role.rights))),
    ))
}

async fn list_groups(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Json<Value>, ApiFailure> {
    Ok(Json(json!({ "items": state.store.list_groups(tenant).await? })))
}

async fn put_group(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    if !state
        .store
        .list_groups(tenant)
        .await?
        .iter()
        .any(|g| g.name == name)
    {
        return Err(ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no group `{name}`"),
        ));
    }
    let request: GroupRequest = parse_body(&body)?;
    length("description", &request.description, 0, 500)?;
    write_group(state, tenant, name, request).await
}

async fn create_group(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let request: NewGroupRequest = parse_body(&body)?;
    length("name", &request.name, 1, NAME_MAX)?;
    length("description", &request.description, 0, 500)?;
    check_name("name", &request.name)?;
    if state
        .store
        .list_groups(tenant)
        .await?
        .iter()
        .any(|g| g.name == request.name)
    {
        return Err(ApiFailure::new(
            StatusCode::CONFLICT,
            "exists",
            format!("group `{}` exists already", request.name),
        ));
    }
    let content = GroupRequest {
        description: request.description,
        members: request.members,
        roles: request.roles,
    };
    write_group(state, tenant, request.name, content).await
}

async fn write_group(
    state: HubState,
    tenant: TenantId,
    name: String,
    request: GroupRequest,
) -> Result<Response, ApiFailure> {
    check_grants(&state, tenant, "roles", &request.roles).await?;
    let users = state.store.list_users(tenant).await?;
    for (i, member) in request.members.iter().enumerate() {
        if !users.iter().any(|u| &u.login == member) {
            return Err(ApiFailure::invalid(
                format!("members[{i}]"),
                format!("there is no user `{member}`"),
            ));
        }
    }
    let before = state
        .store
        .list_groups(tenant)
        .await?
        .into_iter()
        .find(|g| g.name == name);
    let group = GroupRow {
        name: name.clone(),
        description: request.description,
        members: request.members,
        roles: request.roles,
    };
    state.store.put_group(tenant, group.clone()).await?;
    let status = if before.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(with_note(
        status,
        json!(group),
        note("group", &name, before.map(|b| json!(b)), Some(json!(group))),
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
        note("session", &id, None, None),
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
        note(
            "access_settings",
            "single_session",
            Some(json!(before)),
            Some(json!(request.single_session)),
        ),
    ))
}

/// Adds the user, role, group, session and settings routes.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let user = book.schema::<UserRow>();
    let role = book.schema::<RoleRow>();
    let group = book.schema::<GroupRow>();
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
            "/api/v1/roles",
            tag,
            "The tenant's roles and their rights",
        ))
        .response(items(&role)),
        get(list_roles),
    );
    let new_role = book.schema::<NewRoleRequest>();
    book.add(
        admin(Operation::new("post", "/api/v1/roles", tag, "Create a role"))
            .request(new_role)
            .response(role.clone())
            .status(201),
        post(create_role),
    );
    book.add(
        view(Operation::new("get", "/api/v1/roles/{name}", tag, "One role")).response(role.clone()),
        get(read_role),
    );
    let role_request = book.schema::<RoleRequest>();
    book.add(
        admin(Operation::new(
            "put",
            "/api/v1/roles/{name}",
            tag,
            "Replace a role's rights; it takes effect on the next request of every user holding it",
        ))
        .request(role_request)
        .response(role),
        put(put_role),
    );
    book.add(
        view(Operation::new(
            "get",
            "/api/v1/groups",
            tag,
            "The tenant's groups, members and roles",
        ))
        .response(items(&group)),
        get(list_groups),
    );
    let new_group = book.schema::<NewGroupRequest>();
    book.add(
        admin(Operation::new("post", "/api/v1/groups", tag, "Create a group"))
            .request(new_group)
            .response(group.clone())
            .status(201),
        post(create_group),
    );
    book.add(
        view(Operation::new("get", "/api/v1/groups/{name}", tag, "One group")).response(group.clone()),
        get(read_group),
    );
    let group_request = book.schema::<GroupRequest>();
    book.add(
        admin(Operation::new(
            "put",
            "/api/v1/groups/{name}",
            tag,
            "Replace a group's description, members and roles",
        ))
        .request(group_request)
        .response(group),
        put(put_group),
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

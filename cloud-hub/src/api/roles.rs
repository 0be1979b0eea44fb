//! Roles and groups, for admins: `/api/v1/roles…`, `/api/v1/groups…`.
//! Reading needs `system:view`, changing `system:admin`. Every change is
//! audited with its before and after, and counts from the next request of
//! every user it reaches (the store advances the tenant's access version
//! in the change's transaction).

use super::book::{Operation, RouteBook};
use super::bounds::{check_name, length};
use super::guard::{AuditNote, TenantCaller, with_note};
use super::masterdata::parse_body;
use super::{ApiFailure, HubState};
use crate::store::TenantId;
use crate::store::access::{GroupRow, RoleGrant, RoleRow};
use crate::store::rights::{Action, Module, Right};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::{get, post, put};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

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

/// Checks that every granted role and site exists (422 naming the field).
pub(super) async fn check_grants(
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
    check_name("name", &request.name)?;
    length("description", &request.description, 0, 500)?;
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
        AuditNote::object("role", &name, before.map(|b| json!(b)), Some(json!(role.rights))),
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
    check_name("name", &request.name)?;
    length("description", &request.description, 0, 500)?;
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
        AuditNote::object("group", &name, before.map(|b| json!(b)), Some(json!(group))),
    ))
}

/// Adds the role and group routes.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let role = book.schema::<RoleRow>();
    let group = book.schema::<GroupRow>();
    let items = |s: &Value| json!({"type": "object", "properties": {"items": {"type": "array", "items": s}}});
    let tag = "Users and rights";
    let view = |op: Operation| op.right(Module::System, Action::View);
    let admin = |op: Operation| op.right(Module::System, Action::Admin);
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
}

//! Users, groups, roles and grants in PostgreSQL, the roles a tenant
//! starts with, and API tokens of users.

use super::{PgStore, is_unique_violation};
use crate::access::{
    GroupRow, LoginUser, NewUser, RoleGrant, RoleRow, SERVICE_LOGIN, UserKind, UserRow, UserUpdate,
};
use crate::rights::{self, Right};
use crate::tokens::{API_TOKEN_PREFIX, hash_token, new_token};
use crate::{NewToken, StoreError, TenantId, UserId, now_ms};
use serde_json::Value;
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

/// Rights as a jsonb value.
pub(super) fn rights_json(rights: &[Right]) -> Value {
    Value::from(rights.iter().map(Right::to_string).collect::<Vec<_>>())
}

/// Rights from a jsonb value (unknown ones left out).
pub(super) fn rights_from(value: Option<Value>) -> Option<Vec<Right>> {
    value.map(|v| rights::parse_stored(&v.to_string()))
}

fn sites_json(sites: &Option<Vec<String>>) -> Option<Value> {
    sites.as_ref().map(|s| Value::from(s.clone()))
}

pub(super) fn sites_from(value: Option<Value>) -> Option<Vec<String>> {
    value.map(|v| serde_json::from_value(v).unwrap_or_default())
}

/// Gives `tenant` the built-in roles (if it has no role at all) and its
/// service user holding `admin` (if it has none), and hands tokens that
/// belong to no user to the service user. Idempotent.
pub(super) async fn seed_tenant_access(client: &impl GenericClient, tenant: Uuid) -> Result<(), StoreError> {
    let now = now_ms();
    let roles: i64 = client
        .query_one("SELECT COUNT(*) FROM roles WHERE tenant_id = $1", &[&tenant])
        .await?
        .try_get(0)?;
    if roles == 0 {
        for role in rights::builtin_roles() {
            client
                .execute(
                    "INSERT INTO roles (id, tenant_id, name, description, rights, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    &[
                        &Uuid::now_v7(),
                        &tenant,
                        &role.name,
                        &role.description,
                        &rights_json(&role.rights),
                        &now,
                    ],
                )
                .await?;
        }
    }
    let service = client
        .query_opt(
            "SELECT id FROM users WHERE tenant_id = $1 AND login = $2",
            &[&tenant, &SERVICE_LOGIN],
        )
        .await?;
    let service: Uuid = match service {
        Some(row) => row.try_get(0)?,
        None => {
            let id = Uuid::now_v7();
            client
                .execute(
                    "INSERT INTO users (id, tenant_id, login, display_name, kind, created_at, updated_at)
                     VALUES ($1, $2, $3, 'API tokens of the tenant', 'service', $4, $4)",
                    &[&id, &tenant, &SERVICE_LOGIN, &now],
                )
                .await?;
            client
                .execute(
                    "INSERT INTO role_grants (tenant_id, user_id, role_id)
                     SELECT $1, $2, id FROM roles WHERE tenant_id = $1 AND name = 'admin'",
                    &[&tenant, &id],
                )
                .await?;
            id
        }
    };
    client
        .execute(
            "UPDATE api_tokens SET user_id = $2 WHERE tenant_id = $1 AND user_id IS NULL",
            &[&tenant, &service],
        )
        .await?;
    Ok(())
}

/// Seeds every tenant (after the migration that brought users).
pub(super) async fn seed_all_tenants(client: &impl GenericClient) -> Result<(), StoreError> {
    for row in client.query("SELECT id FROM tenants", &[]).await? {
        seed_tenant_access(client, row.try_get(0)?).await?;
    }
    Ok(())
}

async fn user_id_by_login(
    client: &impl GenericClient,
    tenant: Uuid,
    login: &str,
) -> Result<Uuid, StoreError> {
    client
        .query_opt(
            "SELECT id FROM users WHERE tenant_id = $1 AND login = $2",
            &[&tenant, &login],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound {
            what: "user",
            name: login.into(),
        })
}

/// The roles granted to a user (`column` = `user_id`) or a group (`group_id`).
async fn grants_of(
    client: &impl GenericClient,
    tenant: Uuid,
    column: &str,
    id: Uuid,
) -> Result<Vec<RoleGrant>, StoreError> {
    let sql = format!(
        "SELECT r.name, g.sites FROM role_grants g JOIN roles r ON r.id = g.role_id AND r.tenant_id = g.tenant_id
         WHERE g.tenant_id = $1 AND g.{column} = $2 ORDER BY r.name, g.id"
    );
    client
        .query(&sql, &[&tenant, &id])
        .await?
        .iter()
        .map(|r| {
            Ok(RoleGrant {
                role: r.try_get(0)?,
                sites: sites_from(r.try_get(1)?),
            })
        })
        .collect()
}

async fn replace_grants(
    client: &impl GenericClient,
    tenant: Uuid,
    column: &str,
    id: Uuid,
    grants: &[RoleGrant],
) -> Result<(), StoreError> {
    client
        .execute(
            &format!("DELETE FROM role_grants WHERE tenant_id = $1 AND {column} = $2"),
            &[&tenant, &id],
        )
        .await?;
    for grant in grants {
        let role: Uuid = client
            .query_opt(
                "SELECT id FROM roles WHERE tenant_id = $1 AND name = $2",
                &[&tenant, &grant.role],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "role",
                name: grant.role.clone(),
            })?;
        client
            .execute(
                &format!(
                    "INSERT INTO role_grants (tenant_id, {column}, role_id, sites) VALUES ($1, $2, $3, $4)"
                ),
                &[&tenant, &id, &role, &sites_json(&grant.sites)],
            )
            .await?;
    }
    Ok(())
}

const USER_COLUMNS: &str =
    "id, login, display_name, kind, active, single_session, language, created_at, updated_at, password_phc";

async fn read_user(
    client: &impl GenericClient,
    tenant: Uuid,
    r: &Row,
) -> Result<(UserRow, Option<String>), StoreError> {
    let id: Uuid = r.try_get(0)?;
    let groups = client
        .query(
            "SELECT g.name FROM group_members m JOIN user_groups g ON g.id = m.group_id
             WHERE m.tenant_id = $1 AND m.user_id = $2 ORDER BY g.name",
            &[&tenant, &id],
        )
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<String>, _>>()?;
    Ok((
        UserRow {
            id: UserId::from_row(id),
            login: r.try_get(1)?,
            display_name: r.try_get(2)?,
            kind: UserKind::from_stored(r.try_get(3)?),
            active: r.try_get(4)?,
            single_session: r.try_get(5)?,
            language: r.try_get(6)?,
            created_at: r.try_get(7)?,
            updated_at: r.try_get(8)?,
            roles: grants_of(client, tenant, "user_id", id).await?,
            groups,
        },
        r.try_get(9)?,
    ))
}

async fn user_by_login(
    client: &impl GenericClient,
    tenant: Uuid,
    login: &str,
) -> Result<Option<(UserRow, Option<String>)>, StoreError> {
    let row = client
        .query_opt(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND login = $2"),
            &[&tenant, &login],
        )
        .await?;
    match row {
        Some(row) => Ok(Some(read_user(client, tenant, &row).await?)),
        None => Ok(None),
    }
}

impl PgStore {
    /// The tenant with the short name `slug`.
    pub(crate) async fn tenant_id_by_slug(&self, slug: String) -> Result<TenantId, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt("SELECT id FROM tenants WHERE slug = $1", &[&slug])
            .await?;
        match row {
            Some(row) => Ok(TenantId::from_row(row.try_get(0)?)),
            None => Err(StoreError::NotFound {
                what: "tenant",
                name: slug,
            }),
        }
    }

    /// Creates a user.
    pub(crate) async fn create_user(&self, tenant: TenantId, user: NewUser) -> Result<UserRow, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let now = now_ms();
        let result = client
            .execute(
                "INSERT INTO users (id, tenant_id, login, display_name, kind, password_phc, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                &[&Uuid::now_v7(), &tenant, &user.login, &user.display_name, &user.kind.as_str(), &user.password_phc, &now],
            )
            .await;
        match result {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Exists {
                    what: "user",
                    name: user.login,
                });
            }
            Err(e) => return Err(e.into()),
        }
        Ok(user_by_login(&**client, tenant, &user.login)
            .await?
            .expect("the user was just inserted")
            .0)
    }

    /// One user with its password hash and the tenant's one-session flag.
    pub(crate) async fn login_user(
        &self,
        tenant: TenantId,
        login: String,
    ) -> Result<Option<LoginUser>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let Some((user, password_phc)) = user_by_login(&**client, tenant, &login).await? else {
            return Ok(None);
        };
        let tenant_single_session = client
            .query_one("SELECT single_session FROM tenants WHERE id = $1", &[&tenant])
            .await?
            .try_get(0)?;
        Ok(Some(LoginUser {
            user,
            password_phc,
            tenant_single_session,
        }))
    }

    /// Every user of the tenant, by login.
    pub(crate) async fn list_users(&self, tenant: TenantId) -> Result<Vec<UserRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY login COLLATE \"C\""
                ),
                &[&tenant],
            )
            .await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in &rows {
            users.push(read_user(&**client, tenant, row).await?.0);
        }
        Ok(users)
    }

    /// Changes a user's fields; `None` when there is no such user.
    pub(crate) async fn update_user(
        &self,
        tenant: TenantId,
        login: String,
        update: UserUpdate,
    ) -> Result<Option<UserRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let language_set = update.language.is_some();
        let language = update.language.flatten();
        let n = client
            .execute(
                "UPDATE users SET display_name = COALESCE($3, display_name), active = COALESCE($4, active),
                        single_session = COALESCE($5, single_session),
                        language = CASE WHEN $6 THEN $7 ELSE language END, updated_at = $8
                 WHERE tenant_id = $1 AND login = $2",
                &[
                    &tenant,
                    &login,
                    &update.display_name,
                    &update.active,
                    &update.single_session,
                    &language_set,
                    &language,
                    &now_ms(),
                ],
            )
            .await?;
        if n == 0 {
            return Ok(None);
        }
        Ok(user_by_login(&**client, tenant, &login).await?.map(|(u, _)| u))
    }

    /// Sets a user's password hash; false when there is no such user.
    pub(crate) async fn set_password(
        &self,
        tenant: TenantId,
        login: String,
        phc: String,
    ) -> Result<bool, StoreError> {
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "UPDATE users SET password_phc = $3, updated_at = $4 WHERE tenant_id = $1 AND login = $2",
                &[&tenant.as_uuid(), &login, &phc, &now_ms()],
            )
            .await?;
        Ok(n > 0)
    }

    /// Replaces the roles granted directly to a user.
    pub(crate) async fn set_user_roles(
        &self,
        tenant: TenantId,
        login: String,
        grants: Vec<RoleGrant>,
    ) -> Result<UserRow, StoreError> {
        let tenant = tenant.as_uuid();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let id = user_id_by_login(&*tx, tenant, &login).await?;
        replace_grants(&*tx, tenant, "user_id", id, &grants).await?;
        tx.execute(
            "UPDATE users SET updated_at = $3 WHERE tenant_id = $1 AND id = $2",
            &[&tenant, &id, &now_ms()],
        )
        .await?;
        // The user's row, then the tenant's: the order a change of the user's
        // active flag locks them in (its trigger advances the tenant's
        // version), so the two cannot deadlock.
        tx.execute(
            "UPDATE tenants SET access_version = access_version + 1 WHERE id = $1",
            &[&tenant],
        )
        .await?;
        let user = user_by_login(&*tx, tenant, &login)
            .await?
            .expect("the user exists")
            .0;
        tx.commit().await?;
        Ok(user)
    }

    /// Every role of the tenant, by name.
    pub(crate) async fn list_roles(&self, tenant: TenantId) -> Result<Vec<RoleRow>, StoreError> {
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT name, description, rights, updated_at FROM roles WHERE tenant_id = $1 ORDER BY name COLLATE \"C\"",
                &[&tenant.as_uuid()],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(RoleRow {
                    name: r.try_get(0)?,
                    description: r.try_get(1)?,
                    rights: rights_from(r.try_get(2)?).unwrap_or_default(),
                    updated_at: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Creates or replaces a role; the old one's rights, if it existed.
    pub(crate) async fn put_role(
        &self,
        tenant: TenantId,
        name: String,
        description: String,
        rights: Vec<Right>,
    ) -> Result<Option<Vec<Right>>, StoreError> {
        let tenant = tenant.as_uuid();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let before = tx
            .query_opt(
                "SELECT rights FROM roles WHERE tenant_id = $1 AND name = $2 FOR UPDATE",
                &[&tenant, &name],
            )
            .await?
            .map(|r| r.try_get::<_, Value>(0))
            .transpose()?;
        tx.execute(
            "INSERT INTO roles (id, tenant_id, name, description, rights, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (tenant_id, name) DO UPDATE SET description = excluded.description,
                 rights = excluded.rights, updated_at = excluded.updated_at",
            &[
                &Uuid::now_v7(),
                &tenant,
                &name,
                &description,
                &rights_json(&rights),
                &now_ms(),
            ],
        )
        .await?;
        tx.execute(
            "UPDATE tenants SET access_version = access_version + 1 WHERE id = $1",
            &[&tenant],
        )
        .await?;
        tx.commit().await?;
        Ok(rights_from(before))
    }

    /// Every group of the tenant, by name.
    pub(crate) async fn list_groups(&self, tenant: TenantId) -> Result<Vec<GroupRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let groups = client
            .query(
                "SELECT id, name, description FROM user_groups WHERE tenant_id = $1 ORDER BY name COLLATE \"C\"",
                &[&tenant],
            )
            .await?;
        let mut out = Vec::with_capacity(groups.len());
        for g in &groups {
            let id: Uuid = g.try_get(0)?;
            let members = client
                .query(
                    "SELECT u.login FROM group_members m JOIN users u ON u.id = m.user_id
                     WHERE m.tenant_id = $1 AND m.group_id = $2 ORDER BY u.login COLLATE \"C\"",
                    &[&tenant, &id],
                )
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<Vec<String>, _>>()?;
            out.push(GroupRow {
                name: g.try_get(1)?,
                description: g.try_get(2)?,
                members,
                roles: grants_of(&**client, tenant, "group_id", id).await?,
            });
        }
        Ok(out)
    }

    /// Creates or replaces a group: its description, members and roles.
    pub(crate) async fn put_group(&self, tenant: TenantId, group: GroupRow) -> Result<(), StoreError> {
        let tenant = tenant.as_uuid();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let id: Uuid = tx
            .query_one(
                "INSERT INTO user_groups (id, tenant_id, name, description, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (tenant_id, name) DO UPDATE SET description = excluded.description
                 RETURNING id",
                &[&Uuid::now_v7(), &tenant, &group.name, &group.description, &now_ms()],
            )
            .await?
            .try_get(0)?;
        tx.execute(
            "DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2",
            &[&tenant, &id],
        )
        .await?;
        for login in &group.members {
            let user = user_id_by_login(&*tx, tenant, login).await?;
            tx.execute(
                "INSERT INTO group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&tenant, &id, &user],
            )
            .await?;
        }
        replace_grants(&*tx, tenant, "group_id", id, &group.roles).await?;
        tx.execute(
            "UPDATE tenants SET access_version = access_version + 1 WHERE id = $1",
            &[&tenant],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an API token acting as user `login`, narrowed to `rights`.
    pub(crate) async fn create_user_token(
        &self,
        tenant: TenantId,
        login: String,
        name: String,
        narrowing: Option<Vec<Right>>,
    ) -> Result<NewToken, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        let user = user_id_by_login(&**client, tenant, &login).await?;
        let token_id = Uuid::now_v7();
        let token = new_token(API_TOKEN_PREFIX);
        client
            .execute(
                "INSERT INTO api_tokens (id, tenant_id, name, token_hash, created_at, user_id, rights)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &token_id,
                    &tenant,
                    &name,
                    &hash_token(&token),
                    &now_ms(),
                    &user,
                    &narrowing.as_deref().map(rights_json),
                ],
            )
            .await?;
        Ok(NewToken {
            token_id: token_id.to_string(),
            token,
        })
    }

    /// Sets the tenant's one-session-per-user flag.
    pub(crate) async fn set_tenant_single_session(
        &self,
        tenant: TenantId,
        on: bool,
    ) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "UPDATE tenants SET single_session = $2 WHERE id = $1",
                &[&tenant.as_uuid(), &on],
            )
            .await?;
        Ok(())
    }

    /// The tenant's one-session-per-user flag.
    pub(crate) async fn tenant_single_session(&self, tenant: TenantId) -> Result<bool, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_one(
                "SELECT single_session FROM tenants WHERE id = $1",
                &[&tenant.as_uuid()],
            )
            .await?
            .try_get(0)?)
    }
}

//! Users, groups, roles and grants in SQLite, the roles a tenant starts
//! with, and API tokens of users.

use super::SqliteStore;
use crate::access::{
    GroupRow, LoginUser, NewUser, RoleGrant, RoleRow, SERVICE_LOGIN, UserKind, UserRow, UserUpdate,
};
use crate::rights::{self, Right};
use crate::tokens::{API_TOKEN_PREFIX, hash_token, new_token};
use crate::{NewToken, StoreError, TenantId, UserId, now_ms};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

/// Gives `tenant` the built-in roles (if it has no role at all) and its
/// service user holding `admin` (if it has none), and hands tokens that
/// belong to no user to the service user. Idempotent.
pub(super) fn seed_tenant_access(conn: &Connection, tenant: TenantId) -> Result<(), StoreError> {
    let now = now_ms();
    let roles: i64 = conn.query_row("SELECT COUNT(*) FROM roles WHERE tenant_id = ?1", [tenant], |r| {
        r.get(0)
    })?;
    if roles == 0 {
        for role in rights::builtin_roles() {
            conn.execute(
                "INSERT INTO roles (id, tenant_id, name, description, rights, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    Uuid::now_v7().to_string(),
                    tenant,
                    role.name,
                    role.description,
                    rights::to_stored(&role.rights),
                    now
                ],
            )?;
        }
    }
    let service: Option<String> = conn
        .query_row(
            "SELECT id FROM users WHERE tenant_id = ?1 AND login = ?2",
            params![tenant, SERVICE_LOGIN],
            |r| r.get(0),
        )
        .optional()?;
    let service = match service {
        Some(id) => id,
        None => {
            let id = Uuid::now_v7().to_string();
            conn.execute(
                "INSERT INTO users (id, tenant_id, login, display_name, kind, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'API tokens of the tenant', 'service', ?4, ?4)",
                params![id, tenant, SERVICE_LOGIN, now],
            )?;
            conn.execute(
                "INSERT INTO role_grants (tenant_id, user_id, role_id)
                 SELECT ?1, ?2, id FROM roles WHERE tenant_id = ?1 AND name = 'admin'",
                params![tenant, id],
            )?;
            id
        }
    };
    conn.execute(
        "UPDATE api_tokens SET user_id = ?2 WHERE tenant_id = ?1 AND user_id IS NULL",
        params![tenant, service],
    )?;
    Ok(())
}

/// Seeds every tenant (after the migration that brought users).
pub(super) fn seed_all_tenants(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    let tenants: Vec<TenantId> = tx
        .prepare("SELECT id FROM tenants")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for tenant in tenants {
        seed_tenant_access(&tx, tenant)?;
    }
    tx.commit()?;
    Ok(())
}

fn user_id_by_login(conn: &Connection, tenant: TenantId, login: &str) -> Result<UserId, StoreError> {
    conn.query_row(
        "SELECT id FROM users WHERE tenant_id = ?1 AND login = ?2",
        params![tenant, login],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        what: "user",
        name: login.into(),
    })
}

fn role_id(conn: &Connection, tenant: TenantId, name: &str) -> Result<String, StoreError> {
    conn.query_row(
        "SELECT id FROM roles WHERE tenant_id = ?1 AND name = ?2",
        params![tenant, name],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        what: "role",
        name: name.into(),
    })
}

fn sites_json(sites: &Option<Vec<String>>) -> Option<String> {
    sites
        .as_ref()
        .map(|s| serde_json::to_string(s).expect("a list of strings serialises"))
}

fn sites_parse(json: Option<String>) -> Option<Vec<String>> {
    json.map(|j| serde_json::from_str(&j).unwrap_or_default())
}

/// The roles granted to a user (`column` = `user_id`) or a group (`group_id`).
fn grants_of(
    conn: &Connection,
    tenant: TenantId,
    column: &str,
    id: &str,
) -> Result<Vec<RoleGrant>, StoreError> {
    let sql = format!(
        "SELECT r.name, g.sites FROM role_grants g JOIN roles r ON r.id = g.role_id
         WHERE g.tenant_id = ?1 AND g.{column} = ?2 ORDER BY r.name, g.id"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![tenant, id], |r| {
            Ok(RoleGrant {
                role: r.get(0)?,
                sites: sites_parse(r.get(1)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn replace_grants(
    conn: &Connection,
    tenant: TenantId,
    column: &str,
    id: &str,
    grants: &[RoleGrant],
) -> Result<(), StoreError> {
    conn.execute(
        &format!("DELETE FROM role_grants WHERE tenant_id = ?1 AND {column} = ?2"),
        params![tenant, id],
    )?;
    for grant in grants {
        let role = role_id(conn, tenant, &grant.role)?;
        conn.execute(
            &format!("INSERT INTO role_grants (tenant_id, {column}, role_id, sites) VALUES (?1, ?2, ?3, ?4)"),
            params![tenant, id, role, sites_json(&grant.sites)],
        )?;
    }
    Ok(())
}

const USER_COLUMNS: &str =
    "id, login, display_name, kind, active, single_session, language, created_at, updated_at, password_phc";

fn read_user(
    conn: &Connection,
    tenant: TenantId,
    r: &rusqlite::Row<'_>,
) -> Result<(UserRow, Option<String>), StoreError> {
    let id: UserId = r.get(0)?;
    let id_text = id.to_string();
    let groups = conn
        .prepare_cached(
            "SELECT g.name FROM group_members m JOIN user_groups g ON g.id = m.group_id
             WHERE m.tenant_id = ?1 AND m.user_id = ?2 ORDER BY g.name",
        )?
        .query_map(params![tenant, id_text], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok((
        UserRow {
            id,
            login: r.get(1)?,
            display_name: r.get(2)?,
            kind: UserKind::from_stored(&r.get::<_, String>(3)?),
            active: r.get(4)?,
            single_session: r.get(5)?,
            language: r.get(6)?,
            created_at: r.get(7)?,
            updated_at: r.get(8)?,
            roles: grants_of(conn, tenant, "user_id", &id_text)?,
            groups,
        },
        r.get(9)?,
    ))
}

fn user_by_login(
    conn: &Connection,
    tenant: TenantId,
    login: &str,
) -> Result<Option<(UserRow, Option<String>)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ?1 AND login = ?2"
    ))?;
    let mut rows = stmt.query(params![tenant, login])?;
    match rows.next()? {
        Some(row) => Ok(Some(read_user(conn, tenant, row)?)),
        None => Ok(None),
    }
}

impl SqliteStore {
    /// The tenant with the short name `slug`.
    pub(crate) async fn tenant_id_by_slug(&self, slug: String) -> Result<TenantId, StoreError> {
        self.read(move |conn| {
            conn.query_row("SELECT id FROM tenants WHERE slug = ?1", [&slug], |r| r.get(0))
                .optional()?
                .ok_or(StoreError::NotFound {
                    what: "tenant",
                    name: slug,
                })
        })
        .await
    }

    /// Creates a user.
    pub(crate) async fn create_user(&self, tenant: TenantId, user: NewUser) -> Result<UserRow, StoreError> {
        self.write(move |conn| {
            let now = now_ms();
            let id = Uuid::now_v7().to_string();
            let inserted = conn.execute(
                "INSERT INTO users (id, tenant_id, login, display_name, kind, password_phc, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (tenant_id, login) DO NOTHING",
                params![id, tenant, user.login, user.display_name, user.kind.as_str(), user.password_phc, now],
            )?;
            if inserted == 0 {
                return Err(StoreError::Exists {
                    what: "user",
                    name: user.login,
                });
            }
            Ok(user_by_login(conn, tenant, &user.login)?
                .expect("the user was just inserted")
                .0)
        })
        .await
    }

    /// One user with its password hash and the tenant's one-session flag.
    pub(crate) async fn login_user(
        &self,
        tenant: TenantId,
        login: String,
    ) -> Result<Option<LoginUser>, StoreError> {
        self.read(move |conn| {
            let Some((user, password_phc)) = user_by_login(conn, tenant, &login)? else {
                return Ok(None);
            };
            let tenant_single_session = conn.query_row(
                "SELECT single_session FROM tenants WHERE id = ?1",
                [tenant],
                |r| r.get(0),
            )?;
            Ok(Some(LoginUser {
                user,
                password_phc,
                tenant_single_session,
            }))
        })
        .await
    }

    /// Every user of the tenant, by login.
    pub(crate) async fn list_users(&self, tenant: TenantId) -> Result<Vec<UserRow>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ?1 ORDER BY login"
            ))?;
            let mut rows = stmt.query([tenant])?;
            let mut users = Vec::new();
            while let Some(row) = rows.next()? {
                users.push(read_user(conn, tenant, row)?.0);
            }
            Ok(users)
        })
        .await
    }

    /// Changes a user's fields; `None` when there is no such user.
    pub(crate) async fn update_user(
        &self,
        tenant: TenantId,
        login: String,
        update: UserUpdate,
    ) -> Result<Option<UserRow>, StoreError> {
        self.write(move |conn| {
            let language_set = update.language.is_some();
            let n = conn.execute(
                "UPDATE users SET display_name = COALESCE(?3, display_name), active = COALESCE(?4, active),
                        single_session = COALESCE(?5, single_session),
                        language = CASE WHEN ?6 THEN ?7 ELSE language END, updated_at = ?8
                 WHERE tenant_id = ?1 AND login = ?2",
                params![
                    tenant,
                    login,
                    update.display_name,
                    update.active,
                    update.single_session,
                    language_set,
                    update.language.flatten(),
                    now_ms()
                ],
            )?;
            if n == 0 {
                return Ok(None);
            }
            Ok(user_by_login(conn, tenant, &login)?.map(|(u, _)| u))
        })
        .await
    }

    /// Sets a user's password hash; false when there is no such user.
    pub(crate) async fn set_password(
        &self,
        tenant: TenantId,
        login: String,
        phc: String,
    ) -> Result<bool, StoreError> {
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE users SET password_phc = ?3, updated_at = ?4 WHERE tenant_id = ?1 AND login = ?2",
                params![tenant, login, phc, now_ms()],
            )?;
            Ok(n > 0)
        })
        .await
    }

    /// Replaces the roles granted directly to a user.
    pub(crate) async fn set_user_roles(
        &self,
        tenant: TenantId,
        login: String,
        grants: Vec<RoleGrant>,
    ) -> Result<UserRow, StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let id = user_id_by_login(&tx, tenant, &login)?;
            replace_grants(&tx, tenant, "user_id", &id.to_string(), &grants)?;
            tx.execute(
                "UPDATE users SET updated_at = ?3 WHERE tenant_id = ?1 AND id = ?2",
                params![tenant, id, now_ms()],
            )?;
            // The user's row, then the tenant's: the order a change of the user's
            // active flag locks them in (its trigger advances the tenant's
            // version), so the two cannot deadlock.
            tx.execute(
                "UPDATE tenants SET access_version = access_version + 1 WHERE id = ?1",
                [tenant],
            )?;
            let user = user_by_login(&tx, tenant, &login)?.expect("the user exists").0;
            tx.commit()?;
            Ok(user)
        })
        .await
    }

    /// Every role of the tenant, by name.
    pub(crate) async fn list_roles(&self, tenant: TenantId) -> Result<Vec<RoleRow>, StoreError> {
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT name, description, rights, updated_at FROM roles WHERE tenant_id = ?1 ORDER BY name",
                )?
                .query_map([tenant], |r| {
                    Ok(RoleRow {
                        name: r.get(0)?,
                        description: r.get(1)?,
                        rights: rights::parse_stored(&r.get::<_, String>(2)?),
                        updated_at: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    /// Creates or replaces a role; the old one's rights, if it existed.
    pub(crate) async fn put_role(
        &self,
        tenant: TenantId,
        name: String,
        description: String,
        rights: Vec<Right>,
    ) -> Result<Option<Vec<Right>>, StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let before: Option<String> = tx
                .query_row(
                    "SELECT rights FROM roles WHERE tenant_id = ?1 AND name = ?2",
                    params![tenant, name],
                    |r| r.get(0),
                )
                .optional()?;
            let now = now_ms();
            tx.execute(
                "INSERT INTO roles (id, tenant_id, name, description, rights, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (tenant_id, name) DO UPDATE SET description = excluded.description,
                     rights = excluded.rights, updated_at = excluded.updated_at",
                params![
                    Uuid::now_v7().to_string(),
                    tenant,
                    name,
                    description,
                    rights::to_stored(&rights),
                    now
                ],
            )?;
            tx.execute(
                "UPDATE tenants SET access_version = access_version + 1 WHERE id = ?1",
                [tenant],
            )?;
            tx.commit()?;
            Ok(before.map(|b| rights::parse_stored(&b)))
        })
        .await
    }

    /// Every group of the tenant, by name.
    pub(crate) async fn list_groups(&self, tenant: TenantId) -> Result<Vec<GroupRow>, StoreError> {
        self.read(move |conn| {
            let groups: Vec<(String, String, String)> = conn
                .prepare_cached(
                    "SELECT id, name, description FROM user_groups WHERE tenant_id = ?1 ORDER BY name",
                )?
                .query_map([tenant], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            for (id, name, description) in groups {
                let members = conn
                    .prepare_cached(
                        "SELECT u.login FROM group_members m JOIN users u ON u.id = m.user_id
                         WHERE m.tenant_id = ?1 AND m.group_id = ?2 ORDER BY u.login",
                    )?
                    .query_map(params![tenant, id], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                out.push(GroupRow {
                    name,
                    description,
                    members,
                    roles: grants_of(conn, tenant, "group_id", &id)?,
                });
            }
            Ok(out)
        })
        .await
    }

    /// Creates or replaces a group: its description, members and roles.
    pub(crate) async fn put_group(&self, tenant: TenantId, group: GroupRow) -> Result<(), StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO user_groups (id, tenant_id, name, description, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (tenant_id, name) DO UPDATE SET description = excluded.description",
                params![Uuid::now_v7().to_string(), tenant, group.name, group.description, now_ms()],
            )?;
            let id: String = tx.query_row(
                "SELECT id FROM user_groups WHERE tenant_id = ?1 AND name = ?2",
                params![tenant, group.name],
                |r| r.get(0),
            )?;
            tx.execute(
                "DELETE FROM group_members WHERE tenant_id = ?1 AND group_id = ?2",
                params![tenant, id],
            )?;
            for login in &group.members {
                let user = user_id_by_login(&tx, tenant, login)?;
                tx.execute(
                    "INSERT OR IGNORE INTO group_members (tenant_id, group_id, user_id) VALUES (?1, ?2, ?3)",
                    params![tenant, id, user],
                )?;
            }
            replace_grants(&tx, tenant, "group_id", &id, &group.roles)?;
            tx.execute("UPDATE tenants SET access_version = access_version + 1 WHERE id = ?1", [tenant])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Creates an API token acting as user `login`, narrowed to `rights`.
    pub(crate) async fn create_user_token(
        &self,
        tenant: TenantId,
        login: String,
        name: String,
        narrowing: Option<Vec<Right>>,
    ) -> Result<NewToken, StoreError> {
        self.write(move |conn| {
            let user = user_id_by_login(conn, tenant, &login)?;
            let token_id = Uuid::now_v7().to_string();
            let token = new_token(API_TOKEN_PREFIX);
            conn.execute(
                "INSERT INTO api_tokens (id, tenant_id, name, token_hash, created_at, user_id, rights)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    token_id,
                    tenant,
                    name,
                    hash_token(&token),
                    now_ms(),
                    user,
                    narrowing.as_deref().map(rights::to_stored)
                ],
            )?;
            Ok(NewToken { token_id, token })
        })
        .await
    }

    /// Sets the tenant's one-session-per-user flag.
    pub(crate) async fn set_tenant_single_session(
        &self,
        tenant: TenantId,
        on: bool,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE tenants SET single_session = ?2 WHERE id = ?1",
                params![tenant, on],
            )?;
            Ok(())
        })
        .await
    }

    /// The tenant's one-session-per-user flag.
    pub(crate) async fn tenant_single_session(&self, tenant: TenantId) -> Result<bool, StoreError> {
        self.read(move |conn| {
            Ok(conn.query_row(
                "SELECT single_session FROM tenants WHERE id = ?1",
                [tenant],
                |r| r.get(0),
            )?)
        })
        .await
    }
}

//! Who a request is (by API token or browser session), browser sessions
//! and login attempts in SQLite.

use super::SqliteStore;
use crate::access::{
    Credential, CredentialHash, CredentialSeen, LoginAttempt, LoginFailures, NewSession, PrincipalRecord,
    SessionRow, SessionsToEnd,
};
use crate::rights::{self, Grant};
use crate::{StoreError, TenantId, UserId};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

/// Every role granted to `user`, directly or through its groups.
pub(super) fn grants_of_user(
    conn: &Connection,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<Grant>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT r.rights, g.sites FROM role_grants g JOIN roles r ON r.id = g.role_id
             WHERE g.tenant_id = ?1 AND (g.user_id = ?2 OR g.group_id IN
                 (SELECT group_id FROM group_members WHERE tenant_id = ?1 AND user_id = ?2))",
        )?
        .query_map(params![tenant, user], |r| {
            let sites: Option<String> = r.get(1)?;
            Ok(Grant {
                rights: rights::parse_stored(&r.get::<_, String>(0)?),
                sites: sites.map(|s| serde_json::from_str(&s).unwrap_or_default()),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The live credential by its hash: its access version and a session's
/// last request (one row by a unique index).
fn seen_sql(credential: &CredentialHash) -> (&'static str, &[u8]) {
    match credential {
        CredentialHash::ApiToken(hash) => (
            "SELECT access_version, NULL FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
            hash,
        ),
        CredentialHash::Session(hash) => (
            "SELECT access_version, last_seen_at FROM sessions WHERE secret_hash = ?1 AND ended_at IS NULL",
            hash,
        ),
    }
}

/// The live credential by its hash with its active user, in the columns
/// [`principal_record`] reads (a token's name and narrowing, or a
/// session's id, CSRF token and times).
fn record_sql(credential: &CredentialHash) -> (&'static str, &[u8]) {
    match credential {
        CredentialHash::ApiToken(hash) => (
            "SELECT t.tenant_id, u.id, u.login, u.language, t.access_version,
                    t.name, t.rights, NULL, NULL, NULL, NULL
             FROM api_tokens t JOIN users u ON u.id = t.user_id AND u.tenant_id = t.tenant_id
             WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.active = 1",
            hash,
        ),
        CredentialHash::Session(hash) => (
            "SELECT s.tenant_id, u.id, u.login, u.language, s.access_version,
                    NULL, NULL, s.id, s.csrf_token, s.created_at, s.last_seen_at
             FROM sessions s JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
             WHERE s.secret_hash = ?1 AND s.ended_at IS NULL AND u.active = 1",
            hash,
        ),
    }
}

/// A row of [`record_sql`]: a session when it has a session id, else a token.
fn principal_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<PrincipalRecord> {
    let credential = match r.get::<_, Option<String>>(7)? {
        Some(id) => Credential::Session {
            id: Uuid::parse_str(&id).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e))
            })?,
            csrf_token: r.get(8)?,
            created_at: r.get(9)?,
            last_seen_at: r.get(10)?,
        },
        None => Credential::Token { name: r.get(5)? },
    };
    Ok(PrincipalRecord {
        tenant: r.get(0)?,
        user: r.get(1)?,
        login: r.get(2)?,
        language: r.get(3)?,
        credential,
        narrowing: r.get::<_, Option<String>>(6)?.map(|n| rights::parse_stored(&n)),
        access_version: r.get(4)?,
    })
}

impl SqliteStore {
    /// The live credential's access version (and a session's last
    /// request): the one query of an authenticated request.
    pub(crate) async fn credential_seen(
        &self,
        credential: CredentialHash,
    ) -> Result<Option<CredentialSeen>, StoreError> {
        self.read(move |conn| {
            let (sql, hash) = seen_sql(&credential);
            Ok(conn
                .prepare_cached(sql)?
                .query_row([hash], |r| {
                    Ok(CredentialSeen {
                        access_version: r.get(0)?,
                        last_seen_at: r.get(1)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    /// The live credential with its active user (a token's narrowing, a
    /// session's id and times), and the credential's access version read
    /// in the same statement.
    pub(crate) async fn principal_record(
        &self,
        credential: CredentialHash,
    ) -> Result<Option<PrincipalRecord>, StoreError> {
        self.read(move |conn| {
            let (sql, hash) = record_sql(&credential);
            Ok(conn
                .prepare_cached(sql)?
                .query_row([hash], principal_record)
                .optional()?)
        })
        .await
    }

    /// Every role granted to `user`, directly or through its groups.
    pub(crate) async fn user_grants(&self, tenant: TenantId, user: UserId) -> Result<Vec<Grant>, StoreError> {
        self.read(move |conn| grants_of_user(conn, tenant, user)).await
    }

    /// Starts a session; its public id.
    pub(crate) async fn create_session(
        &self,
        tenant: TenantId,
        session: NewSession,
    ) -> Result<Uuid, StoreError> {
        self.write(move |conn| {
            let id = Uuid::now_v7();
            conn.execute(
                "INSERT INTO sessions (id, tenant_id, user_id, secret_hash, csrf_token, address, user_agent,
                                       created_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![
                    id.to_string(),
                    tenant,
                    session.user,
                    session.secret_hash,
                    session.csrf_token,
                    session.address,
                    session.user_agent,
                    session.at
                ],
            )?;
            Ok(id)
        })
        .await
    }

    /// Records a request of session `id` at `at`.
    pub(crate) async fn touch_session(&self, tenant: TenantId, id: Uuid, at: i64) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE sessions SET last_seen_at = ?3 WHERE tenant_id = ?1 AND id = ?2 AND last_seen_at < ?3",
                params![tenant, id.to_string(), at],
            )?;
            Ok(())
        })
        .await
    }

    /// The live sessions of the tenant (of one user when given), newest first.
    pub(crate) async fn live_sessions(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
    ) -> Result<Vec<SessionRow>, StoreError> {
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT s.id, u.login, s.address, s.user_agent, s.created_at, s.last_seen_at
                     FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.tenant_id = ?1 AND s.ended_at IS NULL AND (?2 IS NULL OR s.user_id = ?2)
                     ORDER BY s.created_at DESC, s.id",
                )?
                .query_map(params![tenant, user], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        SessionRow {
                            id: Uuid::nil(),
                            login: r.get(1)?,
                            address: r.get(2)?,
                            user_agent: r.get(3)?,
                            created_at: r.get(4)?,
                            last_seen_at: r.get(5)?,
                        },
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(id, row)| {
                    let id = Uuid::parse_str(&id)
                        .map_err(|e| StoreError::Task(format!("session id `{id}`: {e}")))?;
                    Ok(SessionRow { id, ..row })
                })
                .collect()
        })
        .await
    }

    /// Ends sessions; how many were live.
    pub(crate) async fn end_sessions(
        &self,
        tenant: TenantId,
        which: SessionsToEnd,
        reason: String,
        at: i64,
    ) -> Result<u64, StoreError> {
        self.write(move |conn| {
            let n = match which {
                SessionsToEnd::One(id) => conn.execute(
                    "UPDATE sessions SET ended_at = ?3, end_reason = ?4
                     WHERE tenant_id = ?1 AND id = ?2 AND ended_at IS NULL",
                    params![tenant, id.to_string(), at, reason],
                )?,
                SessionsToEnd::OfUser { user, except } => conn.execute(
                    "UPDATE sessions SET ended_at = ?3, end_reason = ?4
                     WHERE tenant_id = ?1 AND user_id = ?2 AND ended_at IS NULL AND (?5 IS NULL OR id <> ?5)",
                    params![tenant, user, at, reason, except.map(|e| e.to_string())],
                )?,
            };
            Ok(n as u64)
        })
        .await
    }

    /// Records a login attempt.
    pub(crate) async fn record_login_attempt(&self, attempt: LoginAttempt) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO login_attempts (tenant, login, address, at, succeeded) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![attempt.tenant, attempt.login, attempt.address, attempt.at, attempt.succeeded],
            )?;
            // Attempts older than a day tell the limits nothing.
            conn.execute(
                "DELETE FROM login_attempts WHERE at < ?1",
                [attempt.at - 86_400_000],
            )?;
            Ok(())
        })
        .await
    }

    /// Failed logins since `since`: of the account (after its last
    /// success) and from the address.
    pub(crate) async fn login_failures(
        &self,
        tenant: String,
        login: String,
        address: String,
        since: i64,
    ) -> Result<LoginFailures, StoreError> {
        self.read(move |conn| {
            let (account, account_last_at): (u32, Option<i64>) = conn.query_row(
                "SELECT COUNT(*), MAX(at) FROM login_attempts
                 WHERE tenant = ?1 AND login = ?2 AND succeeded = 0 AND at >= ?3
                   AND id > COALESCE((SELECT MAX(id) FROM login_attempts
                                      WHERE tenant = ?1 AND login = ?2 AND succeeded = 1), 0)",
                params![tenant, login, since],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let (address, address_last_at): (u32, Option<i64>) = conn.query_row(
                "SELECT COUNT(*), MAX(at) FROM login_attempts WHERE address = ?1 AND succeeded = 0 AND at >= ?2",
                params![address, since],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(LoginFailures {
                account,
                account_last_at,
                address,
                address_last_at,
            })
        })
        .await
    }
}

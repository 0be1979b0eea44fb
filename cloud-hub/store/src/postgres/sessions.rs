//! Who a request is (by API token or browser session), browser sessions
//! and login attempts in PostgreSQL.

use super::PgStore;
use super::people::{rights_from, sites_from};
use crate::access::{
    Credential, CredentialHash, CredentialSeen, LoginAttempt, LoginFailures, NewSession, PrincipalRecord,
    SessionRow, SessionsToEnd,
};
use crate::rights::Grant;
use crate::{StoreError, TenantId, UserId};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

/// Every role granted to `user`, directly or through its groups.
async fn grants_of_user(
    client: &impl GenericClient,
    tenant: Uuid,
    user: Uuid,
) -> Result<Vec<Grant>, StoreError> {
    client
        .query(
            "SELECT r.rights, g.sites FROM role_grants g JOIN roles r ON r.id = g.role_id AND r.tenant_id = g.tenant_id
             WHERE g.tenant_id = $1 AND (g.user_id = $2 OR g.group_id IN
                 (SELECT group_id FROM group_members WHERE tenant_id = $1 AND user_id = $2))",
            &[&tenant, &user],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Grant {
                rights: rights_from(r.try_get(0)?).unwrap_or_default(),
                sites: sites_from(r.try_get(1)?),
            })
        })
        .collect()
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The live credential by its hash: its access version and a session's
/// last request (one row by a unique index).
fn seen_sql(credential: &CredentialHash) -> (&'static str, &[u8]) {
    match credential {
        CredentialHash::ApiToken(hash) => (
            "SELECT access_version, NULL::bigint FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
            hash,
        ),
        CredentialHash::Session(hash) => (
            "SELECT access_version, last_seen_at FROM sessions WHERE secret_hash = $1 AND ended_at IS NULL",
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
                    t.name, t.rights, NULL::uuid, NULL::text, NULL::bigint, NULL::bigint
             FROM api_tokens t JOIN users u ON u.id = t.user_id AND u.tenant_id = t.tenant_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active",
            hash,
        ),
        CredentialHash::Session(hash) => (
            "SELECT s.tenant_id, u.id, u.login, u.language, s.access_version,
                    NULL::text, NULL::jsonb, s.id, s.csrf_token, s.created_at, s.last_seen_at
             FROM sessions s JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
             WHERE s.secret_hash = $1 AND s.ended_at IS NULL AND u.active",
            hash,
        ),
    }
}

/// A row of [`record_sql`]: a session when it has a session id, else a token.
fn principal_record(r: &Row) -> Result<PrincipalRecord, StoreError> {
    let credential = match r.try_get::<_, Option<Uuid>>(7)? {
        Some(id) => Credential::Session {
            id,
            csrf_token: r.try_get(8)?,
            created_at: r.try_get(9)?,
            last_seen_at: r.try_get(10)?,
        },
        None => Credential::Token { name: r.try_get(5)? },
    };
    Ok(PrincipalRecord {
        tenant: TenantId::from_row(r.try_get(0)?),
        user: UserId::from_row(r.try_get(1)?),
        login: r.try_get(2)?,
        language: r.try_get(3)?,
        credential,
        narrowing: rights_from(r.try_get(6)?),
        access_version: r.try_get(4)?,
    })
}

impl PgStore {
    /// The live credential's access version (and a session's last
    /// request): the one query of an authenticated request.
    pub(crate) async fn credential_seen(
        &self,
        credential: CredentialHash,
    ) -> Result<Option<CredentialSeen>, StoreError> {
        let (sql, hash) = seen_sql(&credential);
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql).await?;
        let Some(row) = client.query_opt(&statement, &[&hash]).await? else {
            return Ok(None);
        };
        Ok(Some(CredentialSeen {
            access_version: row.try_get(0)?,
            last_seen_at: row.try_get(1)?,
        }))
    }

    /// The live credential with its active user (a token's narrowing, a
    /// session's id and times), and the credential's access version read
    /// in the same statement.
    pub(crate) async fn principal_record(
        &self,
        credential: CredentialHash,
    ) -> Result<Option<PrincipalRecord>, StoreError> {
        let (sql, hash) = record_sql(&credential);
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql).await?;
        client
            .query_opt(&statement, &[&hash])
            .await?
            .as_ref()
            .map(principal_record)
            .transpose()
    }

    /// Every role granted to `user`, directly or through its groups.
    pub(crate) async fn user_grants(&self, tenant: TenantId, user: UserId) -> Result<Vec<Grant>, StoreError> {
        let client = self.pool.get().await?;
        grants_of_user(&**client, tenant.as_uuid(), user.as_uuid()).await
    }

    /// Starts a session; its public id.
    pub(crate) async fn create_session(
        &self,
        tenant: TenantId,
        session: NewSession,
    ) -> Result<Uuid, StoreError> {
        let client = self.pool.get().await?;
        let id = Uuid::now_v7();
        client
            .execute(
                "INSERT INTO sessions (id, tenant_id, user_id, secret_hash, csrf_token, address, user_agent,
                                       created_at, last_seen_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                &[
                    &id,
                    &tenant.as_uuid(),
                    &session.user.as_uuid(),
                    &session.secret_hash,
                    &session.csrf_token,
                    &session.address,
                    &session.user_agent,
                    &session.at,
                ],
            )
            .await?;
        Ok(id)
    }

    /// Records a request of session `id` at `at`.
    pub(crate) async fn touch_session(&self, tenant: TenantId, id: Uuid, at: i64) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "UPDATE sessions SET last_seen_at = $3 WHERE tenant_id = $1 AND id = $2 AND last_seen_at < $3",
                &[&tenant.as_uuid(), &id, &at],
            )
            .await?;
        Ok(())
    }

    /// The live sessions of the tenant (of one user when given), newest first.
    pub(crate) async fn live_sessions(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let client = self.pool.get().await?;
        let user = user.map(|u| u.as_uuid());
        client
            .query(
                "SELECT s.id, u.login, s.address, s.user_agent, s.created_at, s.last_seen_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.tenant_id = $1 AND s.ended_at IS NULL AND ($2::uuid IS NULL OR s.user_id = $2)
                 ORDER BY s.created_at DESC, s.id",
                &[&tenant.as_uuid(), &user],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(SessionRow {
                    id: r.try_get(0)?,
                    login: r.try_get(1)?,
                    address: r.try_get(2)?,
                    user_agent: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                    last_seen_at: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Ends sessions; how many were live.
    pub(crate) async fn end_sessions(
        &self,
        tenant: TenantId,
        which: SessionsToEnd,
        reason: String,
        at: i64,
    ) -> Result<u64, StoreError> {
        let client = self.pool.get().await?;
        let tenant = tenant.as_uuid();
        Ok(match which {
            SessionsToEnd::One(id) => {
                client
                    .execute(
                        "UPDATE sessions SET ended_at = $3, end_reason = $4
                         WHERE tenant_id = $1 AND id = $2 AND ended_at IS NULL",
                        &[&tenant, &id, &at, &reason],
                    )
                    .await?
            }
            SessionsToEnd::OfUser { user, except } => {
                client
                    .execute(
                        "UPDATE sessions SET ended_at = $3, end_reason = $4
                         WHERE tenant_id = $1 AND user_id = $2 AND ended_at IS NULL AND ($5::uuid IS NULL OR id <> $5)",
                        &[&tenant, &user.as_uuid(), &at, &reason, &except],
                    )
                    .await?
            }
        })
    }

    /// Records a login attempt.
    pub(crate) async fn record_login_attempt(&self, attempt: LoginAttempt) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO login_attempts (tenant, login, address, at, succeeded) VALUES ($1, $2, $3, $4, $5)",
                &[&attempt.tenant, &attempt.login, &attempt.address, &attempt.at, &attempt.succeeded],
            )
            .await?;
        // Attempts older than a day tell the limits nothing.
        client
            .execute(
                "DELETE FROM login_attempts WHERE at < $1",
                &[&(attempt.at - 86_400_000)],
            )
            .await?;
        Ok(())
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
        let client = self.pool.get().await?;
        let account = client
            .query_one(
                "SELECT COUNT(*), MAX(at) FROM login_attempts
                 WHERE tenant = $1 AND login = $2 AND NOT succeeded AND at >= $3
                   AND id > COALESCE((SELECT MAX(id) FROM login_attempts
                                      WHERE tenant = $1 AND login = $2 AND succeeded), 0)",
                &[&tenant, &login, &since],
            )
            .await?;
        let address = client
            .query_one(
                "SELECT COUNT(*), MAX(at) FROM login_attempts WHERE address = $1 AND NOT succeeded AND at >= $2",
                &[&address, &since],
            )
            .await?;
        Ok(LoginFailures {
            account: count(account.try_get(0)?),
            account_last_at: account.try_get(1)?,
            address: count(address.try_get(0)?),
            address_last_at: address.try_get(1)?,
        })
    }
}

//! Who a request is (by API token or browser session), browser sessions
//! and login attempts in PostgreSQL.

use super::PgStore;
use super::people::{rights_from, sites_from};
use crate::access::{
    Credential, LoginAttempt, LoginFailures, NewSession, PrincipalRow, SessionRow, SessionsToEnd,
};
use crate::rights::Grant;
use crate::tokens::hash_token;
use crate::{StoreError, TenantId, UserId};
use tokio_postgres::GenericClient;
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

impl PgStore {
    /// The active user an API token acts as, with what it holds.
    pub(crate) async fn principal_by_api_token(
        &self,
        token: &str,
    ) -> Result<Option<PrincipalRow>, StoreError> {
        let hash = hash_token(token);
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT t.tenant_id, u.id, u.login, u.language, t.name, t.rights, n.access_version
                 FROM api_tokens t JOIN users u ON u.id = t.user_id AND u.tenant_id = t.tenant_id
                 JOIN tenants n ON n.id = t.tenant_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active",
            )
            .await?;
        let Some(row) = client.query_opt(&statement, &[&hash]).await? else {
            return Ok(None);
        };
        let tenant: Uuid = row.try_get(0)?;
        let user: Uuid = row.try_get(1)?;
        Ok(Some(PrincipalRow {
            tenant: TenantId::from_row(tenant),
            user: UserId::from_row(user),
            login: row.try_get(2)?,
            language: row.try_get(3)?,
            credential: Credential::Token {
                name: row.try_get(4)?,
            },
            grants: Vec::new(),
            narrowing: rights_from(row.try_get(5)?),
            access_version: row.try_get(6)?,
        }))
    }

    /// The live session whose cookie secret hashes to `secret_hash`, and
    /// its active user with what it holds.
    pub(crate) async fn principal_by_session(
        &self,
        secret_hash: Vec<u8>,
    ) -> Result<Option<PrincipalRow>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT s.tenant_id, u.id, u.login, u.language, s.id, s.csrf_token, s.created_at, s.last_seen_at,
                        n.access_version
                 FROM sessions s JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
                 JOIN tenants n ON n.id = s.tenant_id
                 WHERE s.secret_hash = $1 AND s.ended_at IS NULL AND u.active",
            )
            .await?;
        let Some(row) = client.query_opt(&statement, &[&secret_hash]).await? else {
            return Ok(None);
        };
        let tenant: Uuid = row.try_get(0)?;
        let user: Uuid = row.try_get(1)?;
        Ok(Some(PrincipalRow {
            tenant: TenantId::from_row(tenant),
            user: UserId::from_row(user),
            login: row.try_get(2)?,
            language: row.try_get(3)?,
            credential: Credential::Session {
                id: row.try_get(4)?,
                csrf_token: row.try_get(5)?,
                created_at: row.try_get(6)?,
                last_seen_at: row.try_get(7)?,
            },
            grants: Vec::new(),
            narrowing: None,
            access_version: row.try_get(8)?,
        }))
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

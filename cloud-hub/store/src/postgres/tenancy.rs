//! Tenants, sites, agents and API tokens in PostgreSQL: creation from the
//! command line (on a connection of its own), lookups for authentication
//! and the agent list (on the pool).

use super::{PgStore, is_unique_violation, to_u64};
use crate::tokens::{AGENT_TOKEN_PREFIX, API_TOKEN_PREFIX, hash_token, new_token};
use crate::{AgentAuth, AgentSummary, NewAgent, NewToken, StoreError, now_ms};
use crate::{SiteId, TenantId};
use mes_protocols::AgentId;
use tokio_postgres::{Client, Row};
use uuid::Uuid;

async fn tenant_id(client: &Client, slug: &str) -> Result<Uuid, StoreError> {
    client
        .query_opt("SELECT id FROM tenants WHERE slug = $1", &[&slug])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound {
            what: "tenant",
            name: slug.into(),
        })
}

/// Maps a unique violation of an insert to "exists already".
fn created(
    result: Result<u64, tokio_postgres::Error>,
    what: &'static str,
    name: &str,
) -> Result<(), StoreError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Exists {
            what,
            name: name.into(),
        }),
        Err(e) => Err(e.into()),
    }
}

impl PgStore {
    /// Creates a tenant with the short name `slug`.
    pub(crate) fn create_tenant(&self, slug: &str) -> Result<TenantId, StoreError> {
        self.blocking(async |client| {
            let id = Uuid::now_v7();
            let tx = client.transaction().await?;
            let result = tx
                .execute(
                    "INSERT INTO tenants (id, slug, created_at) VALUES ($1, $2, $3)",
                    &[&id, &slug, &now_ms()],
                )
                .await;
            created(result, "tenant", slug)?;
            super::people::seed_tenant_access(&tx, id).await?;
            tx.commit().await?;
            Ok(TenantId::from_row(id))
        })
    }

    /// The tenant with the short name `slug`.
    pub(crate) fn tenant_by_slug(&self, slug: &str) -> Result<TenantId, StoreError> {
        self.blocking(async |client| Ok(TenantId::from_row(tenant_id(client, slug).await?)))
    }

    /// Creates a site `slug` in tenant `tenant`.
    pub(crate) fn create_site(&self, tenant_slug: &str, slug: &str) -> Result<SiteId, StoreError> {
        self.blocking(async |client| {
            let tenant_id = tenant_id(client, tenant_slug).await?;
            let id = Uuid::now_v7();
            let result = client
                .execute(
                    "INSERT INTO sites (id, tenant_id, slug, created_at) VALUES ($1, $2, $3, $4)",
                    &[&id, &tenant_id, &slug, &now_ms()],
                )
                .await;
            created(result, "site", slug)?;
            Ok(SiteId::from_row(id))
        })
    }

    /// Creates an agent for `site` of `tenant` and returns its id and token.
    pub(crate) fn create_agent(
        &self,
        tenant_slug: &str,
        site: &str,
        name: &str,
    ) -> Result<NewAgent, StoreError> {
        self.blocking(async |client| {
            let tenant_id = tenant_id(client, tenant_slug).await?;
            let site_id: Uuid = client
                .query_opt(
                    "SELECT id FROM sites WHERE tenant_id = $1 AND slug = $2",
                    &[&tenant_id, &site],
                )
                .await?
                .map(|row| row.try_get(0))
                .transpose()?
                .ok_or_else(|| StoreError::NotFound {
                    what: "site",
                    name: site.into(),
                })?;
            let agent_id = AgentId::new_v7();
            let token = new_token(AGENT_TOKEN_PREFIX);
            client
                .execute(
                    "INSERT INTO agents (id, tenant_id, site_id, name, token_hash, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &agent_id.0,
                        &tenant_id,
                        &site_id,
                        &name,
                        &hash_token(&token),
                        &now_ms(),
                    ],
                )
                .await?;
            Ok(NewAgent { agent_id, token })
        })
    }

    /// Creates an API token of `tenant`'s service user (which holds the
    /// admin role unless an admin changed it).
    pub(crate) fn create_api_token(&self, tenant_slug: &str, name: &str) -> Result<NewToken, StoreError> {
        self.blocking(async |client| {
            let tenant_id = tenant_id(client, tenant_slug).await?;
            let token_id = Uuid::now_v7();
            let token = new_token(API_TOKEN_PREFIX);
            client
                .execute(
                    "INSERT INTO api_tokens (id, tenant_id, name, token_hash, created_at, user_id)
                     SELECT $1, $2, $3, $4, $5, id FROM users WHERE tenant_id = $2 AND login = $6",
                    &[
                        &token_id,
                        &tenant_id,
                        &name,
                        &hash_token(&token),
                        &now_ms(),
                        &crate::access::SERVICE_LOGIN,
                    ],
                )
                .await?;
            Ok(NewToken {
                token_id: token_id.to_string(),
                token,
            })
        })
    }

    /// The agent a bearer token belongs to, if any.
    pub(crate) async fn agent_by_token(&self, token: &str) -> Result<Option<AgentAuth>, StoreError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(
                "SELECT a.id, a.tenant_id, a.site_id, s.slug FROM agents a
                 JOIN sites s ON s.id = a.site_id WHERE a.token_hash = $1 AND a.disabled_at IS NULL",
            )
            .await?;
        let Some(row) = client.query_opt(&stmt, &[&hash_token(token)]).await? else {
            return Ok(None);
        };
        Ok(Some(AgentAuth {
            agent_id: AgentId(row.try_get(0)?),
            tenant_id: TenantId::from_row(row.try_get(1)?),
            site_id: SiteId::from_row(row.try_get(2)?),
            site: row.try_get(3)?,
        }))
    }

    /// The tenant an API token belongs to, if any.
    pub(crate) async fn tenant_by_api_token(&self, token: &str) -> Result<Option<TenantId>, StoreError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached("SELECT tenant_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .await?;
        let row = client.query_opt(&stmt, &[&hash_token(token)]).await?;
        Ok(row
            .map(|r| r.try_get::<_, Uuid>(0))
            .transpose()?
            .map(TenantId::from_row))
    }

    /// Every agent of `tenant_id` with its sync state.
    pub(crate) async fn list_agents(&self, tenant_id: TenantId) -> Result<Vec<AgentSummary>, StoreError> {
        let tenant_id = tenant_id.as_uuid();
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(
                "SELECT a.id, a.name, s.slug, a.last_contact_at, st.incarnation, COALESCE(st.acked_seq, 0),
                        a.events_received, a.unknown_kind_events,
                        (SELECT COUNT(*) FROM agent_streams x WHERE x.agent_id = a.id AND x.tenant_id = a.tenant_id),
                        (SELECT COALESCE(SUM(x.dropped_events), 0)::bigint FROM agent_streams x
                          WHERE x.agent_id = a.id AND x.tenant_id = a.tenant_id),
                        a.reported_dropped, a.reported_refused, a.reported_depth,
                        (SELECT COUNT(*) FROM agent_anomalies y WHERE y.agent_id = a.id AND y.tenant_id = a.tenant_id),
                        a.clock_offset_ms, a.clock_measured_at, a.clock_correction_ms, a.future_events,
                        a.disabled_at
                 FROM agents a
                 JOIN sites s ON s.id = a.site_id AND s.tenant_id = a.tenant_id
                 LEFT JOIN agent_streams st ON st.id = a.current_stream AND st.tenant_id = a.tenant_id
                 WHERE a.tenant_id = $1
                 ORDER BY s.slug COLLATE \"C\", a.name COLLATE \"C\", a.id",
            )
            .await?;
        let rows = client.query(&stmt, &[&tenant_id]).await?;
        rows.iter().map(summary).collect()
    }
}

fn summary(r: &Row) -> Result<AgentSummary, StoreError> {
    let count = |i: usize| -> Result<u64, StoreError> { Ok(to_u64(r.try_get::<_, i64>(i)?)) };
    Ok(AgentSummary {
        agent_id: r.try_get::<_, Uuid>(0)?.to_string(),
        name: r.try_get(1)?,
        site: r.try_get(2)?,
        last_contact_at: r.try_get(3)?,
        incarnation: r.try_get::<_, Option<Uuid>>(4)?.map(|u| u.to_string()),
        acked_seq: count(5)?,
        events_received: count(6)?,
        unknown_kind_events: count(7)?,
        incarnations: count(8)?,
        dropped_events: count(9)?,
        reported_dropped: count(10)?,
        reported_refused: count(11)?,
        reported_depth: count(12)?,
        anomalies: count(13)?,
        clock_offset_ms: r.try_get(14)?,
        clock_measured_at: r.try_get(15)?,
        clock_correction_ms: r.try_get(16)?,
        future_events: count(17)?,
        disabled_at: r.try_get(18)?,
    })
}

//! Tenants, sites, agents and API tokens in SQLite: creation from the
//! command line, lookups for authentication, and the agent list.

use super::SqliteStore;
use crate::tokens::{AGENT_TOKEN_PREFIX, API_TOKEN_PREFIX, hash_token, new_token};
use crate::{AgentAuth, AgentSummary, NewAgent, NewToken, StoreError, now_ms};
use crate::{SiteId, TenantId};
use mes_protocols::AgentId;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

fn tenant_id(conn: &Connection, slug: &str) -> Result<TenantId, StoreError> {
    conn.query_row("SELECT id FROM tenants WHERE slug = ?1", [slug], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            what: "tenant",
            name: slug.into(),
        })
}

impl SqliteStore {
    /// Creates a tenant with the short name `slug`.
    pub(crate) fn create_tenant(&self, slug: &str) -> Result<TenantId, StoreError> {
        self.write_blocking(|conn| {
            let id = TenantId::from_row(Uuid::now_v7());
            let tx = conn.transaction()?;
            match tx.execute(
                "INSERT INTO tenants (id, slug, created_at) VALUES (?1, ?2, ?3)",
                params![id, slug, now_ms()],
            ) {
                Ok(_) => {
                    super::people::seed_tenant_access(&tx, id)?;
                    tx.commit()?;
                    Ok(id)
                }
                Err(e) if is_unique_violation(&e) => Err(StoreError::Exists {
                    what: "tenant",
                    name: slug.into(),
                }),
                Err(e) => Err(e.into()),
            }
        })
    }

    /// The tenant with the short name `slug`.
    pub(crate) fn tenant_by_slug(&self, slug: &str) -> Result<TenantId, StoreError> {
        self.write_blocking(|conn| tenant_id(conn, slug))
    }

    /// Creates a site `slug` in tenant `tenant`.
    pub(crate) fn create_site(&self, tenant_slug: &str, slug: &str) -> Result<SiteId, StoreError> {
        self.write_blocking(|conn| {
            let tenant_id = tenant_id(conn, tenant_slug)?;
            let id = SiteId::from_row(Uuid::now_v7());
            match conn.execute(
                "INSERT INTO sites (id, tenant_id, slug, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, tenant_id, slug, now_ms()],
            ) {
                Ok(_) => Ok(id),
                Err(e) if is_unique_violation(&e) => Err(StoreError::Exists {
                    what: "site",
                    name: slug.into(),
                }),
                Err(e) => Err(e.into()),
            }
        })
    }

    /// Creates an agent for `site` of `tenant` and returns its id and token.
    pub(crate) fn create_agent(
        &self,
        tenant_slug: &str,
        site: &str,
        name: &str,
    ) -> Result<NewAgent, StoreError> {
        self.write_blocking(|conn| {
            let tenant_id = tenant_id(conn, tenant_slug)?;
            let site_id: String = conn
                .query_row("SELECT id FROM sites WHERE tenant_id = ?1 AND slug = ?2", params![tenant_id, site], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::NotFound { what: "site", name: site.into() })?;
            let agent_id = AgentId::new_v7();
            let token = new_token(AGENT_TOKEN_PREFIX);
            conn.execute(
                "INSERT INTO agents (id, tenant_id, site_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![agent_id.to_string(), tenant_id, site_id, name, hash_token(&token), now_ms()],
            )?;
            Ok(NewAgent { agent_id, token })
        })
    }

    /// Creates an API token of `tenant`'s service user (which holds the
    /// admin role unless an admin changed it).
    pub(crate) fn create_api_token(&self, tenant_slug: &str, name: &str) -> Result<NewToken, StoreError> {
        self.write_blocking(|conn| {
            let tenant_id = tenant_id(conn, tenant_slug)?;
            let token_id = Uuid::now_v7().to_string();
            let token = new_token(API_TOKEN_PREFIX);
            conn.execute(
                "INSERT INTO api_tokens (id, tenant_id, name, token_hash, created_at, user_id)
                 SELECT ?1, ?2, ?3, ?4, ?5, id FROM users WHERE tenant_id = ?2 AND login = ?6",
                params![
                    token_id,
                    tenant_id,
                    name,
                    hash_token(&token),
                    now_ms(),
                    crate::access::SERVICE_LOGIN
                ],
            )?;
            Ok(NewToken { token_id, token })
        })
    }

    /// The agent a bearer token belongs to, if any.
    pub(crate) async fn agent_by_token(&self, token: &str) -> Result<Option<AgentAuth>, StoreError> {
        let hash = hash_token(token);
        self.read(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT a.id, a.tenant_id, a.site_id, s.slug FROM agents a
                     JOIN sites s ON s.id = a.site_id WHERE a.token_hash = ?1 AND a.disabled_at IS NULL",
                )?
                .query_row([hash], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            Ok(row.and_then(|(id, tenant_id, site_id, site)| {
                Some(AgentAuth {
                    agent_id: id.parse().ok()?,
                    tenant_id,
                    site_id,
                    site,
                })
            }))
        })
        .await
    }

    /// The tenant an API token belongs to, if any.
    pub(crate) async fn tenant_by_api_token(&self, token: &str) -> Result<Option<TenantId>, StoreError> {
        let hash = hash_token(token);
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT tenant_id FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
                )?
                .query_row([hash], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    /// Every agent of `tenant_id` with its sync state.
    pub(crate) async fn list_agents(&self, tenant_id: TenantId) -> Result<Vec<AgentSummary>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT a.id, a.name, s.slug, a.last_contact_at, st.incarnation, COALESCE(st.acked_seq, 0),
                        a.events_received, a.unknown_kind_events,
                        (SELECT COUNT(*) FROM agent_streams x WHERE x.agent_id = a.id AND x.tenant_id = a.tenant_id),
                        (SELECT COALESCE(SUM(x.dropped_events), 0) FROM agent_streams x
                          WHERE x.agent_id = a.id AND x.tenant_id = a.tenant_id),
                        a.reported_dropped, a.reported_refused, a.reported_depth,
                        (SELECT COUNT(*) FROM agent_anomalies y WHERE y.agent_id = a.id AND y.tenant_id = a.tenant_id),
                        a.clock_offset_ms, a.clock_measured_at, a.clock_correction_ms, a.future_events,
                        a.disabled_at
                 FROM agents a
                 JOIN sites s ON s.id = a.site_id AND s.tenant_id = a.tenant_id
                 LEFT JOIN agent_streams st ON st.id = a.current_stream AND st.tenant_id = a.tenant_id
                 WHERE a.tenant_id = ?1
                 ORDER BY s.slug, a.name, a.id",
            )?;
            let rows = stmt.query_map([tenant_id], |r| {
                Ok(AgentSummary {
                    agent_id: r.get(0)?,
                    name: r.get(1)?,
                    site: r.get(2)?,
                    last_contact_at: r.get(3)?,
                    incarnation: r.get(4)?,
                    acked_seq: r.get(5)?,
                    events_received: r.get(6)?,
                    unknown_kind_events: r.get(7)?,
                    incarnations: r.get(8)?,
                    dropped_events: r.get(9)?,
                    reported_dropped: r.get(10)?,
                    reported_refused: r.get(11)?,
                    reported_depth: r.get(12)?,
                    anomalies: r.get(13)?,
                    clock_offset_ms: r.get(14)?,
                    clock_measured_at: r.get(15)?,
                    clock_correction_ms: r.get(16)?,
                    future_events: r.get(17)?,
                    disabled_at: r.get(18)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

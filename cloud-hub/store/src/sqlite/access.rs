//! Revoking API tokens and disabling agents in SQLite (the rule: a revoked
//! token or a disabled agent no longer authenticates; rows are kept).

use super::SqliteStore;
use crate::TenantId;
use crate::{StoreError, TokenSummary, now_ms};
use rusqlite::params;

impl SqliteStore {
    /// Revokes every valid API token named `name` of `tenant_id`; returns
    /// how many.
    pub(crate) async fn revoke_api_tokens(
        &self,
        tenant_id: TenantId,
        name: String,
    ) -> Result<u64, StoreError> {
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE api_tokens SET revoked_at = ?1 WHERE tenant_id = ?2 AND name = ?3 AND revoked_at IS NULL",
                params![now_ms(), tenant_id, name],
            )?;
            Ok(n as u64)
        })
        .await
    }

    /// Every API token of `tenant_id`, oldest first.
    pub(crate) async fn list_api_tokens(&self, tenant_id: TenantId) -> Result<Vec<TokenSummary>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT t.name, t.created_at, t.revoked_at, COALESCE(u.login, ''), t.rights
                 FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
                 WHERE t.tenant_id = ?1 ORDER BY t.created_at, t.id",
            )?;
            let rows = stmt.query_map([tenant_id], |r| {
                Ok(TokenSummary {
                    name: r.get(0)?,
                    created_at: r.get(1)?,
                    revoked_at: r.get(2)?,
                    user: r.get(3)?,
                    rights: r
                        .get::<_, Option<String>>(4)?
                        .map(|j| crate::rights::parse_stored(&j)),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    /// Disables (or enables) agent `agent_id` of `tenant_id`; false when
    /// the tenant has no such agent.
    pub(crate) async fn set_agent_disabled(
        &self,
        tenant_id: TenantId,
        agent_id: String,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        self.write(move |conn| {
            // SQLite counts every row the WHERE matched, changed or not.
            let matched = conn.execute(
                "UPDATE agents SET disabled_at = CASE WHEN ?3 THEN COALESCE(disabled_at, ?4) END
                 WHERE tenant_id = ?1 AND id = ?2",
                params![tenant_id, agent_id, disabled, now_ms()],
            )?;
            Ok(matched > 0)
        })
        .await
    }
}

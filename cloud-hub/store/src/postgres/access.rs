//! Revoking API tokens and disabling agents in PostgreSQL (the rule: a
//! revoked token or a disabled agent no longer authenticates; rows are
//! kept).

use super::PgStore;
use crate::TenantId;
use crate::{StoreError, TokenSummary, now_ms};
use uuid::Uuid;

impl PgStore {
    /// Revokes every valid API token named `name` of `tenant_id`; returns
    /// how many.
    pub(crate) async fn revoke_api_tokens(
        &self,
        tenant_id: TenantId,
        name: String,
    ) -> Result<u64, StoreError> {
        let tenant = tenant_id.as_uuid();
        let client = self.pool.get().await?;
        Ok(client
            .execute(
                "UPDATE api_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND name = $3 AND revoked_at IS NULL",
                &[&now_ms(), &tenant, &name],
            )
            .await?)
    }

    /// Every API token of `tenant_id`, oldest first.
    pub(crate) async fn list_api_tokens(&self, tenant_id: TenantId) -> Result<Vec<TokenSummary>, StoreError> {
        let tenant = tenant_id.as_uuid();
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT t.name, t.created_at, t.revoked_at, COALESCE(u.login, ''), t.rights
                 FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
                 WHERE t.tenant_id = $1 ORDER BY t.created_at, t.id",
                &[&tenant],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(TokenSummary {
                    name: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                    revoked_at: r.try_get(2)?,
                    user: r.try_get(3)?,
                    rights: super::people::rights_from(r.try_get(4)?),
                })
            })
            .collect()
    }

    /// Disables (or enables) agent `agent_id` of `tenant_id`; false when
    /// the tenant has no such agent.
    pub(crate) async fn set_agent_disabled(
        &self,
        tenant_id: TenantId,
        agent_id: String,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        let tenant = tenant_id.as_uuid();
        let Ok(agent) = agent_id.parse::<Uuid>() else {
            return Ok(false);
        };
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "UPDATE agents SET disabled_at = CASE WHEN $3 THEN COALESCE(disabled_at, $4) END
                 WHERE tenant_id = $1 AND id = $2",
                &[&tenant, &agent, &disabled, &now_ms()],
            )
            .await?;
        Ok(n > 0)
    }
}

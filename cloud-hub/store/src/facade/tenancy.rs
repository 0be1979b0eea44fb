//! Tenants, sites, agents and API tokens (the command line's and the
//! token lookups), and ingest.

use crate::batch::IngestBatch;
use crate::{
    AgentAuth, AgentSummary, IngestOutcome, IngestRejection, NewAgent, NewToken, SiteId, Store, StoreError,
    TenantId, TokenSummary,
};

impl Store {
    /// Creates a tenant with the short name `slug`; returns its id.
    /// Blocking (the command line's).
    pub fn create_tenant(&self, slug: &str) -> Result<TenantId, StoreError> {
        on_backend!(self, b => b.create_tenant(slug))
    }

    /// The tenant with the short name `slug` (the command line names
    /// tenants so); a name that is no tenant is [`StoreError::NotFound`].
    /// Blocking.
    pub fn tenant_by_slug(&self, slug: &str) -> Result<TenantId, StoreError> {
        on_backend!(self, b => b.tenant_by_slug(slug))
    }

    /// Creates a site `slug` in the tenant with the short name `tenant_slug`;
    /// returns its id. Blocking.
    pub fn create_site(&self, tenant_slug: &str, slug: &str) -> Result<SiteId, StoreError> {
        on_backend!(self, b => b.create_site(tenant_slug, slug))
    }

    /// Creates an agent for `site` of the tenant `tenant_slug` and returns its id and token.
    /// Blocking.
    pub fn create_agent(&self, tenant_slug: &str, site: &str, name: &str) -> Result<NewAgent, StoreError> {
        on_backend!(self, b => b.create_agent(tenant_slug, site, name))
    }

    /// Creates an API token that may act within the tenant `tenant_slug`. Blocking.
    pub fn create_api_token(&self, tenant_slug: &str, name: &str) -> Result<NewToken, StoreError> {
        on_backend!(self, b => b.create_api_token(tenant_slug, name))
    }

    /// The agent a bearer token belongs to, if any.
    pub async fn agent_by_token(&self, token: &str) -> Result<Option<AgentAuth>, StoreError> {
        on_backend!(self, b => b.agent_by_token(token).await)
    }

    /// The tenant an API token belongs to, if any.
    pub async fn tenant_by_api_token(&self, token: &str) -> Result<Option<TenantId>, StoreError> {
        on_backend!(self, b => b.tenant_by_api_token(token).await)
    }

    /// Revokes every valid API token named `name` of `tenant_id` (it no
    /// longer authenticates); returns how many.
    pub async fn revoke_api_tokens(&self, tenant_id: TenantId, name: String) -> Result<u64, StoreError> {
        on_backend!(self, b => b.revoke_api_tokens(tenant_id, name).await)
    }

    /// Every API token of `tenant_id` (names and dates, never the token).
    pub async fn list_api_tokens(&self, tenant_id: TenantId) -> Result<Vec<TokenSummary>, StoreError> {
        on_backend!(self, b => b.list_api_tokens(tenant_id).await)
    }

    /// Disables agent `agent_id` of `tenant_id` (its token no longer
    /// authenticates; its events and state are kept) or enables it again;
    /// false when the tenant has no such agent.
    pub async fn set_agent_disabled(
        &self,
        tenant_id: TenantId,
        agent_id: String,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        on_backend!(self, b => b.set_agent_disabled(tenant_id, agent_id, disabled).await)
    }

    /// Every agent of `tenant_id` with its sync state.
    pub async fn list_agents(&self, tenant_id: TenantId) -> Result<Vec<AgentSummary>, StoreError> {
        on_backend!(self, b => b.list_agents(tenant_id).await)
    }

    /// Stores `batch` from the authenticated agent `auth`: atomically (a
    /// rejected batch stores nothing), each event id at most once per
    /// tenant, and only when it continues what is stored for its
    /// incarnation (see `rules.rs`). Returns only after the commit.
    pub async fn ingest(
        &self,
        auth: AgentAuth,
        batch: IngestBatch,
    ) -> Result<Result<IngestOutcome, IngestRejection>, StoreError> {
        on_backend!(self, b => b.ingest(auth, batch).await)
    }
}

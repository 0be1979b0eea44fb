//! People, rights, sessions and audit (see `access.rs`): the principal
//! behind a token or session (cached per handle while its access version
//! holds), users, roles, groups, sessions, login attempts, the audit log.

use crate::{NewToken, Store, StoreError, TenantId, UserId, access, rights, tokens};

impl Store {
    /// The tenant with the short name `slug` (a login names its company
    /// so); [`StoreError::NotFound`] when there is none.
    pub async fn tenant_id_by_slug(&self, slug: String) -> Result<TenantId, StoreError> {
        on_backend!(self, b => b.tenant_id_by_slug(slug).await)
    }

    /// The active user an API token acts as, with the rights it holds.
    ///
    /// One query finds the live token by its hash and reads its access
    /// version; the principal comes from this handle's cache while that
    /// version is the one it was read at (every change to roles, groups,
    /// grants or a user's active flag advances the version of every live
    /// credential it reaches, in the change's transaction:
    /// `migrations/*/0010_credential_access_version.sql`), else from two
    /// more. So a revoked token, a disabled user or a changed role counts
    /// from the next request, on every hub sharing the database.
    pub async fn principal_by_api_token(
        &self,
        token: &str,
    ) -> Result<Option<access::PrincipalRow>, StoreError> {
        self.principal(access::CredentialHash::ApiToken(tokens::hash_token(token)))
            .await
    }

    /// The live browser session whose secret hashes to `secret_hash`, and
    /// its active user with the rights it holds (cached as for
    /// [`Store::principal_by_api_token`]; the session's last request is
    /// read on every call).
    pub async fn principal_by_session(
        &self,
        secret_hash: Vec<u8>,
    ) -> Result<Option<access::PrincipalRow>, StoreError> {
        self.principal(access::CredentialHash::Session(secret_hash)).await
    }

    async fn principal(
        &self,
        credential: access::CredentialHash,
    ) -> Result<Option<access::PrincipalRow>, StoreError> {
        let key = credential.clone();
        let Some(seen) = on_backend!(self, b => b.credential_seen(key).await)? else {
            self.1.forget(&credential);
            return Ok(None);
        };
        if let Some(row) = self.1.get(&credential, seen) {
            return Ok(Some(row));
        }
        let key = credential.clone();
        let Some(record) = on_backend!(self, b => b.principal_record(key).await)? else {
            self.1.forget(&credential);
            return Ok(None);
        };
        // Read after the record's version: never older than it.
        let (tenant, user) = (record.tenant, record.user);
        let grants = on_backend!(self, b => b.user_grants(tenant, user).await)?;
        let version = record.access_version;
        let row = record.with_grants(&grants);
        self.1.put(credential, version, row.clone());
        Ok(Some(row))
    }

    /// Creates a user ([`StoreError::Exists`] when the login is taken).
    pub async fn create_user(
        &self,
        tenant: TenantId,
        user: access::NewUser,
    ) -> Result<access::UserRow, StoreError> {
        on_backend!(self, b => b.create_user(tenant, user).await)
    }

    /// A user with what logging in needs (password hash, one-session flags).
    pub async fn login_user(
        &self,
        tenant: TenantId,
        login: String,
    ) -> Result<Option<access::LoginUser>, StoreError> {
        on_backend!(self, b => b.login_user(tenant, login).await)
    }

    /// Every user of the tenant, by login.
    pub async fn list_users(&self, tenant: TenantId) -> Result<Vec<access::UserRow>, StoreError> {
        on_backend!(self, b => b.list_users(tenant).await)
    }

    /// Changes a user's fields; `None` when there is no such user.
    pub async fn update_user(
        &self,
        tenant: TenantId,
        login: String,
        update: access::UserUpdate,
    ) -> Result<Option<access::UserRow>, StoreError> {
        on_backend!(self, b => b.update_user(tenant, login, update).await)
    }

    /// Sets a user's password (a PHC string); false when there is no such user.
    pub async fn set_password(
        &self,
        tenant: TenantId,
        login: String,
        phc: String,
    ) -> Result<bool, StoreError> {
        on_backend!(self, b => b.set_password(tenant, login, phc).await)
    }

    /// Replaces the roles granted directly to a user.
    pub async fn set_user_roles(
        &self,
        tenant: TenantId,
        login: String,
        grants: Vec<access::RoleGrant>,
    ) -> Result<access::UserRow, StoreError> {
        on_backend!(self, b => b.set_user_roles(tenant, login, grants).await)
    }

    /// Every role of the tenant, by name.
    pub async fn list_roles(&self, tenant: TenantId) -> Result<Vec<access::RoleRow>, StoreError> {
        on_backend!(self, b => b.list_roles(tenant).await)
    }

    /// Creates or replaces a role; the rights it had before, if it existed.
    pub async fn put_role(
        &self,
        tenant: TenantId,
        name: String,
        description: String,
        rights: Vec<rights::Right>,
    ) -> Result<Option<Vec<rights::Right>>, StoreError> {
        on_backend!(self, b => b.put_role(tenant, name, description, rights).await)
    }

    /// Every group of the tenant, by name.
    pub async fn list_groups(&self, tenant: TenantId) -> Result<Vec<access::GroupRow>, StoreError> {
        on_backend!(self, b => b.list_groups(tenant).await)
    }

    /// Creates or replaces a group (description, members, roles).
    pub async fn put_group(&self, tenant: TenantId, group: access::GroupRow) -> Result<(), StoreError> {
        on_backend!(self, b => b.put_group(tenant, group).await)
    }

    /// Creates an API token acting as user `login`, narrowed to `narrowing`.
    pub async fn create_user_token(
        &self,
        tenant: TenantId,
        login: String,
        name: String,
        narrowing: Option<Vec<rights::Right>>,
    ) -> Result<NewToken, StoreError> {
        on_backend!(self, b => b.create_user_token(tenant, login, name, narrowing).await)
    }

    /// Sets the tenant's one-session-per-user flag.
    pub async fn set_tenant_single_session(&self, tenant: TenantId, on: bool) -> Result<(), StoreError> {
        on_backend!(self, b => b.set_tenant_single_session(tenant, on).await)
    }

    /// The tenant's one-session-per-user flag.
    pub async fn tenant_single_session(&self, tenant: TenantId) -> Result<bool, StoreError> {
        on_backend!(self, b => b.tenant_single_session(tenant).await)
    }

    /// Starts a browser session; its public id.
    pub async fn create_session(
        &self,
        tenant: TenantId,
        session: access::NewSession,
    ) -> Result<uuid::Uuid, StoreError> {
        on_backend!(self, b => b.create_session(tenant, session).await)
    }

    /// Records a request of session `id` at `at` (unix ms).
    pub async fn touch_session(&self, tenant: TenantId, id: uuid::Uuid, at: i64) -> Result<(), StoreError> {
        on_backend!(self, b => b.touch_session(tenant, id, at).await)
    }

    /// The live sessions of the tenant, or of one user.
    pub async fn live_sessions(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
    ) -> Result<Vec<access::SessionRow>, StoreError> {
        on_backend!(self, b => b.live_sessions(tenant, user).await)
    }

    /// Ends sessions with `reason`; how many were live.
    pub async fn end_sessions(
        &self,
        tenant: TenantId,
        which: access::SessionsToEnd,
        reason: String,
        at: i64,
    ) -> Result<u64, StoreError> {
        on_backend!(self, b => b.end_sessions(tenant, which, reason, at).await)
    }

    /// Records a login attempt (and forgets those older than a day).
    pub async fn record_login_attempt(&self, attempt: access::LoginAttempt) -> Result<(), StoreError> {
        on_backend!(self, b => b.record_login_attempt(attempt).await)
    }

    /// Failed logins since `since` of an account (after its last success)
    /// and from an address.
    pub async fn login_failures(
        &self,
        tenant: String,
        login: String,
        address: String,
        since: i64,
    ) -> Result<access::LoginFailures, StoreError> {
        on_backend!(self, b => b.login_failures(tenant, login, address, since).await)
    }

    /// Appends a record to the audit log (which nothing updates or deletes).
    pub async fn append_audit(
        &self,
        tenant: TenantId,
        at: i64,
        entry: access::AuditEntry,
    ) -> Result<(), StoreError> {
        on_backend!(self, b => b.append_audit(tenant, at, entry).await)
    }

    /// Audit records matching `query`, newest first.
    pub async fn query_audit(
        &self,
        tenant: TenantId,
        query: access::AuditQuery,
    ) -> Result<Vec<access::AuditRow>, StoreError> {
        on_backend!(self, b => b.query_audit(tenant, query).await)
    }
}

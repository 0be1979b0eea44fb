//! Who a request is: an API token's user or a browser session's user,
//! with the rights their roles add up to. The guard finds the principal
//! once per request (`api/guard.rs`) and asks it "may you do this action
//! on this module at this site".
//!
//! Every request reads its credential's row (one lookup by the secret's
//! hash); what the user holds comes from the store's cache while that row's
//! access version is the one it was read at, and every change to roles,
//! groups, grants or the user advances it. So a changed role, a disabled
//! user, a revoked token or an ended session counts from the next request,
//! on every replica.

use super::config::AccessConfig;
use super::session;
use crate::store::access::{Credential, PrincipalRow, SessionsToEnd};
use crate::store::rights::{Right, RightSet, SiteScope};
use crate::store::{Store, StoreError, TenantId, UserId};
use axum::http::{HeaderMap, Method};
use std::sync::Arc;

/// How often a session's last request is written back, ms: once a minute
/// rather than on every request (a write), and at least four times per
/// idle timeout (the stored last request is behind the real one by up to
/// this much, and the session may end that much early).
fn touch_every_ms(idle_ms: i64) -> i64 {
    (idle_ms / 4).clamp(1, 60_000)
}

/// An authenticated person or service.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The tenant.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
    /// The user's login.
    pub login: String,
    /// The user's language, if set.
    pub language: Option<String>,
    /// How the request authenticated.
    pub credential: Credential,
    /// What the user (through this credential) holds.
    pub rights: Arc<RightSet>,
}

impl Principal {
    fn from_row(row: PrincipalRow) -> Principal {
        Principal {
            tenant: row.tenant,
            user: row.user,
            login: row.login,
            language: row.language,
            credential: row.credential,
            rights: row.rights,
        }
    }

    /// Where the principal holds `right` (`None`: nowhere).
    pub fn scope_of(&self, right: Right) -> Option<SiteScope> {
        self.rights.scope_of(right)
    }

    /// The session's public id, when the request came with a session.
    pub fn session_id(&self) -> Option<uuid::Uuid> {
        match &self.credential {
            Credential::Session { id, .. } => Some(*id),
            Credential::Token { .. } => None,
        }
    }

    /// How the audit log names the actor: (kind, name).
    pub fn actor(&self) -> (&'static str, String) {
        match &self.credential {
            Credential::Session { .. } => ("user", self.login.clone()),
            Credential::Token { name } => ("token", format!("{} ({name})", self.login)),
        }
    }
}

/// Why a request with credentials is not let in.
#[derive(Debug)]
pub enum Refusal {
    /// No valid credential (401).
    Unauthenticated,
    /// A browser session's change without its CSRF token (403).
    CsrfMissing,
    /// The database failed.
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

/// Finds the principal of a request: a bearer API token, else the session
/// cookie (checking its timeouts, and its CSRF token on methods that
/// change things).
pub async fn authenticate(
    store: &Store,
    config: &AccessConfig,
    headers: &HeaderMap,
    method: &Method,
    now: i64,
) -> Result<Principal, Refusal> {
    if let Some(token) = crate::auth::bearer(headers.get(axum::http::header::AUTHORIZATION)) {
        return match store.principal_by_api_token(token).await? {
            Some(row) => Ok(Principal::from_row(row)),
            None => Err(Refusal::Unauthenticated),
        };
    }
    let Some(secret) = session::secret_from(headers) else {
        return Err(Refusal::Unauthenticated);
    };
    let Some(row) = store.principal_by_session(session::secret_hash(&secret)).await? else {
        return Err(Refusal::Unauthenticated);
    };
    let Credential::Session {
        id,
        csrf_token,
        created_at,
        last_seen_at,
    } = &row.credential
    else {
        return Err(Refusal::Unauthenticated);
    };
    if let Some(reason) = session::expiry(
        *created_at,
        *last_seen_at,
        now,
        config.idle_ms(),
        config.absolute_ms(),
    ) {
        store
            .end_sessions(row.tenant, SessionsToEnd::One(*id), reason.into(), now)
            .await?;
        return Err(Refusal::Unauthenticated);
    }
    let changes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if changes && !session::csrf_matches(headers, csrf_token) {
        return Err(Refusal::CsrfMissing);
    }
    if now - *last_seen_at >= touch_every_ms(config.idle_ms()) {
        store.touch_session(row.tenant, *id, now).await?;
    }
    Ok(Principal::from_row(row))
}

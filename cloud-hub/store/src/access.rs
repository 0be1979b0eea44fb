//! What the store keeps about people and their rights, the same from
//! either backend: users, groups, roles, grants, API tokens of users,
//! browser sessions, login attempts and the audit log.
//!
//! Secrets never pass through here in the clear: passwords arrive as
//! argon2id PHC strings, token and session secrets as their SHA-256.

use crate::rights::{Grant, Right, RightSet};
use crate::{TenantId, UserId};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// What kind of account a user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    /// A person: logs in with a password.
    Person,
    /// A service account: API tokens only, no password.
    Service,
}

impl UserKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Person => "person",
            UserKind::Service => "service",
        }
    }

    /// From what is stored (anything unknown reads as a service account,
    /// which cannot log in).
    pub fn from_stored(text: &str) -> UserKind {
        if text == "person" {
            UserKind::Person
        } else {
            UserKind::Service
        }
    }
}

/// The login name of the service user that holds a tenant's tokens made
/// with `cloud-hub token add`, and tokens made before users existed.
pub const SERVICE_LOGIN: &str = "service";

/// A role granted, by name, at every site or only at some.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleGrant {
    /// The role's name.
    pub role: String,
    /// The sites (short names) the grant is limited to; absent: every site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sites: Option<Vec<String>>,
}

/// A user as the API shows it (never the password).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UserRow {
    /// The user's id (stable; the login may not change).
    #[serde(skip)]
    #[schemars(skip)]
    pub id: UserId,
    /// Login name, unique in the tenant.
    pub login: String,
    /// Name shown to others.
    pub display_name: String,
    /// Person or service account.
    pub kind: UserKind,
    /// Whether the user may log in and its tokens work.
    pub active: bool,
    /// At most one browser session at a time.
    pub single_session: bool,
    /// Console language (`en`, `zh`); absent: the browser's.
    pub language: Option<String>,
    /// Roles granted directly.
    pub roles: Vec<RoleGrant>,
    /// Groups the user is a member of.
    pub groups: Vec<String>,
    /// Created, unix ms.
    pub created_at: i64,
    /// Last changed, unix ms.
    pub updated_at: i64,
}

/// A new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub login: String,
    /// Name shown to others.
    pub display_name: String,
    /// Person or service account.
    pub kind: UserKind,
    /// The password's PHC string (persons).
    pub password_phc: Option<String>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// New display name.
    pub display_name: Option<String>,
    /// New active flag.
    pub active: Option<bool>,
    /// New one-session flag.
    pub single_session: Option<bool>,
    /// New language (`Some(None)`: the browser's).
    pub language: Option<Option<String>>,
}

/// What a login needs of a user.
#[derive(Debug, Clone)]
pub struct LoginUser {
    /// The user.
    pub user: UserRow,
    /// The password's PHC string, if the user has one.
    pub password_phc: Option<String>,
    /// Whether the tenant allows one session per user only.
    pub tenant_single_session: bool,
}

/// A role as stored.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RoleRow {
    /// The role's name, unique in the tenant.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its rights.
    pub rights: Vec<Right>,
    /// Last changed, unix ms.
    pub updated_at: i64,
}

/// A group as stored.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GroupRow {
    /// The group's name, unique in the tenant.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Logins of its members.
    pub members: Vec<String>,
    /// Roles its members get.
    pub roles: Vec<RoleGrant>,
}

/// How a request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API token, by its name.
    Token {
        /// The token's name.
        name: String,
    },
    /// A browser session, by its public id.
    Session {
        /// The session's public id.
        id: Uuid,
        /// The CSRF token changes must carry.
        csrf_token: String,
        /// Created, unix ms.
        created_at: i64,
        /// Last request, unix ms.
        last_seen_at: i64,
    },
}

/// Who a request is: the user, the tenant, what they hold.
#[derive(Debug, Clone)]
pub struct PrincipalRow {
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
    /// What the user's roles (directly and through groups) add up to,
    /// narrowed by a token's narrowing.
    pub rights: Arc<RightSet>,
}

/// A browser session as listed (never its secret).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SessionRow {
    /// Public id (to end it by).
    pub id: Uuid,
    /// The user's login.
    pub login: String,
    /// Where it logged in from.
    pub address: String,
    /// The browser's user agent.
    pub user_agent: String,
    /// Created, unix ms.
    pub created_at: i64,
    /// Last request, unix ms.
    pub last_seen_at: i64,
}

/// A new browser session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The user.
    pub user: UserId,
    /// SHA-256 of the cookie's secret.
    pub secret_hash: Vec<u8>,
    /// The CSRF token.
    pub csrf_token: String,
    /// Where from.
    pub address: String,
    /// The browser's user agent.
    pub user_agent: String,
    /// Now, unix ms.
    pub at: i64,
}

/// Which sessions to end.
#[derive(Debug, Clone)]
pub enum SessionsToEnd {
    /// One session (of any user of the tenant), by public id.
    One(Uuid),
    /// Every live session of a user, except perhaps one.
    OfUser {
        /// The user.
        user: UserId,
        /// A session to keep (the caller's own).
        except: Option<Uuid>,
    },
}

/// One login attempt, for rate limiting.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// The tenant's short name as typed.
    pub tenant: String,
    /// The login as typed, lower case.
    pub login: String,
    /// The source address.
    pub address: String,
    /// When, unix ms.
    pub at: i64,
    /// Whether it succeeded.
    pub succeeded: bool,
}

/// Failed logins since a moment, for rate limiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    /// Failures of this account since its last success (within the window).
    pub account: u32,
    /// The latest of them, unix ms.
    pub account_last_at: Option<i64>,
    /// Failures from this address (any account) within the window.
    pub address: u32,
    /// The latest of them, unix ms.
    pub address_last_at: Option<i64>,
}

/// One audit record to append.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    /// `user`, `token`, `agent`, `anonymous` or `cli`.
    pub actor_kind: String,
    /// Login, token name or agent id.
    pub actor: String,
    /// Source address.
    pub address: String,
    /// User agent.
    pub user_agent: String,
    /// What was done: `POST /api/v1/materials`, `login`, `logout`, ...
    pub action: String,
    /// The kind of object acted on (`material`), if any.
    pub object_kind: Option<String>,
    /// Its code, if any.
    pub object_code: Option<String>,
    /// `ok`, `refused` or `failed`.
    pub outcome: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The object before (changes of master data and orders).
    pub before: Option<serde_json::Value>,
    /// The object after.
    pub after: Option<serde_json::Value>,
    /// Anything else worth keeping (never a secret).
    pub detail: Option<String>,
}

/// One audit record as read back.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AuditRow {
    /// Its number (increasing; page with `after`).
    pub id: i64,
    /// When, unix ms.
    pub at: i64,
    /// The record.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Which audit records to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this actor (login, token name or agent id).
    pub actor: Option<String>,
    /// Only actions containing this text.
    pub action: Option<String>,
    /// Only this object kind.
    pub object_kind: Option<String>,
    /// Only this object code.
    pub object_code: Option<String>,
    /// From this moment, unix ms (inclusive).
    pub from: Option<i64>,
    /// Before this moment, unix ms.
    pub to: Option<i64>,
    /// Records numbered below this one (the previous page's last); newest first.
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: usize,
}

/// A request's credential, by the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum CredentialHash {
    /// A user's API token.
    ApiToken(Vec<u8>),
    /// A browser session's cookie.
    Session(Vec<u8>),
}

/// What the per-request lookup reads of a live credential: its access
/// version (see `migrations/*/0010_credential_access_version.sql`) and a
/// session's last request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CredentialSeen {
    /// The credential's access version.
    pub access_version: i64,
    /// A session's last request, unix ms (`None` for a token).
    pub last_seen_at: Option<i64>,
}

/// A principal as read from the database, before its rights are added up.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalRecord {
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
    /// A token's narrowing of the user's rights (`None`: none).
    pub narrowing: Option<Vec<Right>>,
    /// The credential's access version, read in the same statement.
    pub access_version: i64,
}

impl PrincipalRecord {
    /// The principal with the rights `grants` add up to.
    pub(crate) fn with_grants(self, grants: &[Grant]) -> PrincipalRow {
        PrincipalRow {
            tenant: self.tenant,
            user: self.user,
            login: self.login,
            language: self.language,
            credential: self.credential,
            rights: Arc::new(RightSet::from_grants(grants, self.narrowing.as_deref())),
        }
    }
}

/// Principals by credential, each as read at the credential's access
/// version: good while the credential's row still has that version (every
/// change to what a principal is advances it in its own transaction), so
/// a request whose credential is cached reads one row by the credential's
/// hash and nothing else. Bounded: when full it is emptied (a miss costs
/// two queries).
#[derive(Debug, Default)]
pub(crate) struct PrincipalCache {
    entries: std::sync::Mutex<HashMap<CredentialHash, (i64, PrincipalRow)>>,
}

/// Most credentials a hub keeps principals of.
const PRINCIPAL_CACHE_MAX: usize = 10_000;

impl PrincipalCache {
    /// The principal of `credential` if it was read at the version `seen`
    /// has, with a session's last request as `seen` says.
    pub(crate) fn get(&self, credential: &CredentialHash, seen: CredentialSeen) -> Option<PrincipalRow> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (version, row) = entries.get(credential)?;
        if *version != seen.access_version {
            return None;
        }
        let mut row = row.clone();
        if let (Credential::Session { last_seen_at, .. }, Some(seen_at)) =
            (&mut row.credential, seen.last_seen_at)
        {
            *last_seen_at = seen_at;
        }
        Some(row)
    }

    /// Keeps the principal of `credential`, read at `version`.
    pub(crate) fn put(&self, credential: CredentialHash, version: i64, row: PrincipalRow) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= PRINCIPAL_CACHE_MAX {
            entries.clear();
        }
        entries.insert(credential, (version, row));
    }

    /// Forgets `credential` (revoked, ended or unknown).
    pub(crate) fn forget(&self, credential: &CredentialHash) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(credential);
    }
}

//! The tenant and the site as types.
//!
//! A [`TenantId`] can only be made inside this crate, from a row the
//! database holds: by authenticating a token (an agent's or an API
//! token's), by creating a tenant, or by looking one up by its short name
//! for the command line ([`crate::Store::tenant_by_slug`]). So a service
//! that takes a `TenantId` holds a tenant that exists, and a query cannot
//! be handed a tenant someone typed: the walls between tenants are kept by
//! the compiler, not by discipline. A name that is no tenant is an error
//! ([`crate::StoreError::NotFound`]), never an empty answer.

use std::fmt;
use uuid::Uuid;

/// A tenant that exists (see the module's documentation for who may make
/// one). Cheap to copy; shown as its uuid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Uuid);

impl TenantId {
    /// A tenant id read from a row of this database.
    pub(crate) fn from_row(id: Uuid) -> TenantId {
        TenantId(id)
    }

    /// The id as a uuid.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0.hyphenated())
    }
}

impl serde::Serialize for TenantId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.hyphenated())
    }
}

/// SQLite keeps tenant ids as text (the hyphenated uuid).
impl rusqlite::ToSql for TenantId {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Owned(rusqlite::types::Value::Text(
            self.0.hyphenated().to_string(),
        )))
    }
}

/// A site of a tenant, as authenticated with an agent's token. Shown as
/// its uuid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteId(Uuid);

impl SiteId {
    /// A site id read from a row of this database.
    pub(crate) fn from_row(id: Uuid) -> SiteId {
        SiteId(id)
    }

    /// The id as a uuid.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SiteId({})", self.0.hyphenated())
    }
}

impl rusqlite::ToSql for SiteId {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Owned(rusqlite::types::Value::Text(
            self.0.hyphenated().to_string(),
        )))
    }
}

impl From<TenantId> for rusqlite::types::Value {
    fn from(id: TenantId) -> Self {
        rusqlite::types::Value::Text(id.0.hyphenated().to_string())
    }
}

/// Read back from SQLite's text column; anything but a uuid is an error.
impl rusqlite::types::FromSql for TenantId {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        Uuid::parse_str(text)
            .map(TenantId)
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

impl From<SiteId> for rusqlite::types::Value {
    fn from(id: SiteId) -> Self {
        rusqlite::types::Value::Text(id.0.hyphenated().to_string())
    }
}

/// Read back from SQLite's text column; anything but a uuid is an error.
impl rusqlite::types::FromSql for SiteId {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        Uuid::parse_str(text)
            .map(SiteId)
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

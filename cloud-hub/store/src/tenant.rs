//! The tenant and the site as types.
//!
//! A [`TenantId`] can only be made inside this crate, from a row the
//! database holds: by authenticating a token (an agent's or an API
//! token's) or a session, by creating a tenant, or by looking one up by
//! its short name (for the command line, [`crate::Store::tenant_by_slug`],
//! and a login, which names its company). So a service
//! that takes a `TenantId` holds a tenant that exists, and a query cannot
//! be handed a tenant someone typed: the walls between tenants are kept by
//! the compiler, not by discipline. A name that is no tenant is an error
//! ([`crate::StoreError::NotFound`]), never an empty answer.

use std::fmt;
use uuid::Uuid;

/// Declares an id type that only this crate makes: from a uuid read from a
/// row (`from_row`), shown and serialised as the hyphenated uuid, kept by
/// SQLite as that text.
macro_rules! stored_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// An id read from a row of this database.
            pub(crate) fn from_row(id: Uuid) -> $name {
                $name(id)
            }

            /// The id as a uuid.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0.hyphenated())
            }
        }

        impl From<$name> for rusqlite::types::Value {
            fn from(id: $name) -> Self {
                rusqlite::types::Value::Text(id.0.hyphenated().to_string())
            }
        }

        /// SQLite keeps the id as text (the hyphenated uuid).
        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::Owned((*self).into()))
            }
        }

        /// Read back from SQLite's text column; anything but a uuid is an error.
        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                Uuid::parse_str(value.as_str()?)
                    .map($name)
                    .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

stored_id!(
    /// A tenant that exists (see the module's documentation for who may
    /// make one). Cheap to copy; shown as its uuid.
    TenantId
);

stored_id!(
    /// A site of a tenant, as authenticated with an agent's token. Shown as
    /// its uuid.
    SiteId
);

stored_id!(
    /// A user of a tenant (a person or a service account). Shown as its
    /// uuid; the API names users by login.
    UserId
);

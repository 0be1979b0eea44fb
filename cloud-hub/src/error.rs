//! The hub's one error type at the feature boundary. Every feature service
//! (master data, production, inventory, costing, planning, reports,
//! machines, projection) answers with [`HubError`]; the API maps it to a
//! status and the error JSON in one place (`api/error.rs`).

use crate::store::StoreError;
use mes_protocols::FieldError;

/// Why a hub operation failed, whichever feature answered: the one error
/// type at the boundary between the feature services and the API (which
/// maps each variant to one status in `api/error.rs`).
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The record is not valid; names the field.
    #[error("{0}")]
    Invalid(FieldError),
    /// No such record in the tenant.
    #[error("{kind} `{code}` not found")]
    NotFound {
        /// The kind.
        kind: &'static str,
        /// The code.
        code: String,
    },
    /// A record with this code exists already (perhaps archived).
    #[error("{kind} `{code}` exists already")]
    Exists {
        /// The kind.
        kind: &'static str,
        /// The code.
        code: String,
    },
    /// The record changed since the version the caller read.
    #[error("{kind} `{code}` is at version {found}, not {expected}")]
    VersionConflict {
        /// The kind.
        kind: &'static str,
        /// The code.
        code: String,
        /// The version the caller named.
        expected: i64,
        /// The stored version.
        found: i64,
    },
    /// The action does not apply to the record in its current state.
    #[error("{kind} `{code}`: {reason}")]
    InvalidState {
        /// The kind.
        kind: &'static str,
        /// The code.
        code: String,
        /// Why, in the user's words.
        reason: String,
    },
    /// A stored document no longer reads as its kind.
    #[error("stored {kind} `{code}` cannot be read: {reason}")]
    Unreadable {
        /// The kind.
        kind: &'static str,
        /// The code.
        code: String,
        /// Why.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

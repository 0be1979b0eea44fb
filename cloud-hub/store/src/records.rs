//! Master-data records as the store keeps them: one JSON document per
//! (tenant, kind, code), with the site it belongs to (if any), an archived
//! flag and a version.
//!
//! Why documents and not one table per kind: a small factory's master data
//! is small (thousands of rows, not millions), its shape grows with every
//! customer, and both backends must behave the same. The typed layer
//! (`crate::masterdata::records`) validates every document before it is
//! written and checks its references, so the store only persists and finds
//! them. What must be fast at volume (the event log, the stock ledger) has
//! tables of its own.
//!
//! Versions come from one counter per tenant, incremented by every write,
//! so "everything changed after version N" is one index range: the
//! downlink's change cursor.

use crate::StoreError;
use serde_json::Value;

/// One stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    /// The kind (`material`, `production_order`, …).
    pub kind: String,
    /// Its code, unique per tenant and kind.
    pub code: String,
    /// The site it belongs to, for records that belong to one.
    pub site: Option<String>,
    /// The document.
    pub body: Value,
    /// Whether it was archived (kept for history, refused as a new reference).
    pub archived: bool,
    /// The tenant's version counter at its last write.
    pub version: i64,
    /// Unix ms of its creation.
    pub created_at: i64,
    /// Unix ms of its last write.
    pub updated_at: i64,
}

/// What a write expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Nothing: the write creates the record ([`StoreError::Exists`](super::StoreError) otherwise).
    Absent,
    /// The record, at this version if given
    /// ([`StoreError::NotFound`](super::StoreError) or
    /// [`StoreError::VersionConflict`](super::StoreError) otherwise).
    Present(Option<i64>),
    /// Either: create or replace (imports).
    Any,
}

/// One record to write.
#[derive(Debug, Clone)]
pub struct RecordWrite {
    /// The kind.
    pub kind: String,
    /// The code.
    pub code: String,
    /// The site it belongs to.
    pub site: Option<String>,
    /// The new document.
    pub body: Value,
    /// Whether it is archived after the write.
    pub archived: bool,
    /// What the write expects to find.
    pub expect: Expect,
}

/// Which records of one kind a list returns, in code order.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    /// Only codes after this one (the previous page's last code).
    pub after: Option<String>,
    /// At most this many.
    pub limit: usize,
    /// Archived ones too (by default only active ones).
    pub include_archived: bool,
    /// Only records of this site.
    pub site: Option<String>,
    /// Only records whose top-level text field equals the value
    /// (`("status", "released")`); field names come from the typed layer's
    /// allow-list, never from the request.
    pub equals: Vec<(&'static str, String)>,
}

/// The SQLite or PostgreSQL expression extracting top-level text field
/// `field` of the body. `field` is one of the typed layer's static names,
/// checked here to be a plain identifier so it can never inject SQL.
pub(crate) fn checked_field(field: &str) -> &str {
    assert!(
        !field.is_empty() && field.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "filter field names are static identifiers"
    );
    field
}

/// Whether write `w` may go ahead given the stored record's `(version,
/// created_at)` (None: no record), and the creation instant the written
/// row keeps (`now` for a new one). The one place both backends ask.
pub(crate) fn judge_write(
    w: &RecordWrite,
    existing: Option<(i64, i64)>,
    now: i64,
) -> Result<i64, StoreError> {
    match (w.expect, existing) {
        (Expect::Absent, Some(_)) => Err(StoreError::Exists {
            what: "record",
            name: format!("{} {}", w.kind, w.code),
        }),
        (Expect::Present(_), None) => Err(StoreError::NotFound {
            what: "record",
            name: format!("{} {}", w.kind, w.code),
        }),
        (Expect::Present(Some(expected)), Some((found, _))) if expected != found => {
            Err(StoreError::VersionConflict {
                what: w.kind.clone(),
                name: w.code.clone(),
                expected,
                found,
            })
        }
        (_, Some((_, created))) => Ok(created),
        (_, None) => Ok(now),
    }
}

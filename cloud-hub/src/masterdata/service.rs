//! Checked writes and typed reads of master-data records of one tenant.
//!
//! Every write checks the record on its own ([`MasterKind::check`]), then
//! that everything it refers to exists in the tenant and is not archived
//! (records written in the same call count as existing), then stores it.
//! References are checked before the write transaction, not inside it: a
//! record archived in the same instant as a new reference to it is
//! possible and harmless (archived records stay readable).

use super::kind::{MasterKind, Reference, SITE};
use crate::error::HubError;
use crate::store::TenantId;
use crate::store::{Expect, RecordQuery, RecordRow, RecordWrite, Store, StoreError};
use mes_protocols::FieldError;
use std::collections::HashSet;

/// A record as stored, with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    /// The record.
    pub record: T,
    /// Whether it is archived.
    pub archived: bool,
    /// The tenant's version at its last write.
    pub version: i64,
    /// Unix ms of its creation.
    pub created_at: i64,
    /// Unix ms of its last write.
    pub updated_at: i64,
}

/// Reads a stored row as `T`.
pub fn decode<T: MasterKind>(row: RecordRow) -> Result<Stored<T>, HubError> {
    let record = serde_json::from_value(row.body).map_err(|e| HubError::Unreadable {
        kind: T::KIND,
        code: row.code.clone(),
        reason: e.to_string(),
    })?;
    Ok(Stored {
        record,
        archived: row.archived,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn store_error(kind: &'static str, code: &str, e: StoreError) -> HubError {
    match e {
        StoreError::Exists { .. } => HubError::Exists {
            kind,
            code: code.into(),
        },
        StoreError::NotFound { .. } => HubError::NotFound {
            kind,
            code: code.into(),
        },
        StoreError::VersionConflict { expected, found, .. } => HubError::VersionConflict {
            kind,
            code: code.into(),
            expected,
            found,
        },
        other => HubError::Store(other),
    }
}

/// A checked write waiting to be stored with others.
#[derive(Debug, Clone)]
pub struct PendingWrite {
    write: RecordWrite,
    kind: &'static str,
    references: Vec<Reference>,
}

impl PendingWrite {
    /// Checks `record` on its own and prepares its write.
    pub fn new<T: MasterKind>(record: &T, archived: bool, expect: Expect) -> Result<Self, HubError> {
        record.check().map_err(HubError::Invalid)?;
        let body = serde_json::to_value(record).map_err(|e| HubError::Unreadable {
            kind: T::KIND,
            code: record.code().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            write: RecordWrite {
                kind: T::KIND.into(),
                code: record.code().to_string(),
                site: record.site().map(ToString::to_string),
                body,
                archived,
                expect,
            },
            kind: T::KIND,
            references: record.references(),
        })
    }
}

/// Checks that every reference of `writes` exists (in the store, active,
/// or among `writes`), then stores them all in one transaction.
pub async fn write_all(
    store: &Store,
    tenant: TenantId,
    writes: Vec<PendingWrite>,
) -> Result<Vec<RecordRow>, HubError> {
    let written: HashSet<(&str, &str)> = writes.iter().map(|w| (w.kind, w.write.code.as_str())).collect();
    let mut known: HashSet<(&'static str, String)> = HashSet::new();
    for w in &writes {
        for r in &w.references {
            if written.contains(&(r.kind, r.code.as_str())) || known.contains(&(r.kind, r.code.to_string())) {
                continue;
            }
            let exists = if r.kind == SITE {
                store
                    .site_exists(tenant, r.code.to_string())
                    .await
                    .map_err(HubError::Store)?
            } else {
                store
                    .get_record(tenant, r.kind, r.code.to_string())
                    .await
                    .map_err(HubError::Store)?
                    .is_some_and(|row| !row.archived)
            };
            if !exists {
                return Err(HubError::Invalid(FieldError::new(
                    r.field.clone(),
                    format!(
                        "{} `{}` does not exist (or is archived)",
                        r.kind.replace('_', " "),
                        r.code
                    ),
                )));
            }
            known.insert((r.kind, r.code.to_string()));
        }
    }
    let kinds: Vec<&'static str> = writes.iter().map(|w| w.kind).collect();
    store
        .write_records(tenant, writes.into_iter().map(|w| w.write).collect())
        .await
        .map_err(|e| {
            // Store errors name the record as "<kind> <code>".
            let named = match &e {
                StoreError::Exists { name, .. } | StoreError::NotFound { name, .. } => Some(name.clone()),
                StoreError::VersionConflict { what, name, .. } => Some(format!("{what} {name}")),
                _ => None,
            };
            let Some((kind, code)) = named.as_deref().and_then(|n| n.split_once(' ')) else {
                return HubError::Store(e);
            };
            match kinds.iter().find(|k| **k == kind) {
                Some(kind) => store_error(kind, code, e),
                None => HubError::Store(e),
            }
        })
}

/// Creates `record`.
pub async fn create<T: MasterKind>(
    store: &Store,
    tenant: TenantId,
    record: T,
) -> Result<Stored<T>, HubError> {
    record.check_create().map_err(HubError::Invalid)?;
    let write = PendingWrite::new(&record, false, Expect::Absent)?;
    let row = write_all(store, tenant, vec![write]).await?.remove(0);
    decode(row)
}

/// Reads record `code`, archived or not.
pub async fn get<T: MasterKind>(store: &Store, tenant: TenantId, code: &str) -> Result<Stored<T>, HubError> {
    let row = store
        .get_record(tenant, T::KIND, code.to_string())
        .await
        .map_err(HubError::Store)?
        .ok_or_else(|| HubError::NotFound {
            kind: T::KIND,
            code: code.into(),
        })?;
    decode(row)
}

/// Lists records by `query`.
pub async fn list<T: MasterKind>(
    store: &Store,
    tenant: TenantId,
    query: RecordQuery,
) -> Result<Vec<Stored<T>>, HubError> {
    store
        .list_records(tenant, T::KIND, query)
        .await
        .map_err(HubError::Store)?
        .into_iter()
        .map(decode)
        .collect()
}

/// Page size [`list_all`] reads with.
const ALL_PAGE: usize = 1000;

/// Every record matching `query`, read a page at a time (the query's
/// `after` and `limit` are the paging's own and are ignored).
pub async fn list_all<T: MasterKind>(
    store: &Store,
    tenant: TenantId,
    query: RecordQuery,
) -> Result<Vec<Stored<T>>, HubError> {
    let mut all: Vec<Stored<T>> = Vec::new();
    loop {
        let page = list::<T>(
            store,
            tenant,
            RecordQuery {
                after: all.last().map(|s| s.record.code().to_string()),
                limit: ALL_PAGE,
                ..query.clone()
            },
        )
        .await?;
        let full = page.len() == ALL_PAGE;
        all.extend(page);
        if !full {
            return Ok(all);
        }
    }
}

/// Every record of kind `T`, archived ones too (old events and rows still
/// name them).
pub async fn all_records<T: MasterKind>(store: &Store, tenant: TenantId) -> Result<Vec<T>, HubError> {
    let query = RecordQuery {
        include_archived: true,
        ..RecordQuery::default()
    };
    Ok(list_all::<T>(store, tenant, query)
        .await?
        .into_iter()
        .map(|s| s.record)
        .collect())
}

/// Replaces record `code` with `record` (same code), if it is at
/// `if_version` when given.
pub async fn update<T: MasterKind>(
    store: &Store,
    tenant: TenantId,
    code: &str,
    record: T,
    if_version: Option<i64>,
) -> Result<Stored<T>, HubError> {
    if record.code().as_str() != code {
        return Err(HubError::Invalid(FieldError::new(
            "code",
            format!(
                "is `{}` but the URL names `{code}`; a code cannot be changed",
                record.code()
            ),
        )));
    }
    let old = get::<T>(store, tenant, code).await?;
    record.check_update(&old.record).map_err(HubError::Invalid)?;
    let expect = Expect::Present(Some(if_version.unwrap_or(old.version)));
    let write = PendingWrite::new(&record, old.archived, expect)?;
    let row = write_all(store, tenant, vec![write]).await?.remove(0);
    decode(row)
}

/// Writes `record` as a lifecycle action decided it (status changes that
/// [`update`] refuses), if still at `version`.
pub async fn replace_checked<T: MasterKind>(
    store: &Store,
    tenant: TenantId,
    record: T,
    version: i64,
) -> Result<Stored<T>, HubError> {
    let write = PendingWrite::new(&record, false, Expect::Present(Some(version)))?;
    let row = write_all(store, tenant, vec![write]).await?.remove(0);
    decode(row)
}

/// Archives (or restores) record `code`.
pub async fn set_archived<T: MasterKind>(
    store: &Store,
    tenant: TenantId,
    code: &str,
    archived: bool,
) -> Result<Stored<T>, HubError> {
    let old = get::<T>(store, tenant, code).await?;
    let write = PendingWrite::new(&old.record, archived, Expect::Present(Some(old.version)))?;
    // Archiving never adds a reference; restoring checks them again.
    let write = if archived {
        PendingWrite {
            references: Vec::new(),
            ..write
        }
    } else {
        write
    };
    let row = write_all(store, tenant, vec![write]).await?.remove(0);
    decode(row)
}

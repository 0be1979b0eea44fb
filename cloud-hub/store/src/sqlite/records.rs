//! Master-data records in SQLite (see `store/records.rs`).

use super::SqliteStore;
use crate::TenantId;
use crate::records::{RecordQuery, RecordRow, RecordWrite, checked_field};
use crate::{StoreError, now_ms};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params, params_from_iter};

const COLUMNS: &str = "kind, code, site, body, archived, version, created_at, updated_at";

fn row_to_record(row: &Row<'_>) -> rusqlite::Result<RecordRow> {
    let body: String = row.get(3)?;
    Ok(RecordRow {
        kind: row.get(0)?,
        code: row.get(1)?,
        site: row.get(2)?,
        body: serde_json::from_str(&body).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        archived: row.get(4)?,
        version: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

/// Advances the tenant's version counter and returns the new value.
fn next_version(tx: &Transaction<'_>, tenant: &TenantId) -> Result<i64, StoreError> {
    Ok(tx.query_row(
        "INSERT INTO tenant_versions (tenant_id, version) VALUES (?1, 1)
         ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1
         RETURNING version",
        [tenant],
        |r| r.get(0),
    )?)
}

fn get(
    conn: &Connection,
    tenant: &TenantId,
    kind: &str,
    code: &str,
) -> Result<Option<RecordRow>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM master_records WHERE tenant_id = ?1 AND kind = ?2 AND code = ?3"),
            params![tenant, kind, code],
            row_to_record,
        )
        .optional()?)
}

fn write_one(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    w: RecordWrite,
    now: i64,
) -> Result<RecordRow, StoreError> {
    let existing: Option<(i64, i64)> = tx
        .query_row(
            "SELECT version, created_at FROM master_records WHERE tenant_id = ?1 AND kind = ?2 AND code = ?3",
            params![tenant, w.kind, w.code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let created_at = crate::records::judge_write(&w, existing, now)?;
    let version = next_version(tx, tenant)?;
    let body = w.body.to_string();
    tx.execute(
        "INSERT INTO master_records (tenant_id, kind, code, site, body, archived, version, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (tenant_id, kind, code) DO UPDATE SET
             site = excluded.site, body = excluded.body, archived = excluded.archived,
             version = excluded.version, updated_at = excluded.updated_at",
        params![tenant, w.kind, w.code, w.site, body, w.archived, version, created_at, now],
    )?;
    Ok(RecordRow {
        kind: w.kind,
        code: w.code,
        site: w.site,
        body: w.body,
        archived: w.archived,
        version,
        created_at,
        updated_at: now,
    })
}

impl SqliteStore {
    /// Writes `writes` in one transaction: all or none.
    pub(crate) async fn write_records(
        &self,
        tenant: TenantId,
        writes: Vec<RecordWrite>,
    ) -> Result<Vec<RecordRow>, StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let rows = writes
                .into_iter()
                .map(|w| write_one(&tx, &tenant, w, now))
                .collect::<Result<Vec<_>, _>>()?;
            tx.commit()?;
            Ok(rows)
        })
        .await
    }

    /// One record, archived or not.
    pub(crate) async fn get_record(
        &self,
        tenant: TenantId,
        kind: &'static str,
        code: String,
    ) -> Result<Option<RecordRow>, StoreError> {
        self.read(move |conn| get(conn, &tenant, kind, &code)).await
    }

    /// Records of `kind` by `query`, in code order.
    pub(crate) async fn list_records(
        &self,
        tenant: TenantId,
        kind: &'static str,
        query: RecordQuery,
    ) -> Result<Vec<RecordRow>, StoreError> {
        self.read(move |conn| {
            let mut sql = format!("SELECT {COLUMNS} FROM master_records WHERE tenant_id = ?1 AND kind = ?2");
            let mut args: Vec<SqlValue> = vec![tenant.into(), kind.to_string().into()];
            if let Some(after) = query.after {
                args.push(after.into());
                sql.push_str(&format!(" AND code > ?{}", args.len()));
            }
            if !query.include_archived {
                sql.push_str(" AND archived = 0");
            }
            if let Some(site) = query.site {
                args.push(site.into());
                sql.push_str(&format!(" AND site = ?{}", args.len()));
            }
            for (field, value) in query.equals {
                args.push(value.into());
                sql.push_str(&format!(
                    " AND json_extract(body, '$.{}') = ?{}",
                    checked_field(field),
                    args.len()
                ));
            }
            args.push(i64::try_from(query.limit).unwrap_or(i64::MAX).into());
            sql.push_str(&format!(" ORDER BY code LIMIT ?{}", args.len()));
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(args), row_to_record)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Records of `kinds` written after version `since`, oldest change
    /// first, at most `limit`.
    pub(crate) async fn records_changed_since(
        &self,
        tenant: TenantId,
        kinds: &'static [&'static str],
        since: i64,
        limit: usize,
    ) -> Result<Vec<RecordRow>, StoreError> {
        self.read(move |conn| {
            let placeholders = (0..kinds.len())
                .map(|i| format!("?{}", i + 4))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT {COLUMNS} FROM master_records WHERE tenant_id = ?1 AND version > ?2
                 AND kind IN ({placeholders}) ORDER BY version LIMIT ?3"
            );
            let mut args: Vec<SqlValue> = vec![
                tenant.into(),
                since.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ];
            args.extend(kinds.iter().map(|k| SqlValue::from(k.to_string())));
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(args), row_to_record)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// The tenant's current version (0 before its first write).
    pub(crate) async fn tenant_version(&self, tenant: TenantId) -> Result<i64, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT version FROM tenant_versions WHERE tenant_id = ?1",
                    [tenant],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
        .await
    }

    /// Whether `tenant` has a site with the short name `slug`.
    pub(crate) async fn site_exists(&self, tenant: TenantId, slug: String) -> Result<bool, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT 1 FROM sites WHERE tenant_id = ?1 AND slug = ?2",
                    params![tenant, slug],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
        .await
    }
}

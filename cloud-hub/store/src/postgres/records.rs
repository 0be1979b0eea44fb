//! Master-data records in PostgreSQL (see `store/records.rs`).

use super::PgStore;
use crate::TenantId;
use crate::records::{RecordQuery, RecordRow, RecordWrite, checked_field};
use crate::{StoreError, now_ms};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Transaction};
use uuid::Uuid;

const COLUMNS: &str = "kind, code, site, body, archived, version, created_at, updated_at";

fn row_to_record(row: &Row) -> Result<RecordRow, StoreError> {
    Ok(RecordRow {
        kind: row.try_get(0)?,
        code: row.try_get(1)?,
        site: row.try_get(2)?,
        body: row.try_get(3)?,
        archived: row.try_get(4)?,
        version: row.try_get(5)?,
        created_at: row.try_get(6)?,
        updated_at: row.try_get(7)?,
    })
}

async fn write_one(
    tx: &Transaction<'_>,
    tenant: &Uuid,
    w: RecordWrite,
    now: i64,
) -> Result<RecordRow, StoreError> {
    // The tenant's version row first: it locks the tenant's writes until
    // commit, so the existence check below reads what every earlier write
    // committed. Checked first, a create racing another create of the same
    // code would find no row to lock and then overwrite the winner's
    // record (`ON CONFLICT DO UPDATE`) instead of answering `Exists`.
    let version: i64 = tx
        .query_one(
            "INSERT INTO tenant_versions (tenant_id, version) VALUES ($1, 1)
             ON CONFLICT (tenant_id) DO UPDATE SET version = tenant_versions.version + 1
             RETURNING version",
            &[tenant],
        )
        .await?
        .try_get(0)?;
    let existing = tx
        .query_opt(
            "SELECT version, created_at FROM master_records
             WHERE tenant_id = $1 AND kind = $2 AND code = $3 FOR UPDATE",
            &[tenant, &w.kind, &w.code],
        )
        .await?
        .map(|r| Ok::<_, StoreError>((r.try_get::<_, i64>(0)?, r.try_get::<_, i64>(1)?)))
        .transpose()?;
    let created_at = crate::records::judge_write(&w, existing, now)?;
    tx.execute(
        "INSERT INTO master_records (tenant_id, kind, code, site, body, archived, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, kind, code) DO UPDATE SET
             site = excluded.site, body = excluded.body, archived = excluded.archived,
             version = excluded.version, updated_at = excluded.updated_at",
        &[tenant, &w.kind, &w.code, &w.site, &w.body, &w.archived, &version, &created_at, &now],
    )
    .await?;
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

impl PgStore {
    /// Writes `writes` in one transaction: all or none.
    pub(crate) async fn write_records(
        &self,
        tenant: TenantId,
        writes: Vec<RecordWrite>,
    ) -> Result<Vec<RecordRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let now = now_ms();
        let mut rows = Vec::with_capacity(writes.len());
        for w in writes {
            rows.push(write_one(&tx, &tenant, w, now).await?);
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// One record, archived or not.
    pub(crate) async fn get_record(
        &self,
        tenant: TenantId,
        kind: &'static str,
        code: String,
    ) -> Result<Option<RecordRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        client
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM master_records WHERE tenant_id = $1 AND kind = $2 AND code = $3"
                ),
                &[&tenant, &kind, &code],
            )
            .await?
            .as_ref()
            .map(row_to_record)
            .transpose()
    }

    /// Records of `kind` by `query`, in code order.
    pub(crate) async fn list_records(
        &self,
        tenant: TenantId,
        kind: &'static str,
        query: RecordQuery,
    ) -> Result<Vec<RecordRow>, StoreError> {
        let tenant = tenant.as_uuid();
        let kind = kind.to_string();
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let mut args: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(tenant), Box::new(kind)];
        // Codes compare bytewise (COLLATE "C"), as in SQLite, so both
        // backends page alike.
        let mut sql = format!("SELECT {COLUMNS} FROM master_records WHERE tenant_id = $1 AND kind = $2");
        if let Some(after) = query.after {
            args.push(Box::new(after));
            sql.push_str(&format!(" AND code COLLATE \"C\" > ${}", args.len()));
        }
        if !query.include_archived {
            sql.push_str(" AND NOT archived");
        }
        if let Some(site) = query.site {
            args.push(Box::new(site));
            sql.push_str(&format!(" AND site = ${}", args.len()));
        }
        for (field, value) in query.equals {
            args.push(Box::new(value));
            sql.push_str(&format!(
                " AND body->>'{}' = ${}",
                checked_field(field),
                args.len()
            ));
        }
        args.push(Box::new(limit));
        sql.push_str(&format!(" ORDER BY code COLLATE \"C\" LIMIT ${}", args.len()));
        let client = self.pool.get().await?;
        let params: Vec<&(dyn ToSql + Sync)> =
            args.iter().map(|a| a.as_ref() as &(dyn ToSql + Sync)).collect();
        client
            .query(&sql, &params)
            .await?
            .iter()
            .map(row_to_record)
            .collect()
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
        let tenant = tenant.as_uuid();
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.pool.get().await?;
        client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM master_records WHERE tenant_id = $1 AND version > $2
                     AND kind = ANY($3) ORDER BY version LIMIT $4"
                ),
                &[&tenant, &since, &kinds, &limit],
            )
            .await?
            .iter()
            .map(row_to_record)
            .collect()
    }

    /// The tenant's current version (0 before its first write).
    pub(crate) async fn tenant_version(&self, tenant: TenantId) -> Result<i64, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        Ok(client
            .query_opt(
                "SELECT version FROM tenant_versions WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0))
    }

    /// Whether `tenant` has a site with the short name `slug`.
    pub(crate) async fn site_exists(&self, tenant: TenantId, slug: String) -> Result<bool, StoreError> {
        let tenant = tenant.as_uuid();
        let client = self.pool.get().await?;
        Ok(client
            .query_opt(
                "SELECT 1 FROM sites WHERE tenant_id = $1 AND slug = $2",
                &[&tenant, &slug],
            )
            .await?
            .is_some())
    }
}

//! The reference figures, measured on a raw connection to the same
//! database in the same run: how fast the database itself takes the same
//! ledger rows (a plain prepared INSERT per row into a copy of
//! `stock_movements` with the same columns and indexes, one transaction per
//! batch), and how long a primary-key lookup of one balance and a plain
//! read of one material's rows take.

use super::db::Raw;
use std::time::{Duration, Instant};

/// One stored ledger row, every column but the row id.
struct Row {
    tenant: String,
    movement_key: String,
    from_event: bool,
    site: String,
    material: String,
    lot: String,
    location: String,
    kind: String,
    is_count: bool,
    quantity: String,
    occurred_at: i64,
    recorded_at: i64,
    production_order: Option<String>,
    body: String,
}

const COLUMNS: &str = "tenant_id, movement_key, from_event, site, material, lot, location, kind, is_count, \
                       quantity, occurred_at, recorded_at, production_order, body";

/// Copies `n` rows of `stock_movements` into a new table of the same
/// shape with a prepared INSERT per row, `batch` rows per transaction.
/// Returns (rows, time spent inserting).
pub async fn insert_rate(raw: &mut Raw, n: usize, batch: usize) -> anyhow::Result<(usize, Duration)> {
    let limit = i64::try_from(n).unwrap_or(i64::MAX);
    match raw {
        Raw::Sqlite(conn) => {
            let rows = {
                let mut stmt = conn.prepare(&format!(
                    "SELECT {COLUMNS} FROM stock_movements ORDER BY id LIMIT ?1"
                ))?;
                stmt.query_map([limit], |r| {
                    Ok(Row {
                        tenant: r.get(0)?,
                        movement_key: r.get(1)?,
                        from_event: r.get(2)?,
                        site: r.get(3)?,
                        material: r.get(4)?,
                        lot: r.get(5)?,
                        location: r.get(6)?,
                        kind: r.get(7)?,
                        is_count: r.get(8)?,
                        quantity: r.get(9)?,
                        occurred_at: r.get(10)?,
                        recorded_at: r.get(11)?,
                        production_order: r.get(12)?,
                        body: r.get(13)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?
            };
            // The same table and indexes, as the migration made them.
            let ddl: Vec<String> = {
                let mut stmt = conn.prepare(
                    "SELECT sql FROM sqlite_master WHERE tbl_name = 'stock_movements' AND sql IS NOT NULL
                     ORDER BY type DESC",
                )?;
                stmt.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            for sql in ddl {
                conn.execute_batch(&sql.replace("stock_movements", "bench_ref_movements"))?;
            }
            let started = Instant::now();
            for chunk in rows.chunks(batch.max(1)) {
                let tx = conn.transaction()?;
                {
                    let mut insert = tx.prepare_cached(&format!(
                        "INSERT INTO bench_ref_movements ({COLUMNS})
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
                    ))?;
                    for r in chunk {
                        insert.execute(rusqlite::params![
                            r.tenant,
                            r.movement_key,
                            r.from_event,
                            r.site,
                            r.material,
                            r.lot,
                            r.location,
                            r.kind,
                            r.is_count,
                            r.quantity,
                            r.occurred_at,
                            r.recorded_at,
                            r.production_order,
                            r.body
                        ])?;
                    }
                }
                tx.commit()?;
            }
            let took = started.elapsed();
            conn.execute_batch("DROP TABLE bench_ref_movements")?;
            Ok((rows.len(), took))
        }
        Raw::Postgres(client) => {
            let rows: Vec<Row> = client
                .query(
                    "SELECT tenant_id::text, movement_key, from_event, site, material, lot, location, kind,
                            is_count, quantity, occurred_at, recorded_at, production_order, body
                     FROM stock_movements ORDER BY id LIMIT $1",
                    &[&limit],
                )
                .await?
                .iter()
                .map(|r| Row {
                    tenant: r.get(0),
                    movement_key: r.get(1),
                    from_event: r.get(2),
                    site: r.get(3),
                    material: r.get(4),
                    lot: r.get(5),
                    location: r.get(6),
                    kind: r.get(7),
                    is_count: r.get(8),
                    quantity: r.get(9),
                    occurred_at: r.get(10),
                    recorded_at: r.get(11),
                    production_order: r.get(12),
                    body: r.get(13),
                })
                .collect();
            client
                .batch_execute("CREATE TABLE bench_ref_movements (LIKE stock_movements INCLUDING ALL)")
                .await?;
            let insert = client
                .prepare(&format!(
                    "INSERT INTO bench_ref_movements ({COLUMNS})
                     VALUES ($1::text::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                ))
                .await?;
            let started = Instant::now();
            for chunk in rows.chunks(batch.max(1)) {
                let tx = client.transaction().await?;
                for r in chunk {
                    tx.execute(
                        &insert,
                        &[
                            &r.tenant,
                            &r.movement_key,
                            &r.from_event,
                            &r.site,
                            &r.material,
                            &r.lot,
                            &r.location,
                            &r.kind,
                            &r.is_count,
                            &r.quantity,
                            &r.occurred_at,
                            &r.recorded_at,
                            &r.production_order,
                            &r.body,
                        ],
                    )
                    .await?;
                }
                tx.commit().await?;
            }
            let took = started.elapsed();
            client.batch_execute("DROP TABLE bench_ref_movements").await?;
            Ok((rows.len(), took))
        }
    }
}

/// A stock key as stored: (material, lot column, location).
pub type KeyColumns = (String, String, String);

/// Some stored balance keys of `material`s (for lookups).
pub async fn balance_keys(raw: &mut Raw, tenant: &str, n: usize) -> anyhow::Result<Vec<KeyColumns>> {
    let limit = i64::try_from(n).unwrap_or(i64::MAX);
    match raw {
        Raw::Sqlite(conn) => {
            let mut stmt = conn.prepare(
                "SELECT material, lot, location FROM stock_balances WHERE tenant_id = ?1
                 ORDER BY random() LIMIT ?2",
            )?;
            Ok(stmt
                .query_map(rusqlite::params![tenant, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?)
        }
        Raw::Postgres(client) => Ok(client
            .query(
                "SELECT material, lot, location FROM stock_balances WHERE tenant_id = $1::text::uuid
                 ORDER BY random() LIMIT $2",
                &[&tenant, &limit],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()),
    }
}

/// Times a primary-key lookup of each balance of `keys`.
pub async fn balance_lookups(
    raw: &mut Raw,
    tenant: &str,
    keys: &[KeyColumns],
) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(keys.len());
    match raw {
        Raw::Sqlite(conn) => {
            let mut stmt = conn.prepare_cached(
                "SELECT quantity FROM stock_balances
                 WHERE tenant_id = ?1 AND material = ?2 AND lot = ?3 AND location = ?4",
            )?;
            for (m, l, loc) in keys {
                let started = Instant::now();
                let _: String = stmt.query_row(rusqlite::params![tenant, m, l, loc], |r| r.get(0))?;
                out.push(started.elapsed());
            }
        }
        Raw::Postgres(client) => {
            let stmt = client
                .prepare(
                    "SELECT quantity FROM stock_balances
                     WHERE tenant_id = $1::text::uuid AND material = $2 AND lot = $3 AND location = $4",
                )
                .await?;
            for (m, l, loc) in keys {
                let started = Instant::now();
                let _: String = client.query_one(&stmt, &[&tenant, m, l, loc]).await?.get(0);
                out.push(started.elapsed());
            }
        }
    }
    Ok(out)
}

/// Times a plain read of every stored row (the JSON bodies) of each of
/// `materials`: what replaying a material starts from.
pub async fn material_reads(
    raw: &mut Raw,
    tenant: &str,
    materials: &[String],
) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(materials.len());
    match raw {
        Raw::Sqlite(conn) => {
            let mut stmt = conn
                .prepare_cached("SELECT body FROM stock_movements WHERE tenant_id = ?1 AND material = ?2")?;
            for m in materials {
                let started = Instant::now();
                let bodies = stmt
                    .query_map(rusqlite::params![tenant, m], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(started.elapsed());
                anyhow::ensure!(!bodies.is_empty(), "material {m} has no rows");
            }
        }
        Raw::Postgres(client) => {
            let stmt = client
                .prepare(
                    "SELECT body FROM stock_movements WHERE tenant_id = $1::text::uuid AND material = $2",
                )
                .await?;
            for m in materials {
                let started = Instant::now();
                let rows = client.query(&stmt, &[&tenant, m]).await?;
                out.push(started.elapsed());
                anyhow::ensure!(!rows.is_empty(), "material {m} has no rows");
            }
        }
    }
    Ok(out)
}

/// Times a plain page of `limit` balances in primary-key order after each
/// of `after` (a material; `None`: the first page), the database's
/// default collation, no filters.
pub async fn pages(
    raw: &mut Raw,
    tenant: &str,
    after: &[Option<String>],
    limit: usize,
) -> anyhow::Result<Vec<Duration>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut out = Vec::with_capacity(after.len());
    match raw {
        Raw::Sqlite(conn) => {
            let mut stmt = conn.prepare_cached(
                "SELECT material, lot, location, site, quantity, last_movement_at FROM stock_balances
                 WHERE tenant_id = ?1 AND material > ?2 ORDER BY material, lot, location LIMIT ?3",
            )?;
            for from in after {
                let started = Instant::now();
                let n = stmt
                    .query_map(
                        rusqlite::params![tenant, from.as_deref().unwrap_or(""), limit],
                        |r| r.get::<_, String>(4),
                    )?
                    .count();
                out.push(started.elapsed());
                anyhow::ensure!(n as i64 == limit, "a raw page of {n} balances");
            }
        }
        Raw::Postgres(client) => {
            let stmt = client
                .prepare(
                    "SELECT material, lot, location, site, quantity, last_movement_at FROM stock_balances
                     WHERE tenant_id = $1::text::uuid AND material > $2 ORDER BY material, lot, location LIMIT $3",
                )
                .await?;
            for from in after {
                let started = Instant::now();
                let n = client
                    .query(&stmt, &[&tenant, &from.as_deref().unwrap_or(""), &limit])
                    .await?
                    .len();
                out.push(started.elapsed());
                anyhow::ensure!(n as i64 == limit, "a raw page of {n} balances");
            }
        }
    }
    Ok(out)
}

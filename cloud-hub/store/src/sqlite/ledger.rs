//! The stock ledger's writes in SQLite. The balance rule is shared with
//! PostgreSQL (`stock/apply.rs`); this file only reads what the plan needs
//! and writes what it returns, on the single write connection (so writes
//! are serialised). The reads of stock are in `stock.rs`, the
//! projection's tables in `projection.rs`.

use super::SqliteStore;
use crate::TenantId;
use crate::ledger::{LedgerOutcome, LedgerWrite, from_event, judge, lot_column, movement_key};
use crate::ledger::{bad_data, decimal, movement};
use crate::{StoreError, now_ms};
use mes_protocols::{Code, Timestamp};
use mes_stock::apply::{LedgerSnapshot, StoredBalance, counts_needing_deltas, plan};
use mes_stock::{Amount, Movement, MovementId, StockKey};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::HashMap;

/// Reads the snapshot [`plan`] needs for `rows`.
fn snapshot(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    rows: &[Movement],
) -> Result<LedgerSnapshot, StoreError> {
    let mut snap = LedgerSnapshot::default();
    let mut existing =
        tx.prepare_cached("SELECT body FROM stock_movements WHERE tenant_id = ?1 AND movement_key = ?2")?;
    let mut balance = tx.prepare_cached(
        "SELECT quantity, count_at, count_key, last_movement_at FROM stock_balances
         WHERE tenant_id = ?1 AND material = ?2 AND lot = ?3 AND location = ?4",
    )?;
    for row in rows {
        if let Some(body) = existing
            .query_row(params![tenant, movement_key(&row.id)], |r| r.get::<_, String>(0))
            .optional()?
        {
            snap.existing.insert(row.id.clone(), movement(&body)?);
        }
        if snap.balances.contains_key(&row.key) {
            continue;
        }
        let k = &row.key;
        let found = balance
            .query_row(
                params![
                    tenant,
                    k.material.as_str(),
                    lot_column(&k.lot),
                    k.location.as_str()
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()?;
        if let Some((quantity, count_at, count_key, last)) = found {
            let count = match (count_at, count_key) {
                (Some(at), Some(id)) => Some((
                    Timestamp::from_unix_millis(at),
                    serde_json::from_str::<MovementId>(&id).map_err(|e| bad_data("count id", e))?,
                )),
                _ => None,
            };
            snap.balances.insert(
                k.clone(),
                StoredBalance {
                    quantity: decimal(&quantity)?,
                    count,
                    last_movement_at: Timestamp::from_unix_millis(last),
                },
            );
        }
    }
    let mut deltas = tx.prepare_cached(
        "SELECT occurred_at, quantity FROM stock_movements
         WHERE tenant_id = ?1 AND material = ?2 AND lot = ?3 AND location = ?4
           AND occurred_at > ?5 AND is_count = 0",
    )?;
    for (key, from) in counts_needing_deltas(rows) {
        let list = deltas
            .query_map(
                params![
                    tenant,
                    key.material.as_str(),
                    lot_column(&key.lot),
                    key.location.as_str(),
                    from.unix_millis()
                ],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )?
            .map(|r| {
                let (at, q) = r?;
                Ok((Timestamp::from_unix_millis(at), decimal(&q)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        snap.deltas_after.insert(key, list);
    }
    Ok(snap)
}

pub(super) fn write_ledger(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    write: LedgerWrite,
) -> Result<LedgerOutcome, StoreError> {
    // One writer: the cursor read here is the last one committed.
    if let Some(step) = write.projection.as_ref().filter(|s| s.after_event_row.is_some()) {
        let found: i64 = tx
            .query_row(
                "SELECT event_row FROM projection_cursors WHERE tenant_id = ?1",
                [tenant],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        crate::ledger::check_step_cursor(step, found)?;
    }
    let sites: HashMap<MovementId, String> = write
        .rows
        .iter()
        .map(|r| (r.movement.id.clone(), r.site.clone()))
        .collect();
    let rows: Vec<Movement> = write.rows.into_iter().map(|r| r.movement).collect();
    let snap = snapshot(tx, tenant, &rows)?;
    let planned = match plan(rows, &snap) {
        Ok(planned) => planned,
        Err(overflow) => return Ok(crate::ledger::overflowed(overflow)),
    };
    let mut outcome = judge(&planned, &snap, write.refuse_conflicts, write.refuse_negative);
    if outcome.refused() {
        return Ok(outcome);
    }
    let now = now_ms();
    let mut insert = tx.prepare_cached(
        "INSERT INTO stock_movements (tenant_id, movement_key, from_event, site, material, lot, location, kind,
             is_count, quantity, occurred_at, recorded_at, production_order, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut site_of_key: HashMap<StockKey, String> = HashMap::new();
    for m in &planned.inserts {
        let site = sites.get(&m.id).cloned().unwrap_or_default();
        site_of_key.insert(m.key.clone(), site.clone());
        let (is_count, quantity) = match m.amount {
            Amount::Delta(d) => (false, d),
            Amount::Counted(c) => (true, c),
        };
        let body = serde_json::to_string(m).map_err(|e| bad_data("movement", e))?;
        insert.execute(params![
            tenant,
            movement_key(&m.id),
            from_event(&m.id),
            site,
            m.key.material.as_str(),
            lot_column(&m.key.lot),
            m.key.location.as_str(),
            serde_json::to_value(m.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            is_count,
            quantity.to_string(),
            m.occurred_at.unix_millis(),
            now,
            m.order.as_ref().map(Code::as_str),
            body,
        ])?;
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO stock_balances (tenant_id, material, lot, location, site, quantity, count_at, count_key, last_movement_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (tenant_id, material, lot, location) DO UPDATE SET
             quantity = excluded.quantity, count_at = excluded.count_at,
             count_key = excluded.count_key, last_movement_at = excluded.last_movement_at",
    )?;
    for (key, b) in &planned.balances {
        let (count_at, count_key) = match &b.count {
            Some((at, id)) => (
                Some(at.unix_millis()),
                Some(serde_json::to_string(id).map_err(|e| bad_data("count id", e))?),
            ),
            None => (None, None),
        };
        upsert.execute(params![
            tenant,
            key.material.as_str(),
            lot_column(&key.lot),
            key.location.as_str(),
            site_of_key.get(key).cloned().unwrap_or_default(),
            b.quantity.normalize().to_string(),
            count_at,
            count_key,
            b.last_movement_at.unix_millis(),
        ])?;
    }
    if let Some(step) = write.projection {
        let mut fact = tx.prepare_cached(
            "INSERT OR IGNORE INTO operation_facts (tenant_id, event_row, execution, production_order, operation,
                 kind, occurred_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for f in &step.facts {
            fact.execute(params![
                tenant,
                f.event_row,
                f.execution,
                f.order,
                f.operation,
                f.kind,
                f.occurred_at,
                f.body
            ])?;
        }
        let mut resolved =
            tx.prepare_cached("DELETE FROM projection_issues WHERE tenant_id = ?1 AND event_row = ?2")?;
        for row in &step.resolved {
            resolved.execute(params![tenant, row])?;
        }
        let mut issue = tx.prepare_cached(
            "INSERT OR REPLACE INTO projection_issues (tenant_id, event_row, event_id, kind, reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for i in &step.issues {
            issue.execute(params![tenant, i.event_row, i.event_id, i.kind, i.reason, now])?;
        }
        tx.execute(
            "INSERT INTO projection_cursors (tenant_id, event_row) VALUES (?1, ?2)
             ON CONFLICT (tenant_id) DO UPDATE SET event_row = max(event_row, excluded.event_row)",
            params![tenant, step.through_event_row],
        )?;
    }
    outcome.written = true;
    Ok(outcome)
}

impl SqliteStore {
    /// Writes ledger rows (and projection progress) in one transaction.
    ///
    /// A projection step commits with `synchronous=NORMAL`: everything it
    /// writes derives from events that are already durable, and in WAL
    /// mode a power loss can only take the step back whole (rows, facts
    /// and cursor together), so the projection does it again. The next
    /// `FULL` commit (an ingest, a document) makes it durable anyway.
    /// Documents keep `FULL`.
    pub(crate) async fn write_ledger(
        &self,
        tenant: TenantId,
        write: LedgerWrite,
    ) -> Result<LedgerOutcome, StoreError> {
        let derived = write.projection.is_some();
        self.write(move |conn| {
            if derived {
                conn.pragma_update(None, "synchronous", "NORMAL")?;
            }
            let result = (|| {
                let tx = conn.transaction()?;
                let outcome = write_ledger(&tx, &tenant, write)?;
                if outcome.written {
                    tx.commit()?;
                }
                Ok(outcome)
            })();
            if derived {
                conn.pragma_update(None, "synchronous", "FULL")?;
            }
            result
        })
        .await
    }
}

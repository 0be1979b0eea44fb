//! The stock ledger's writes in PostgreSQL. The balance rule is shared
//! with SQLite (`stock/apply.rs`); this file reads what the plan needs
//! with one array query per table and writes what it returns. The reads
//! of stock are in `stock.rs`, the projection's tables in
//! `projection.rs`.
//! Writes of one tenant are serialised by a transaction-scoped advisory
//! lock on the tenant, so two hubs (or the projection and a document post)
//! never plan over the same balance at once.

use super::PgStore;
use crate::TenantId;
use crate::ledger::{
    LedgerOutcome, LedgerWrite, check_step_cursor, from_event, judge, lot_column, lot_from_column,
    movement_key,
};
use crate::ledger::{bad_data, code, decimal, movement};
use crate::{StoreError, now_ms};
use mes_protocols::Timestamp;
use mes_stock::apply::{LedgerSnapshot, StoredBalance, counts_needing_deltas, plan};
use mes_stock::{Amount, Movement, MovementId, StockKey};
use std::collections::HashMap;
use tokio_postgres::Transaction;
use uuid::Uuid;

/// Key of the per-tenant advisory lock of ledger writes.
pub(super) fn lock_key(tenant: &Uuid) -> i64 {
    let bytes = tenant.as_bytes();
    i64::from_le_bytes([
        bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15],
    ])
}

async fn snapshot(
    tx: &Transaction<'_>,
    tenant: &Uuid,
    rows: &[Movement],
) -> Result<LedgerSnapshot, StoreError> {
    let mut snap = LedgerSnapshot::default();
    let keys: Vec<String> = rows.iter().map(|m| movement_key(&m.id)).collect();
    // One index probe per key, whatever the statistics say: `LIMIT 1`
    // keeps the lateral subquery from being flattened into a join, which
    // the planner (on a table not analysed since it grew, e.g. after a
    // rebuild or with autovacuum off) turned into a scan of every row of
    // the tenant: 0.5 s per step at 700,000 rows instead of a few ms.
    // The tenant is compared with `(SELECT $1)`, a value the planner does
    // not see: for a tenant its statistics do not know yet (first rows
    // after an ANALYZE of other tenants' rows), a visible id looked so rare
    // that it probed the (tenant, material, …) index and filtered every row
    // of the tenant by key: 8 s per 1,000 probes at 50,000 rows instead of
    // 4 ms (measured with EXPLAIN ANALYZE; bench-ledger found it).
    for row in tx
        .query(
            "SELECT m.body FROM unnest($2::text[]) AS k(movement_key)
             CROSS JOIN LATERAL (
                 SELECT body FROM stock_movements
                 WHERE tenant_id = (SELECT $1::uuid) AND movement_key = k.movement_key LIMIT 1
             ) m",
            &[tenant, &keys],
        )
        .await?
    {
        let m = movement(row.try_get::<_, &str>(0)?)?;
        snap.existing.insert(m.id.clone(), m);
    }
    let mut distinct: Vec<&StockKey> = rows.iter().map(|m| &m.key).collect();
    distinct.sort();
    distinct.dedup();
    let materials: Vec<&str> = distinct.iter().map(|k| k.material.as_str()).collect();
    let lots: Vec<&str> = distinct.iter().map(|k| lot_column(&k.lot)).collect();
    let locations: Vec<&str> = distinct.iter().map(|k| k.location.as_str()).collect();
    for row in tx
        .query(
            // A primary-key probe per key, for the same reason as above
            // (a hash join over every balance of the tenant otherwise).
            "SELECT b.material, b.lot, b.location, b.quantity, b.count_at, b.count_key, b.last_movement_at
             FROM unnest($2::text[], $3::text[], $4::text[]) AS k(material, lot, location)
             CROSS JOIN LATERAL (
                 SELECT * FROM stock_balances s
                 WHERE s.tenant_id = (SELECT $1::uuid) AND s.material = k.material AND s.lot = k.lot
                   AND s.location = k.location
                 LIMIT 1
             ) b",
            &[tenant, &materials, &lots, &locations],
        )
        .await?
    {
        let key = StockKey::new(
            code(row.try_get(0)?)?,
            lot_from_column(row.try_get(1)?),
            code(row.try_get(2)?)?,
        );
        let count = match (
            row.try_get::<_, Option<i64>>(4)?,
            row.try_get::<_, Option<&str>>(5)?,
        ) {
            (Some(at), Some(id)) => Some((
                Timestamp::from_unix_millis(at),
                serde_json::from_str::<MovementId>(id).map_err(|e| bad_data("count id", e))?,
            )),
            _ => None,
        };
        snap.balances.insert(
            key,
            StoredBalance {
                quantity: decimal(row.try_get(3)?)?,
                count,
                last_movement_at: Timestamp::from_unix_millis(row.try_get(6)?),
            },
        );
    }
    for (key, from) in counts_needing_deltas(rows) {
        let list = tx
            .query(
                "SELECT occurred_at, quantity FROM stock_movements
                 WHERE tenant_id = $1 AND material = $2 AND lot = $3 AND location = $4
                   AND occurred_at > $5 AND NOT is_count",
                &[
                    tenant,
                    &key.material.as_str(),
                    &lot_column(&key.lot),
                    &key.location.as_str(),
                    &from.unix_millis(),
                ],
            )
            .await?
            .iter()
            .map(|r| {
                Ok((
                    Timestamp::from_unix_millis(r.try_get(0)?),
                    decimal(r.try_get(1)?)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        snap.deltas_after.insert(key, list);
    }
    Ok(snap)
}

pub(super) async fn write_ledger(
    tx: &Transaction<'_>,
    tenant: &Uuid,
    write: LedgerWrite,
) -> Result<LedgerOutcome, StoreError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(tenant)])
        .await?;
    // Under the tenant's ledger lock, so the cursor read is the last one
    // committed (READ COMMITTED: a statement's snapshot is taken after
    // the lock was granted).
    if let Some(step) = write.projection.as_ref().filter(|s| s.after_event_row.is_some()) {
        let found: i64 = tx
            .query_opt(
                "SELECT event_row FROM projection_cursors WHERE tenant_id = $1",
                &[tenant],
            )
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0);
        check_step_cursor(step, found)?;
    }
    let sites: HashMap<MovementId, String> = write
        .rows
        .iter()
        .map(|r| (r.movement.id.clone(), r.site.clone()))
        .collect();
    let rows: Vec<Movement> = write.rows.into_iter().map(|r| r.movement).collect();
    let snap = snapshot(tx, tenant, &rows).await?;
    let planned = match plan(rows, &snap) {
        Ok(planned) => planned,
        Err(overflow) => return Ok(crate::ledger::overflowed(overflow)),
    };
    let mut outcome = judge(&planned, &snap, write.refuse_conflicts, write.refuse_negative);
    if outcome.refused() {
        return Ok(outcome);
    }
    let now = now_ms();
    // Column arrays for one multi-row insert.
    let mut c_key = Vec::new();
    let mut c_event = Vec::new();
    let mut c_site = Vec::new();
    let mut c_material = Vec::new();
    let mut c_lot = Vec::new();
    let mut c_location = Vec::new();
    let mut c_kind = Vec::new();
    let mut c_count = Vec::new();
    let mut c_quantity = Vec::new();
    let mut c_at = Vec::new();
    let mut c_order: Vec<Option<String>> = Vec::new();
    let mut c_body = Vec::new();
    let mut site_of_key: HashMap<StockKey, String> = HashMap::new();
    for m in &planned.inserts {
        let site = sites.get(&m.id).cloned().unwrap_or_default();
        site_of_key.insert(m.key.clone(), site.clone());
        let (is_count, quantity) = match m.amount {
            Amount::Delta(d) => (false, d),
            Amount::Counted(c) => (true, c),
        };
        c_key.push(movement_key(&m.id));
        c_event.push(from_event(&m.id));
        c_site.push(site);
        c_material.push(m.key.material.to_string());
        c_lot.push(lot_column(&m.key.lot).to_string());
        c_location.push(m.key.location.to_string());
        c_kind.push(
            serde_json::to_value(m.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
        );
        c_count.push(is_count);
        c_quantity.push(quantity.to_string());
        c_at.push(m.occurred_at.unix_millis());
        c_order.push(m.order.as_ref().map(ToString::to_string));
        c_body.push(serde_json::to_string(m).map_err(|e| bad_data("movement", e))?);
    }
    if !c_key.is_empty() {
        tx.execute(
            "INSERT INTO stock_movements (tenant_id, movement_key, from_event, site, material, lot, location, kind,
                 is_count, quantity, occurred_at, recorded_at, production_order, body)
             SELECT $1, k, e, s, m, l, loc, kd, c, q, a, $2, o, b
             FROM unnest($3::text[], $4::bool[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                         $10::bool[], $11::text[], $12::bigint[], $13::text[], $14::text[])
                  AS t(k, e, s, m, l, loc, kd, c, q, a, o, b)",
            &[
                tenant, &now, &c_key, &c_event, &c_site, &c_material, &c_lot, &c_location, &c_kind, &c_count,
                &c_quantity, &c_at, &c_order, &c_body,
            ],
        )
        .await?;
    }
    let mut b_material = Vec::new();
    let mut b_lot = Vec::new();
    let mut b_location = Vec::new();
    let mut b_site = Vec::new();
    let mut b_quantity = Vec::new();
    let mut b_count_at: Vec<Option<i64>> = Vec::new();
    let mut b_count_key: Vec<Option<String>> = Vec::new();
    let mut b_last = Vec::new();
    for (key, b) in &planned.balances {
        b_material.push(key.material.to_string());
        b_lot.push(lot_column(&key.lot).to_string());
        b_location.push(key.location.to_string());
        b_site.push(site_of_key.get(key).cloned().unwrap_or_default());
        b_quantity.push(b.quantity.normalize().to_string());
        match &b.count {
            Some((at, id)) => {
                b_count_at.push(Some(at.unix_millis()));
                b_count_key.push(Some(
                    serde_json::to_string(id).map_err(|e| bad_data("count id", e))?,
                ));
            }
            None => {
                b_count_at.push(None);
                b_count_key.push(None);
            }
        }
        b_last.push(b.last_movement_at.unix_millis());
    }
    if !b_material.is_empty() {
        tx.execute(
            "INSERT INTO stock_balances (tenant_id, material, lot, location, site, quantity, count_at, count_key,
                 last_movement_at)
             SELECT $1, m, l, loc, s, q, ca, ck, la
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[],
                         $9::bigint[]) AS t(m, l, loc, s, q, ca, ck, la)
             ON CONFLICT (tenant_id, material, lot, location) DO UPDATE SET
                 quantity = excluded.quantity, count_at = excluded.count_at,
                 count_key = excluded.count_key, last_movement_at = excluded.last_movement_at",
            &[
                tenant, &b_material, &b_lot, &b_location, &b_site, &b_quantity, &b_count_at, &b_count_key, &b_last,
            ],
        )
        .await?;
    }
    if let Some(step) = write.projection {
        if !step.facts.is_empty() {
            let rows: Vec<i64> = step.facts.iter().map(|f| f.event_row).collect();
            let executions: Vec<&str> = step.facts.iter().map(|f| f.execution.as_str()).collect();
            let orders: Vec<&str> = step.facts.iter().map(|f| f.order.as_str()).collect();
            let operations: Vec<&str> = step.facts.iter().map(|f| f.operation.as_str()).collect();
            let kinds: Vec<&str> = step.facts.iter().map(|f| f.kind.as_str()).collect();
            let ats: Vec<i64> = step.facts.iter().map(|f| f.occurred_at).collect();
            let bodies: Vec<&str> = step.facts.iter().map(|f| f.body.as_str()).collect();
            tx.execute(
                "INSERT INTO operation_facts (tenant_id, event_row, execution, production_order, operation, kind,
                     occurred_at, body)
                 SELECT $1, r, e, o, op, k, a, b
                 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])
                      AS t(r, e, o, op, k, a, b)
                 ON CONFLICT DO NOTHING",
                &[tenant, &rows, &executions, &orders, &operations, &kinds, &ats, &bodies],
            )
            .await?;
        }
        if !step.resolved.is_empty() {
            tx.execute(
                "DELETE FROM projection_issues WHERE tenant_id = $1 AND event_row = ANY($2)",
                &[tenant, &step.resolved],
            )
            .await?;
        }
        for i in &step.issues {
            tx.execute(
                "INSERT INTO projection_issues (tenant_id, event_row, event_id, kind, reason, at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (tenant_id, event_row) DO UPDATE SET reason = excluded.reason, at = excluded.at",
                &[tenant, &i.event_row, &i.event_id, &i.kind, &i.reason, &now],
            )
            .await?;
        }
        tx.execute(
            "INSERT INTO projection_cursors (tenant_id, event_row) VALUES ($1, $2)
             ON CONFLICT (tenant_id) DO UPDATE SET
                 event_row = GREATEST(projection_cursors.event_row, excluded.event_row)",
            &[tenant, &step.through_event_row],
        )
        .await?;
    }
    outcome.written = true;
    Ok(outcome)
}

impl PgStore {
    /// Writes ledger rows (and projection progress) in one transaction.
    /// Under `fence` (a projection step of a replica), only while the
    /// tenant's lease is still the one the fence names: checked, and held
    /// against a takeover (`FOR SHARE`), in this transaction
    /// (`leases.rs`).
    pub(crate) async fn write_ledger(
        &self,
        tenant: TenantId,
        write: LedgerWrite,
        fence: Option<&crate::leases::Fence>,
    ) -> Result<LedgerOutcome, StoreError> {
        let tenant_id = tenant;
        let tenant = tenant.as_uuid();
        let mut attempts = super::retry::Attempts::default();
        loop {
            let attempt = async {
                let mut client = self.pool.get().await?;
                let tx = client.transaction().await?;
                if let Some(fence) = fence {
                    super::leases::hold_fence(&tx, tenant_id, fence).await?;
                }
                let outcome = write_ledger(&tx, &tenant, write.clone()).await?;
                if outcome.written {
                    tx.commit().await?;
                }
                Ok(outcome)
            }
            .await;
            match attempt {
                Err(e) if attempts.again(&e).await => continue,
                other => return other,
            }
        }
    }
}

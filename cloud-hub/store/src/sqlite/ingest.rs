//! Storing a sync batch in SQLite: one write transaction per batch, one
//! prepared statement per event (SQLite has no round trips to save). The
//! rules it follows are in `store/rules.rs`.

use super::SqliteStore;
use crate::batch::IngestBatch;
use crate::rules::{
    EVENTS_FROM_THE_FUTURE, NEW_INCARNATION, clock_correction, dropped_after, from_the_future, future_detail,
    gap, new_incarnation_detail, rejection_anomaly,
};
use crate::{AgentAuth, IngestOutcome, IngestRejection, StoreError, now_ms};
use mes_protocols::Seq;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

impl SqliteStore {
    /// Stores `batch` from the authenticated agent `auth`.
    pub(crate) async fn ingest(
        &self,
        auth: AgentAuth,
        batch: IngestBatch,
    ) -> Result<Result<IngestOutcome, IngestRejection>, StoreError> {
        self.write(move |conn| {
            let result = store_batch(conn, &auth, &batch)?;
            if let Err(rejection) = &result {
                record_anomaly(conn, &auth, &batch, rejection)?;
            }
            Ok(result)
        })
        .await
    }
}

fn store_batch(
    conn: &mut Connection,
    auth: &AgentAuth,
    batch: &IngestBatch,
) -> Result<Result<IngestOutcome, IngestRejection>, StoreError> {
    let tx = conn.transaction()?;
    let now = now_ms();
    let (stream_id, acked) = stream_for(&tx, auth, batch, now)?;
    if let Some(gap) = gap(batch, acked) {
        return Ok(Err(gap));
    }
    let applied: i64 = tx
        .prepare_cached("SELECT clock_correction_ms FROM agents WHERE id = ?1 AND tenant_id = ?2")?
        .query_row(params![auth.agent_id.to_string(), auth.tenant_id], |r| r.get(0))?;
    let correction = clock_correction(applied, batch.clock_offset_ms);
    let mut stored = 0u64;
    let mut duplicates = 0u64;
    let mut unknown = 0u64;
    let mut future = 0u64;
    {
        let mut existing =
            tx.prepare_cached("SELECT event_id FROM events WHERE stream_id = ?1 AND seq = ?2")?;
        let mut stored_by_id =
            tx.prepare_cached("SELECT 1 FROM events WHERE event_id = ?1 AND tenant_id = ?2")?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (tenant_id, stream_id, seq, event_id, kind, known_kind, occurred_at, received_at, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (tenant_id, event_id) DO NOTHING",
        )?;
        for ev in &batch.events {
            if ev.seq.0 <= acked {
                let stored_id: Option<Vec<u8>> = existing
                    .query_row(params![stream_id, ev.seq.0], |r| r.get(0))
                    .optional()?;
                let same = match stored_id {
                    Some(id) => id == ev.event_id,
                    // No row at this number: it came as a duplicate by id (the
                    // agent held the event twice) and is stored under another
                    // number. The same id again is a retry, not a conflict.
                    None => stored_by_id
                        .query_row(params![&ev.event_id[..], auth.tenant_id], |_| Ok(()))
                        .optional()?
                        .is_some(),
                };
                if !same {
                    return Ok(Err(IngestRejection::Conflict {
                        acked: Seq(acked),
                        seq: ev.seq,
                    }));
                }
                duplicates += 1;
                continue;
            }
            let occurred_at = ev.occurred_at.saturating_add(correction);
            let n = insert.execute(params![
                auth.tenant_id,
                stream_id,
                ev.seq.0,
                &ev.event_id[..],
                ev.kind,
                ev.known,
                occurred_at,
                now,
                ev.raw
            ])?;
            if n == 0 {
                duplicates += 1;
            } else {
                stored += 1;
                unknown += u64::from(!ev.known);
                future += u64::from(from_the_future(occurred_at, now));
            }
        }
    }
    let new_acked = acked.max(batch.last_seq.0);
    let dropped_now = dropped_after(batch, acked);
    tx.prepare_cached(
        "UPDATE agent_streams SET acked_seq = ?1, dropped_events = dropped_events + ?2 WHERE id = ?3 AND tenant_id = ?4",
    )?
    .execute(params![new_acked, dropped_now, stream_id, auth.tenant_id])?;
    let report = &batch.buffer;
    tx.prepare_cached(
        "UPDATE agents SET last_contact_at = ?1, events_received = events_received + ?2,
                unknown_kind_events = unknown_kind_events + ?3, reported_depth = ?4,
                reported_dropped = ?5, reported_refused = ?6,
                clock_offset_ms = COALESCE(?9, clock_offset_ms),
                clock_measured_at = CASE WHEN ?9 IS NULL THEN clock_measured_at ELSE ?1 END,
                clock_correction_ms = ?10, future_events = future_events + ?11
         WHERE id = ?7 AND tenant_id = ?8",
    )?
    .execute(params![
        now,
        stored,
        unknown,
        report.depth,
        report.dropped_total,
        report.refused_total,
        auth.agent_id.to_string(),
        auth.tenant_id,
        batch.clock_offset_ms,
        correction,
        future
    ])?;
    if future > 0 {
        tx.execute(
            "INSERT INTO agent_anomalies (tenant_id, agent_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                auth.tenant_id,
                auth.agent_id.to_string(),
                now,
                EVENTS_FROM_THE_FUTURE,
                future_detail(batch, future, correction)
            ],
        )?;
    }
    tx.commit()?;
    Ok(Ok(IngestOutcome {
        acked_seq: Seq(new_acked),
        stored,
        duplicates,
        future,
    }))
}

/// The stream of the batch's incarnation and what is stored in it, creating
/// it (and flagging a new incarnation of a known agent) on first sight.
fn stream_for(
    tx: &Transaction<'_>,
    auth: &AgentAuth,
    batch: &IngestBatch,
    now: i64,
) -> Result<(i64, u64), StoreError> {
    let agent = auth.agent_id.to_string();
    let incarnation = batch.incarnation.to_string();
    let found: Option<(i64, u64)> = tx
        .prepare_cached("SELECT id, acked_seq FROM agent_streams WHERE agent_id = ?1 AND incarnation = ?2 AND tenant_id = ?3")?
        .query_row(params![agent, incarnation, auth.tenant_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some(found) = found {
        return Ok(found);
    }
    let previous: Option<i64> = tx
        .query_row(
            "SELECT current_stream FROM agents WHERE id = ?1 AND tenant_id = ?2",
            params![agent, auth.tenant_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    tx.execute(
        "INSERT INTO agent_streams (tenant_id, agent_id, incarnation, first_seen_at) VALUES (?1, ?2, ?3, ?4)",
        params![auth.tenant_id, agent, incarnation, now],
    )?;
    let stream_id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE agents SET current_stream = ?1 WHERE id = ?2 AND tenant_id = ?3",
        params![stream_id, agent, auth.tenant_id],
    )?;
    if previous.is_some() {
        tx.execute(
            "INSERT INTO agent_anomalies (tenant_id, agent_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                auth.tenant_id,
                agent,
                now,
                NEW_INCARNATION,
                new_incarnation_detail(batch)
            ],
        )?;
    }
    Ok((stream_id, 0))
}

fn record_anomaly(
    conn: &Connection,
    auth: &AgentAuth,
    batch: &IngestBatch,
    rejection: &IngestRejection,
) -> Result<(), StoreError> {
    let (kind, detail) = rejection_anomaly(batch, rejection);
    conn.execute(
        "INSERT INTO agent_anomalies (tenant_id, agent_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![auth.tenant_id, auth.agent_id.to_string(), now_ms(), kind, detail],
    )?;
    Ok(())
}

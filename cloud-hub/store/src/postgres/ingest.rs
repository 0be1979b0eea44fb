//! Storing a sync batch in PostgreSQL, with the rules of `store/rules.rs`.
//!
//! One transaction per batch. The agent's row is locked first (`SELECT …
//! FOR UPDATE`, see `stream_for` for why the agent and not the stream), so
//! concurrent batches of one agent are stored one after the other and each
//! sees what the previous committed. Round trips per batch are
//! constant, whatever its size: the stored part is checked with two
//! `= ANY($array)` queries and the new part is inserted with one
//! `INSERT … SELECT FROM UNNEST(arrays) ON CONFLICT (tenant_id, event_id)
//! DO NOTHING RETURNING …`, whose returned rows are the events stored now.

use super::{PgStore, to_i64, to_u64};
use crate::batch::{IngestBatch, IngestEvent};
use crate::rules::{
    EVENTS_FROM_THE_FUTURE, NEW_INCARNATION, clock_correction, dropped_after, from_the_future, future_detail,
    gap, new_incarnation_detail, rejection_anomaly,
};
use crate::{AgentAuth, IngestOutcome, IngestRejection, StoreError, now_ms};
use deadpool_postgres::Transaction;
use mes_protocols::Seq;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The tenant and agent of a batch, as the database's uuids.
#[derive(Clone, Copy)]
struct Owner {
    tenant: Uuid,
    agent: Uuid,
}

type Stored = Result<IngestOutcome, IngestRejection>;

impl PgStore {
    /// Stores `batch` from the authenticated agent `auth`.
    pub(crate) async fn ingest(&self, auth: AgentAuth, batch: IngestBatch) -> Result<Stored, StoreError> {
        let tenant = auth.tenant_id.as_uuid();
        let owner = Owner {
            tenant,
            agent: auth.agent_id.0,
        };
        let mut attempts = super::retry::Attempts::default();
        let result = loop {
            let attempt = async {
                let mut client = self.pool.get().await?;
                let tx = client.transaction().await?;
                let result = store_batch(&tx, owner, &batch).await?;
                match &result {
                    Ok(_) => tx.commit().await?,
                    Err(_) => tx.rollback().await?,
                }
                Ok::<_, StoreError>(result)
            }
            .await;
            match attempt {
                Err(e) if attempts.again(&e).await => continue,
                other => break other?,
            }
        };
        match &result {
            Ok(_) => {}
            Err(rejection) => {
                let (kind, detail) = rejection_anomaly(&batch, rejection);
                self.pool
                    .get()
                    .await?
                    .execute(
                        "INSERT INTO agent_anomalies (tenant_id, agent_id, at, kind, detail)
                         VALUES ($1, $2, $3, $4, $5)",
                        &[&owner.tenant, &owner.agent, &now_ms(), &kind, &detail],
                    )
                    .await?;
            }
        }
        Ok(result)
    }
}

/// Everything of one batch inside its transaction; the caller commits or
/// rolls back.
async fn store_batch(tx: &Transaction<'_>, owner: Owner, batch: &IngestBatch) -> Result<Stored, StoreError> {
    let now = now_ms();
    let (stream_id, acked, applied) = stream_for(tx, owner, batch, now).await?;
    let correction = clock_correction(applied, batch.clock_offset_ms);
    if let Some(gap) = gap(batch, acked) {
        return Ok(Err(gap));
    }
    let (old, new): (Vec<&IngestEvent>, Vec<&IngestEvent>) =
        batch.events.iter().partition(|e| e.seq.0 <= acked);
    if let Some(seq) = first_disagreement(tx, owner, stream_id, &old).await? {
        return Ok(Err(IngestRejection::Conflict {
            acked: Seq(acked),
            seq,
        }));
    }
    if !new.is_empty() {
        lock_tenant_log(tx, owner).await?;
    }
    let (stored, unknown, future) = insert_events(tx, owner, stream_id, &new, now, correction).await?;
    let duplicates = old.len() as u64 + (new.len() as u64 - stored);
    let new_acked = acked.max(batch.last_seq.0);
    let stmt = tx
        .prepare_cached(
            "UPDATE agent_streams SET acked_seq = $1, dropped_events = dropped_events + $2
             WHERE id = $3 AND tenant_id = $4",
        )
        .await?;
    let dropped_now = to_i64("dropped count", dropped_after(batch, acked))?;
    tx.execute(
        &stmt,
        &[
            &to_i64("sequence", new_acked)?,
            &dropped_now,
            &stream_id,
            &owner.tenant,
        ],
    )
    .await?;
    let report = &batch.buffer;
    let stmt = tx
        .prepare_cached(
            "UPDATE agents SET last_contact_at = $1, events_received = events_received + $2,
                    unknown_kind_events = unknown_kind_events + $3, reported_depth = $4,
                    reported_dropped = $5, reported_refused = $6,
                    clock_offset_ms = COALESCE($9, clock_offset_ms),
                    clock_measured_at = CASE WHEN $9::bigint IS NULL THEN clock_measured_at ELSE $1 END,
                    clock_correction_ms = $10, future_events = future_events + $11
             WHERE id = $7 AND tenant_id = $8",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &now,
            &to_i64("stored count", stored)?,
            &to_i64("unknown count", unknown)?,
            &to_i64("buffer depth", report.depth)?,
            &to_i64("dropped total", report.dropped_total)?,
            &to_i64("refused total", report.refused_total)?,
            &owner.agent,
            &owner.tenant,
            &batch.clock_offset_ms,
            &correction,
            &to_i64("future count", future)?,
        ],
    )
    .await?;
    if future > 0 {
        tx.execute(
            "INSERT INTO agent_anomalies (tenant_id, agent_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5)",
            &[
                &owner.tenant,
                &owner.agent,
                &now,
                &EVENTS_FROM_THE_FUTURE,
                &future_detail(batch, future, correction),
            ],
        )
        .await?;
    }
    Ok(Ok(IngestOutcome {
        acked_seq: Seq(new_acked),
        stored,
        duplicates,
        future,
    }))
}

/// Locks the agent, then finds the stream of the batch's incarnation and
/// what is stored in it, creating it on first sight (and flagging a new
/// incarnation of a known agent). Returns (stream, acked_seq, the clock
/// correction applied to the agent so far).
///
/// The agent row is the one lock of a batch, taken first: every batch of an
/// agent, whichever incarnation, waits for the one before. Locking the
/// stream row instead leaves the first batches of a new incarnation without
/// a row to lock, and taking the agent lock then deadlocks against a batch
/// that holds the stream and wants the agent (the suite's concurrency case
/// found it). The stream is read by a second statement, pipelined behind the
/// lock: in READ COMMITTED each statement sees what committed before it
/// started, so it sees a stream created by the batch we waited for.
async fn stream_for(
    tx: &Transaction<'_>,
    owner: Owner,
    batch: &IngestBatch,
    now: i64,
) -> Result<(i64, u64, i64), StoreError> {
    let incarnation = batch.incarnation.0;
    let (lock, select) = tokio::try_join!(
        tx.prepare_cached("SELECT current_stream, clock_correction_ms FROM agents WHERE id = $1 AND tenant_id = $2 FOR UPDATE"),
        tx.prepare_cached(
            "SELECT id, acked_seq FROM agent_streams WHERE tenant_id = $1 AND agent_id = $2 AND incarnation = $3"
        ),
    )?;
    let (lock_params, select_params) = (
        [&owner.agent as _, &owner.tenant as _],
        [&owner.tenant as _, &owner.agent as _, &incarnation as _],
    );
    let (agent, stream) = tokio::try_join!(
        tx.query_opt(&lock, &lock_params),
        tx.query_opt(&select, &select_params),
    )?;
    let agent = agent.ok_or_else(|| StoreError::NotFound {
        what: "agent",
        name: owner.agent.to_string(),
    })?;
    let applied: i64 = agent.try_get(1)?;
    if let Some(stream) = stream {
        return Ok((stream.try_get(0)?, to_u64(stream.try_get(1)?), applied));
    }
    let previous: Option<i64> = agent.try_get(0)?;
    let stream_id: i64 = tx
        .query_one(
            "INSERT INTO agent_streams (tenant_id, agent_id, incarnation, first_seen_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&owner.tenant, &owner.agent, &incarnation, &now],
        )
        .await?
        .try_get(0)?;
    tx.execute(
        "UPDATE agents SET current_stream = $1 WHERE id = $2 AND tenant_id = $3",
        &[&stream_id, &owner.agent, &owner.tenant],
    )
    .await?;
    if previous.is_some() {
        tx.execute(
            "INSERT INTO agent_anomalies (tenant_id, agent_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5)",
            &[
                &owner.tenant,
                &owner.agent,
                &now,
                &NEW_INCARNATION,
                &new_incarnation_detail(batch),
            ],
        )
        .await?;
    }
    Ok((stream_id, 0, applied))
}

/// The first event at or below `acked_seq` that is not the one stored: a
/// different id at its number, or no row at its number and its id stored
/// nowhere in the tenant. (No row at the number but the id stored elsewhere
/// means the agent held the event twice and the hub kept it once: a retry.)
async fn first_disagreement(
    tx: &Transaction<'_>,
    owner: Owner,
    stream_id: i64,
    old: &[&IngestEvent],
) -> Result<Option<Seq>, StoreError> {
    if old.is_empty() {
        return Ok(None);
    }
    let seqs = old
        .iter()
        .map(|e| to_i64("sequence", e.seq.0))
        .collect::<Result<Vec<i64>, _>>()?;
    let stmt = tx
        .prepare_cached(
            "SELECT seq, event_id FROM events WHERE tenant_id = $1 AND stream_id = $2 AND seq = ANY($3)",
        )
        .await?;
    let mut at_seq = HashMap::with_capacity(old.len());
    for row in tx.query(&stmt, &[&owner.tenant, &stream_id, &seqs]).await? {
        at_seq.insert(to_u64(row.try_get(0)?), row.try_get::<_, Uuid>(1)?);
    }
    let missing: Vec<Uuid> = old
        .iter()
        .filter(|e| !at_seq.contains_key(&e.seq.0))
        .map(|e| Uuid::from_bytes(e.event_id))
        .collect();
    let mut stored_ids = HashSet::new();
    if !missing.is_empty() {
        let stmt = tx
            .prepare_cached("SELECT event_id FROM events WHERE tenant_id = $1 AND event_id = ANY($2)")
            .await?;
        for row in tx.query(&stmt, &[&owner.tenant, &missing]).await? {
            stored_ids.insert(row.try_get::<_, Uuid>(0)?);
        }
    }
    Ok(old
        .iter()
        .find(|e| {
            let id = Uuid::from_bytes(e.event_id);
            match at_seq.get(&e.seq.0) {
                Some(stored) => *stored != id,
                None => !stored_ids.contains(&id),
            }
        })
        .map(|e| e.seq))
}

/// Takes the tenant's event-log lock for the rest of the transaction.
///
/// Why: the projection reads a tenant's log by row id after its cursor and
/// moves the cursor to the last id it read. Row ids are handed out when a
/// row is inserted but become visible when its transaction commits; without
/// this lock two agents' batches could commit out of id order, a step could
/// read the later one and move its cursor past the earlier one, which would
/// then appear below the cursor and never be booked. Under the lock, taken
/// just before the insert and held to the commit, a tenant's batches take
/// their ids and commit one at a time, so a tenant's rows become visible in
/// id order: a snapshot that sees a row sees every row of the tenant with a
/// smaller id (PostgreSQL makes a transaction visible before it releases its
/// locks). Agents of other tenants do not wait for each other; an agent's
/// batches already wait for each other (the agent row lock, taken first, so
/// the two locks are always taken in the same order and cannot deadlock).
async fn lock_tenant_log(tx: &Transaction<'_>, owner: Owner) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1, hashtext($2::text))")
        .await?;
    tx.execute(&stmt, &[&TENANT_LOG_LOCK_CLASS, &owner.tenant.to_string()])
        .await?;
    Ok(())
}

/// The first key of the tenants' event-log advisory locks (the second is a
/// hash of the tenant id): "MESL" in ASCII, apart from any other lock.
const TENANT_LOG_LOCK_CLASS: i32 = 0x4d45_534c;

/// Inserts `new` in one statement, dated in hub time (`correction` added);
/// returns how many were stored (the rest were stored before under another
/// number), how many of those are of kinds this hub does not know, and how
/// many are dated in the future.
async fn insert_events(
    tx: &Transaction<'_>,
    owner: Owner,
    stream_id: i64,
    new: &[&IngestEvent],
    now: i64,
    correction: i64,
) -> Result<(u64, u64, u64), StoreError> {
    if new.is_empty() {
        return Ok((0, 0, 0));
    }
    let seqs = new
        .iter()
        .map(|e| to_i64("sequence", e.seq.0))
        .collect::<Result<Vec<i64>, _>>()?;
    let ids: Vec<Uuid> = new.iter().map(|e| Uuid::from_bytes(e.event_id)).collect();
    let kinds: Vec<&str> = new.iter().map(|e| e.kind.as_str()).collect();
    let known: Vec<bool> = new.iter().map(|e| e.known).collect();
    let occurred: Vec<i64> = new
        .iter()
        .map(|e| e.occurred_at.saturating_add(correction))
        .collect();
    let raws: Vec<&str> = new.iter().map(|e| e.raw.as_str()).collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO events (tenant_id, stream_id, seq, event_id, kind, known_kind, occurred_at, received_at, raw)
             SELECT $1, $2, t.seq, t.event_id, t.kind, t.known_kind, t.occurred_at, $3, t.raw
             FROM UNNEST($4::bigint[], $5::uuid[], $6::text[], $7::boolean[], $8::bigint[], $9::text[])
                  AS t (seq, event_id, kind, known_kind, occurred_at, raw)
             ORDER BY t.seq
             ON CONFLICT (tenant_id, event_id) DO NOTHING
             RETURNING known_kind, occurred_at",
        )
        .await?;
    let rows = tx
        .query(
            &stmt,
            &[
                &owner.tenant,
                &stream_id,
                &now,
                &seqs,
                &ids,
                &kinds,
                &known,
                &occurred,
                &raws,
            ],
        )
        .await?;
    let (mut unknown, mut future) = (0u64, 0u64);
    for row in &rows {
        unknown += u64::from(!row.try_get::<_, bool>(0)?);
        future += u64::from(from_the_future(row.try_get(1)?, now));
    }
    Ok((rows.len() as u64, unknown, future))
}

//! The sync pipeline taken apart in one process, to see where the time of
//! an end-to-end sync goes: the same code the uplink and the hub run (read
//! a batch from the buffer, encode, gzip, inflate and decode, store, commit
//! the acknowledgement), each stage timed on its own, without HTTP.
//!
//! The same decoded rows are also inserted with a plain prepared INSERT into
//! a second hub database: the raw hub-side insert rate, the reference for
//! the end-to-end figure.

use anyhow::{Context, anyhow};
use cloud_hub::ingest::{IngestBatch, parse_body};
use cloud_hub::store::Store;
use edge_agent::buffer::{Buffer, BufferSettings};
use mes_protocols::wire::{BatchHeader, BufferReport, SCHEMA_VERSION, encode_batch, gzip};
use mes_protocols::{Seq, Timestamp};
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::{Duration, Instant};

/// Time spent in each stage over the whole buffer.
#[derive(Debug, Clone, Default)]
pub struct StageTimes {
    /// Events carried.
    pub events: u64,
    /// Batches sent.
    pub batches: u64,
    /// Batch JSON bytes before gzip.
    pub json_bytes: u64,
    /// Batch bytes after gzip.
    pub gzip_bytes: u64,
    /// Agent: `BatchReader::next_batch`.
    pub read: Duration,
    /// Agent: `encode_batch`.
    pub encode: Duration,
    /// Agent: `gzip`.
    pub gzip: Duration,
    /// Hub: `parse_body` (inflate, decode, check).
    pub parse: Duration,
    /// Hub: `Store::ingest` (one transaction and fsync per batch).
    pub store: Duration,
    /// Agent: `Buffer::ack` (delete acknowledged rows, one fsync).
    pub ack: Duration,
    /// Reference: plain INSERT of the same rows, one transaction per batch.
    pub raw_hub_insert: Duration,
}

impl StageTimes {
    /// The stages one batch goes through in turn on the real path.
    pub fn pipeline(&self) -> Duration {
        self.read + self.encode + self.gzip + self.parse + self.store + self.ack
    }

    /// Each stage with its name, in pipeline order.
    pub fn named(&self) -> [(&'static str, Duration); 6] {
        [
            ("agent: read batch from buffer", self.read),
            ("agent: encode_batch", self.encode),
            ("agent: gzip", self.gzip),
            ("hub: parse_body (gunzip+decode)", self.parse),
            ("hub: Store::ingest (txn+fsync)", self.store),
            ("agent: Buffer::ack (delete+fsync)", self.ack),
        ]
    }
}

/// Runs every batch of the buffer file at `buffer_file` (a copy: it ends
/// empty) through the pipeline into a fresh hub database in `hub_dir`.
pub fn run(
    rt: &tokio::runtime::Runtime,
    buffer_file: &Path,
    hub_dir: &Path,
    batch_size: usize,
) -> anyhow::Result<StageTimes> {
    let store = Store::open_sqlite(&hub_dir.join("stages-hub.db"))?;
    store.create_tenant("bench")?;
    store.create_site("bench", "plant-1")?;
    let agent = store.create_agent("bench", "plant-1", "bench-agent")?;
    let auth = rt
        .block_on(store.agent_by_token(&agent.token))?
        .context("the agent just created authenticates")?;
    let (buffer, writer) = Buffer::open(BufferSettings::unbounded(buffer_file.to_path_buf()))?;
    let incarnation = buffer
        .stats()
        .incarnation()
        .context("an open buffer has an incarnation")?;
    let mut reader = buffer.reader()?;
    let max_inflated = cloud_hub::config::IngestConfig::default().max_inflated_bytes;
    let mut t = StageTimes::default();
    let mut acked = Seq(0);
    // Kept for the raw insert afterwards, which must not share the disk
    // with the stages it is compared with (compressed, they are small).
    let mut bodies = Vec::new();
    loop {
        let clock = Instant::now();
        let Some(pending) = reader.next_batch(acked, batch_size)? else {
            break;
        };
        t.read += clock.elapsed();
        let header = BatchHeader {
            schema_version: SCHEMA_VERSION,
            agent_id: agent.agent_id,
            incarnation,
            first_seq: pending.first,
            last_seq: pending.last,
            dropped: pending.dropped.clone(),
            buffer: BufferReport::default(),
            sent_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        };
        let clock = Instant::now();
        let json = encode_batch(&header, pending.events.iter().map(|(s, r)| (*s, r.as_str())));
        t.encode += clock.elapsed();
        let clock = Instant::now();
        let body = gzip(&json);
        t.gzip += clock.elapsed();
        let clock = Instant::now();
        let batch = parse_body(&body, true, max_inflated)?;
        t.parse += clock.elapsed();
        t.events += batch.events.len() as u64;
        t.batches += 1;
        t.json_bytes += json.len() as u64;
        t.gzip_bytes += body.len() as u64;
        bodies.push(body);
        let clock = Instant::now();
        let outcome = rt
            .block_on(store.ingest(auth.clone(), batch))?
            .map_err(|rejected| anyhow!("the hub rejected a benchmark batch: {rejected:?}"))?;
        t.store += clock.elapsed();
        let clock = Instant::now();
        rt.block_on(buffer.ack(outcome.acked_seq))?;
        t.ack += clock.elapsed();
        acked = outcome.acked_seq;
    }
    drop(reader);
    drop(buffer);
    writer.join();
    let mut raw = RawHub::open(&hub_dir.join("raw-hub.db"))?;
    for body in bodies {
        let batch = parse_body(&body, true, max_inflated)?;
        let clock = Instant::now();
        raw.insert(&auth.tenant_id.to_string(), &batch)?;
        t.raw_hub_insert += clock.elapsed();
    }
    Ok(t)
}

/// A hub database written with plain INSERTs, for the reference rate.
struct RawHub {
    conn: Connection,
}

impl RawHub {
    fn open(path: &Path) -> anyhow::Result<Self> {
        // The store creates the schema; the inserts then bypass it.
        drop(Store::open_sqlite(path)?);
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(Self { conn })
    }

    fn insert(&mut self, tenant_id: &str, batch: &IngestBatch) -> anyhow::Result<()> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (tenant_id, stream_id, seq, event_id, kind, known_kind, occurred_at, received_at, raw)
                 VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for ev in &batch.events {
                insert.execute(params![
                    tenant_id,
                    ev.seq.0,
                    &ev.event_id[..],
                    ev.kind,
                    ev.known,
                    ev.occurred_at,
                    now,
                    ev.raw
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

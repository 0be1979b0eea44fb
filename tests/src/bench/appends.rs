//! Durable buffer appends from concurrent producers, and the raw SQLite
//! insert rate on the same kind of file as the reference.
//!
//! Both sides use a real file with WAL and `synchronous=FULL`, so every
//! commit costs one fsync of the WAL. The buffer commits when its producers
//! ask (group commit gathers what queued up meanwhile); the raw ceiling
//! commits whenever it likes. The difference between the two is therefore
//! mostly "events per commit", which is why [`raw_insert`] can also run at
//! the buffer's measured commit size.

use super::draft;
use anyhow::Context;
use edge_agent::buffer::{Buffer, BufferSettings, BufferStats};
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::{Duration, Instant};

/// One run of producers appending to a fresh buffer file.
#[derive(Debug, Clone)]
pub struct AppendRun {
    /// Events committed.
    pub events: u64,
    /// Transactions the writer committed.
    pub commits: u64,
    /// Wall time from the first append to the last reply.
    pub elapsed: Duration,
}

impl AppendRun {
    /// Committed events per second.
    pub fn rate(&self) -> f64 {
        super::rate(self.events, self.elapsed)
    }

    /// Mean events per transaction (the group-commit size reached).
    pub fn events_per_commit(&self) -> f64 {
        self.events as f64 / self.commits.max(1) as f64
    }
}

/// Runs `producers` tokio tasks that each append `batch` events per request
/// through [`Buffer`] until `duration` has passed, on a fresh file in `dir`.
pub async fn buffer_appends(
    dir: &Path,
    producers: usize,
    batch: usize,
    duration: Duration,
) -> anyhow::Result<AppendRun> {
    let path = dir.join(format!("appends-{producers}x{batch}.db"));
    let (buffer, writer) =
        Buffer::open(BufferSettings::unbounded(path.clone())).context("opening the benchmark buffer")?;
    let commits_before = BufferStats::get(&buffer.stats().commits_total);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for p in 0..producers {
        let buffer = buffer.clone();
        tasks.spawn(async move {
            let mut committed = 0u64;
            let mut n = (p as u64) << 32;
            while Instant::now() < deadline {
                let drafts: Vec<_> = (0..batch as u64).map(|i| draft(n + i)).collect();
                n += batch as u64;
                committed += buffer.append(&drafts).await?.committed.len() as u64;
            }
            anyhow::Ok(committed)
        });
    }
    let mut events = 0;
    while let Some(joined) = tasks.join_next().await {
        events += joined.context("producer task panicked")??;
    }
    let elapsed = started.elapsed();
    let commits = BufferStats::get(&buffer.stats().commits_total) - commits_before;
    drop(buffer);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .context("joining the buffer writer")?;
    remove_db(&path);
    Ok(AppendRun {
        events,
        commits,
        elapsed,
    })
}

/// The buffer's table, as in `edge-agent/migrations/0001_buffer.sql`.
const BUFFER_TABLE: &str = "
    CREATE TABLE events (
        seq         INTEGER PRIMARY KEY,
        occurred_at INTEGER NOT NULL,
        droppable   INTEGER NOT NULL,
        record      TEXT NOT NULL
    );
    CREATE INDEX events_droppable ON events (seq) WHERE droppable = 1;";

/// A raw insert run.
#[derive(Debug, Clone, Copy)]
pub struct RawRun {
    /// Rows inserted.
    pub rows: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl RawRun {
    /// Rows per second.
    pub fn rate(&self) -> f64 {
        super::rate(self.rows, self.elapsed)
    }
}

/// Inserts rows carrying `record` into a fresh file at `path` with the
/// buffer's pragmas and table, `txn_rows` per transaction through one
/// prepared statement, until `max_rows` are in or `max_time` has passed.
pub fn raw_insert(
    path: &Path,
    record: &str,
    txn_rows: usize,
    max_rows: u64,
    max_time: Duration,
) -> anyhow::Result<RawRun> {
    let mut conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(BUFFER_TABLE)?;
    let occurred_at = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let started = Instant::now();
    let mut seq = 0u64;
    while seq < max_rows && started.elapsed() < max_time {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (seq, occurred_at, droppable, record) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for _ in 0..(txn_rows as u64).min(max_rows - seq) {
                seq += 1;
                insert.execute(params![seq, occurred_at, false, record])?;
            }
        }
        tx.commit()?;
    }
    let elapsed = started.elapsed();
    drop(conn);
    remove_db(path);
    Ok(RawRun { rows: seq, elapsed })
}

/// Removes a SQLite file and its WAL companions (best effort: the files are
/// in a temporary directory that goes away anyway).
pub fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

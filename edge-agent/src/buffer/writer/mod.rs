//! The single writer of the buffer file, on its own OS thread.
//!
//! Group commit: the writer takes the first waiting command, then every
//! command that queued up meanwhile (up to `MAX_GROUP`), and commits them all
//! in one transaction with one fsync. Under load the queue fills while the
//! previous fsync runs, so throughput grows with the number of producers
//! instead of collapsing to one fsync per event. Replies go out only after
//! the commit returned.
//!
//! A group that fails for a full disk still records the hub's
//! acknowledgements it carried, alone, with the disk reserve's space
//! (`upkeep.rs`), because deleting acknowledged events is the only way
//! space comes back.

mod upkeep;

use super::overflow::Capacity;
use super::reserve::Reserve;
use super::schema::{Meta, save_meta};
use super::space::{Gauge, ROW_OVERHEAD};
use super::stats::BufferStats;
use super::{AppendReceipt, BufferError, BufferSettings, Command, PreparedEvent, StateUpdate, sqlite_reason};
use mes_protocols::{Incarnation, Seq};
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc;

/// Most commands committed in one transaction.
const MAX_GROUP: usize = 512;

pub(super) struct Writer {
    pub(super) conn: Connection,
    pub(super) state: State,
    pub(super) stats: Arc<BufferStats>,
    pub(super) gauge: Gauge,
    pub(super) reserve: Reserve,
}

/// What the writer keeps in memory; restored from a copy when a commit fails.
#[derive(Clone)]
pub(super) struct State {
    pub(super) meta: Meta,
    pub(super) capacity: Capacity,
    /// Rows in the events table, kept in memory (COUNT(*) is a full scan).
    pub(super) depth: u64,
    /// Rows deleted (acknowledged or dropped) since start.
    pub(super) deleted: u64,
}

pub(super) enum Reply {
    Append(
        tokio::sync::oneshot::Sender<Result<AppendReceipt, BufferError>>,
        AppendReceipt,
    ),
    /// An acknowledgement and the number it records.
    Ack(tokio::sync::oneshot::Sender<Result<(), BufferError>>, Seq),
    Side(
        tokio::sync::oneshot::Sender<Result<(), BufferError>>,
        Option<String>,
    ),
}

impl Writer {
    pub(super) fn new(
        conn: Connection,
        meta: Meta,
        settings: BufferSettings,
        stats: Arc<BufferStats>,
    ) -> rusqlite::Result<Self> {
        let depth: u64 = conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
        let mut writer = Writer {
            conn,
            state: State {
                meta,
                capacity: Capacity::new(settings.max_bytes, settings.min_free_bytes, settings.policy),
                depth,
                deleted: 0,
            },
            stats,
            gauge: Gauge::new(&settings.path),
            reserve: Reserve::new(&settings.path, settings.reserve_bytes),
        };
        writer.upkeep(false);
        writer.publish_stats(true)?;
        Ok(writer)
    }

    pub(super) fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        while let Some(first) = rx.blocking_recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(cmd) => group.push(cmd),
                    Err(_) => break,
                }
            }
            self.commit_group(group);
        }
        tracing::debug!("buffer writer: all handles dropped, closing the file");
    }

    fn commit_group(&mut self, group: Vec<Command>) {
        let mut pending = Vec::with_capacity(group.len());
        let mut rotations = Vec::new();
        match self.gauge.measure(&self.conn) {
            Ok(space) => self.state.capacity.measured(&space),
            Err(e) => tracing::warn!(error = %e, "cannot measure the buffer file"),
        }
        let saved = self.state.clone();
        let result = (|| -> rusqlite::Result<()> {
            let tx = self.conn.unchecked_transaction()?;
            for cmd in group {
                match cmd {
                    Command::Append { events, state, reply } => {
                        let receipt = self.state.append(&tx, &self.gauge, events)?;
                        save_state(&tx, &state)?;
                        pending.push(Reply::Append(reply, receipt));
                    }
                    Command::Ack { upto, reply } => {
                        self.state.ack(&tx, upto)?;
                        pending.push(Reply::Ack(reply, upto));
                    }
                    Command::Rotate { reply } => rotations.push(reply),
                    Command::SideWrite { work, reply } => {
                        pending.push(Reply::Side(reply, side_write(&tx, work)?));
                    }
                }
            }
            save_meta(&tx, Some(&saved.meta), &self.state.meta)?;
            tx.commit()
        })();
        let mut acked_alone = None;
        if let Err(e) = &result {
            tracing::error!(error = %e, "buffer commit failed; the producers are told nothing was stored");
            self.stats.commit_errors_total.fetch_add(1, Ordering::Relaxed);
            self.stats.set_commit_error(Some(sqlite_reason(e)));
            self.state = saved.clone();
            if upkeep::is_disk_full(e) {
                acked_alone = self.record_acks_alone(&pending);
            }
        } else {
            self.stats.commits_total.fetch_add(1, Ordering::Relaxed);
            self.stats.set_commit_error(None);
        }
        self.upkeep(self.state.deleted - saved.deleted >= upkeep::LARGE_DELETE_ROWS);
        let head_moved = !rotations.is_empty()
            || saved.depth == 0
            || saved.meta.acked_seq != self.state.meta.acked_seq
            || saved.meta.dropped_total != self.state.meta.dropped_total;
        for reply in rotations {
            let _ = reply.send(self.rotate());
        }
        // Counters first, replies second: whoever hears "stored" sees it counted.
        if let Err(e) = self.publish_stats(head_moved) {
            tracing::warn!(error = %e, "cannot read buffer statistics");
        }
        for reply in pending {
            match (reply, &result) {
                (Reply::Append(tx, receipt), Ok(())) => {
                    self.stats
                        .appended_total
                        .fetch_add(receipt.committed.len() as u64, Ordering::Relaxed);
                    let _ = tx.send(Ok(receipt));
                }
                (Reply::Ack(tx, _), Ok(())) => drop(tx.send(Ok(()))),
                (Reply::Ack(tx, upto), Err(_)) if acked_alone.is_some_and(|a| a >= upto) => {
                    drop(tx.send(Ok(())))
                }
                (Reply::Side(tx, None), Ok(())) => drop(tx.send(Ok(()))),
                (Reply::Side(tx, Some(e)), _) => drop(tx.send(Err(BufferError::Commit(e)))),
                (Reply::Side(tx, None), Err(e)) => drop(tx.send(Err(BufferError::Commit(e.to_string())))),
                (Reply::Append(tx, _), Err(e)) => drop(tx.send(Err(BufferError::Commit(e.to_string())))),
                (Reply::Ack(tx, _), Err(e)) => drop(tx.send(Err(BufferError::Commit(e.to_string())))),
            }
        }
        self.stats.new_events.notify_waiters();
    }

    /// Renumbers the unacknowledged events from 1 under a new incarnation,
    /// in one transaction. Sequence numbers go through negative values so
    /// no intermediate state collides with an existing key.
    fn rotate(&mut self) -> Result<Incarnation, BufferError> {
        let offset = self.state.meta.acked_seq as i64;
        let fresh = Incarnation::new_v7();
        let mut meta = self.state.meta;
        meta.incarnation = fresh;
        meta.last_seq -= self.state.meta.acked_seq;
        meta.acked_seq = 0;
        let result = (|| -> rusqlite::Result<()> {
            let tx = self.conn.unchecked_transaction()?;
            tx.execute("UPDATE events SET seq = -seq", [])?;
            tx.execute("UPDATE events SET seq = -seq - ?1", [offset])?;
            tx.execute(
                "UPDATE dropped_ranges SET first_seq = -first_seq, last_seq = last_seq - ?1",
                [offset],
            )?;
            tx.execute("UPDATE dropped_ranges SET first_seq = -first_seq - ?1", [offset])?;
            save_meta(&tx, None, &meta)?;
            tx.commit()
        })();
        match result {
            Ok(()) => {
                tracing::warn!(old = %self.state.meta.incarnation, new = %fresh, "buffer started a new incarnation");
                self.state.meta = meta;
                Ok(fresh)
            }
            Err(e) => Err(BufferError::Commit(e.to_string())),
        }
    }

    /// Publishes the counters; `head_moved` says the first event in line may
    /// have changed (it only does when events left, or arrived in an empty
    /// buffer), so the common append-only group skips the query.
    pub(super) fn publish_stats(&self, head_moved: bool) -> rusqlite::Result<()> {
        let s = &self.stats;
        if head_moved || self.state.depth == 0 {
            // The first event in line is the oldest unsynced one (by commit order).
            let oldest: i64 = self
                .conn
                .prepare_cached("SELECT occurred_at FROM events ORDER BY seq LIMIT 1")?
                .query_row([], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            s.oldest_occurred_ms.store(oldest, Ordering::Relaxed);
        }
        s.depth.store(self.state.depth, Ordering::Relaxed);
        s.last_seq.store(self.state.meta.last_seq, Ordering::Relaxed);
        s.acked_seq.store(self.state.meta.acked_seq, Ordering::Relaxed);
        s.dropped_total
            .store(self.state.meta.dropped_total, Ordering::Relaxed);
        s.refused_total
            .store(self.state.meta.refused_total, Ordering::Relaxed);
        *s.incarnation.lock().unwrap_or_else(|p| p.into_inner()) = Some(self.state.meta.incarnation);
        Ok(())
    }
}

impl State {
    fn append(
        &mut self,
        tx: &Connection,
        gauge: &Gauge,
        events: Vec<PreparedEvent>,
    ) -> rusqlite::Result<AppendReceipt> {
        let mut receipt = AppendReceipt::default();
        for event in events {
            let size = event.record.len() as u64 + ROW_OVERHEAD;
            let (room, dropped) =
                self.capacity
                    .make_room(tx, gauge, size, event.droppable, &mut self.meta)?;
            self.depth -= dropped;
            self.deleted += dropped;
            if !room {
                self.meta.refused_total += 1;
                receipt.refused.push(event.id);
                continue;
            }
            self.meta.last_seq += 1;
            let seq = self.meta.last_seq;
            tx.prepare_cached(
                "INSERT INTO events (seq, occurred_at, droppable, record) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![seq, event.occurred_at_ms, event.droppable, event.record])?;
            self.depth += 1;
            receipt.committed.push((event.id, Seq(seq)));
        }
        Ok(receipt)
    }

    pub(super) fn ack(&mut self, tx: &Connection, upto: Seq) -> rusqlite::Result<()> {
        // The hub can only acknowledge numbers this buffer assigned.
        let upto = upto.0.min(self.meta.last_seq);
        if upto <= self.meta.acked_seq {
            return Ok(());
        }
        let deleted = tx
            .prepare_cached("DELETE FROM events WHERE seq <= ?1")?
            .execute([upto])?;
        self.depth -= deleted as u64;
        self.deleted += deleted as u64;
        tx.prepare_cached("DELETE FROM dropped_ranges WHERE last_seq <= ?1")?
            .execute([upto])?;
        tx.prepare_cached("UPDATE dropped_ranges SET first_seq = ?1 + 1 WHERE first_seq <= ?1")?
            .execute([upto])?;
        self.meta.acked_seq = upto;
        Ok(())
    }
}

/// Runs side work under its own savepoint: its failure rolls back only its
/// changes (`Some(error)`); an `Err` here is a failure of the savepoint
/// statements themselves, which fails the group.
fn side_write(tx: &Connection, work: super::SideWork) -> rusqlite::Result<Option<String>> {
    tx.execute_batch("SAVEPOINT side_write")?;
    match work(tx) {
        Ok(()) => {
            tx.execute_batch("RELEASE side_write")?;
            Ok(None)
        }
        Err(e) => {
            tx.execute_batch("ROLLBACK TO side_write; RELEASE side_write")?;
            Ok(Some(e.to_string()))
        }
    }
}

fn save_state(tx: &Connection, updates: &[StateUpdate]) -> rusqlite::Result<()> {
    for update in updates {
        match &update.value {
            Some(value) => tx
                .prepare_cached("INSERT OR REPLACE INTO agent_state (key, value) VALUES (?1, ?2)")?
                .execute(params![update.key, value])?,
            None => tx
                .prepare_cached("DELETE FROM agent_state WHERE key = ?1")?
                .execute([&update.key])?,
        };
    }
    Ok(())
}

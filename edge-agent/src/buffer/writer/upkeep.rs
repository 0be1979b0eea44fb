//! Keeping room on disk for the buffer to make progress: recording the hub's
//! acknowledgements when the disk is full, shrinking the WAL, and keeping
//! the reserve (`reserve.rs`) in place.
//!
//! On a full disk a group commit fails with SQLITE_FULL. Its appends are
//! lost to their producers (they were told nothing was stored), but its
//! acknowledgements are what frees space: the writer releases the reserve
//! and commits them alone; if even that does not fit, it records a shorter
//! prefix (the uplink sends the rest again and the hub acknowledges it as
//! already stored). Then a TRUNCATE checkpoint hands the WAL's space back to
//! the filesystem, and the deleted rows' pages are reused by new events.

use super::{Reply, Writer};
use crate::buffer::schema::save_meta;
use crate::buffer::space::{Space, wal_over_budget};
use mes_protocols::Seq;
use std::sync::atomic::Ordering;

/// Deleting at least this many rows in one commit is followed by a
/// TRUNCATE checkpoint, so the space of a drained backlog goes back to the
/// filesystem at once.
pub(super) const LARGE_DELETE_ROWS: u64 = 1000;

/// Whether a SQLite error means the disk (or the file size limit) is full.
pub(super) fn is_disk_full(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull)
}

impl Writer {
    /// Commits the acknowledgements among `pending` (of a group that failed
    /// for a full disk) on their own, with the reserve's space. Returns the
    /// number recorded, if any.
    pub(super) fn record_acks_alone(&mut self, pending: &[Reply]) -> Option<Seq> {
        let upto = pending
            .iter()
            .filter_map(|r| match r {
                Reply::Ack(_, upto) => Some(*upto),
                _ => None,
            })
            .max()?;
        self.reserve.release();
        let mut target = upto.0.min(self.state.meta.last_seq);
        loop {
            let acked = self.state.meta.acked_seq;
            if target <= acked {
                return None;
            }
            let saved = self.state.clone();
            match self.commit_ack(Seq(target)) {
                Ok(()) => {
                    tracing::warn!(
                        acked = target,
                        of = upto.0,
                        "disk full: recorded the hub's acknowledgement on its own"
                    );
                    self.stats.commits_total.fetch_add(1, Ordering::Relaxed);
                    self.checkpoint();
                    return Some(Seq(target));
                }
                Err(e) if is_disk_full(&e) && target > acked + 1 => {
                    self.state = saved;
                    // Fewer rows, fewer pages to log: try half as many.
                    target = acked + (target - acked) / 2;
                }
                Err(e) => {
                    self.state = saved;
                    tracing::error!(error = %e, "disk full: cannot record even part of the hub's acknowledgement");
                    return None;
                }
            }
        }
    }

    fn commit_ack(&mut self, upto: Seq) -> rusqlite::Result<()> {
        let before = self.state.meta;
        let tx = self.conn.unchecked_transaction()?;
        self.state.ack(&tx, upto)?;
        save_meta(&tx, Some(&before), &self.state.meta)?;
        tx.commit()
    }

    /// After each group: checkpoint and truncate the WAL when it is large
    /// for the room left or after a large delete, put the reserve back when
    /// the disk has room for it, and publish the space figures.
    pub(super) fn upkeep(&mut self, large_delete: bool) {
        let limits = (self.state.capacity.max_bytes(), self.state.capacity.min_free());
        let space = Space {
            wal: self.gauge.wal_bytes(),
            disk_free: self.gauge.disk_free(),
            ..Space::default()
        };
        if space.wal > 0 && (large_delete || wal_over_budget(&space, limits.0, limits.1)) {
            self.checkpoint();
        }
        let measured = self.gauge.measure(&self.conn);
        let disk_free = measured.as_ref().map_or(space.disk_free, |s| s.disk_free);
        self.reserve.refill(disk_free, limits.1);
        let s = &self.stats;
        if let Ok(m) = measured {
            s.bytes.store(m.footprint(), Ordering::Relaxed);
        }
        s.disk_free_bytes.store(disk_free, Ordering::Relaxed);
        s.reserve_held.store(self.reserve.held(), Ordering::Relaxed);
    }

    /// Copies the WAL into the database and truncates it to zero bytes. A
    /// reader in the middle of a batch can make it incomplete; the next one
    /// finishes the job.
    fn checkpoint(&self) {
        let result = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0));
        match result {
            Ok(0) => {}
            Ok(_) => tracing::debug!("WAL checkpoint incomplete (a reader was active)"),
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

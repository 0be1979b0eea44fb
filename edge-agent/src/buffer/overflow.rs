//! The size limit and the overflow policy. Two bounds, both on what the
//! buffer really takes on disk (`space.rs`): its footprint (database pages
//! in use + WAL) stays under `max_size_mb`, and the filesystem keeps
//! `min_free_mb` free. An event that would cross either bound makes room
//! first: under `drop_oldest_telemetry` the oldest unsynced process samples
//! are deleted (for any event, so a state event never takes the disk while
//! telemetry could have made room); what still does not fit is refused if it
//! is telemetry and stored anyway if it is not. Under `refuse_telemetry`
//! nothing is deleted and only telemetry is refused.
//!
//! The writer measures at the start of each group and adds an estimate per
//! event; after dropping it measures again inside the transaction.

use super::config::OverflowPolicy;
use super::schema::Meta;
use super::space::{Gauge, ROW_OVERHEAD, Space};
use rusqlite::{Connection, params};

/// When making room, free at least this share of the limit at once (within
/// 64 KiB-1 MiB), so a full buffer does not run one DELETE per sample.
const FREE_CHUNK_DIVISOR: u64 = 100;
const FREE_CHUNK_MIN: u64 = 64 * 1024;
const FREE_CHUNK_MAX: u64 = 1024 * 1024;

/// The bounds, the policy, and where the buffer stands against them.
#[derive(Debug, Clone)]
pub(super) struct Capacity {
    max_bytes: u64,
    min_free: u64,
    policy: OverflowPolicy,
    /// Footprint as last measured plus estimates of rows added since.
    footprint: u64,
    /// Room before the free-space floor, likewise.
    headroom: u64,
}

impl Capacity {
    pub(super) fn new(max_bytes: u64, min_free: u64, policy: OverflowPolicy) -> Self {
        Self {
            max_bytes,
            min_free,
            policy,
            footprint: 0,
            headroom: u64::MAX,
        }
    }

    /// Takes a fresh measurement as the starting point.
    pub(super) fn measured(&mut self, space: &Space) {
        self.footprint = space.footprint();
        self.headroom = space.headroom(self.min_free);
    }

    pub(super) fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub(super) fn min_free(&self) -> u64 {
        self.min_free
    }

    fn fits(&self, size: u64) -> bool {
        self.footprint.saturating_add(size) <= self.max_bytes && size <= self.headroom
    }

    /// How many bytes must go for `size` to fit.
    fn shortfall(&self, size: u64) -> u64 {
        let over_limit = self.footprint.saturating_add(size).saturating_sub(self.max_bytes);
        let over_floor = size.saturating_sub(self.headroom);
        over_limit.max(over_floor)
    }

    /// Decides whether an event of `size` bytes is stored, dropping old
    /// telemetry first when the policy says so. Returns whether it is stored
    /// and how many buffered events were dropped to make room.
    pub(super) fn make_room(
        &mut self,
        tx: &Connection,
        gauge: &Gauge,
        size: u64,
        droppable: bool,
        meta: &mut Meta,
    ) -> rusqlite::Result<(bool, u64)> {
        let mut dropped = 0;
        if !self.fits(size) && self.policy == OverflowPolicy::DropOldestTelemetry {
            let chunk = (self.max_bytes / FREE_CHUNK_DIVISOR).clamp(FREE_CHUNK_MIN, FREE_CHUNK_MAX);
            while !self.fits(size) {
                let target = self.shortfall(size).max(chunk);
                let (_, n) = drop_oldest_telemetry(tx, target, meta.acked_seq)?;
                if n == 0 {
                    break;
                }
                dropped += n;
                meta.dropped_total += n;
                // Freed pages show in the free list at once, inside the
                // transaction, as do the pages of rows added in this group.
                self.measured(&gauge.measure(tx)?);
            }
        }
        let stored = self.fits(size) || !droppable;
        if stored {
            self.footprint = self.footprint.saturating_add(size);
            self.headroom = self.headroom.saturating_sub(size);
        }
        Ok((stored, dropped))
    }
}

/// Deletes the oldest droppable events until `target` bytes are freed,
/// recording their numbers in `dropped_ranges`. Returns bytes freed and
/// events dropped.
fn drop_oldest_telemetry(tx: &Connection, target: u64, acked: u64) -> rusqlite::Result<(u64, u64)> {
    let mut stmt = tx.prepare_cached(
        "SELECT seq, length(record) FROM events WHERE droppable = 1 AND seq > ?1 ORDER BY seq LIMIT 10000",
    )?;
    let mut rows = stmt.query([acked])?;
    let mut freed = 0;
    let mut seqs = Vec::new();
    while freed < target
        && let Some(row) = rows.next()?
    {
        let (seq, len): (u64, u64) = (row.get(0)?, row.get(1)?);
        freed += len + ROW_OVERHEAD;
        seqs.push(seq);
    }
    drop(rows);
    let (Some(&first), Some(&last)) = (seqs.first(), seqs.last()) else {
        return Ok((0, 0));
    };
    tx.prepare_cached("DELETE FROM events WHERE droppable = 1 AND seq BETWEEN ?1 AND ?2")?
        .execute(params![first, last])?;
    let mut insert = tx.prepare_cached("INSERT INTO dropped_ranges (first_seq, last_seq) VALUES (?1, ?2)")?;
    for (a, b) in coalesce_ranges(&seqs) {
        insert.execute(params![a, b])?;
    }
    tracing::warn!(
        events = seqs.len(),
        first,
        last,
        "buffer full: dropped the oldest process samples"
    );
    Ok((freed, seqs.len() as u64))
}

/// Turns ascending numbers into inclusive runs: `[1,2,3,7,8]` → `[(1,3),(7,8)]`.
pub(super) fn coalesce_ranges(seqs: &[u64]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &s in seqs {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == s => *last = s,
            _ => out.push((s, s)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::coalesce_ranges;

    #[test]
    fn coalesces_runs() {
        assert_eq!(
            coalesce_ranges(&[1, 2, 3, 7, 8, 10]),
            vec![(1, 3), (7, 8), (10, 10)]
        );
        assert!(coalesce_ranges(&[]).is_empty());
    }
}

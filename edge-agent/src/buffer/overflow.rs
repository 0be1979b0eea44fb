//! The size limit and the overflow policy.
//!
//! Only process-value samples ("telemetry") are ever dropped or refused:
//! state changes, counts, operation, scan and clock events are always
//! stored, even past the limit (the disk, not the policy, is then the bound),
//! because losing them would corrupt stock, costing and OEE. Dropped
//! sequence numbers are recorded as ranges and reported to the hub in the
//! next batch, so the hub knows the gap is deliberate.

use super::schema::Meta;
use crate::config::OverflowPolicy;
use rusqlite::{Connection, params};

/// When making room, free at least this share of the limit at once, so a
/// full buffer does not run one DELETE per incoming sample.
const FREE_CHUNK_DIVISOR: u64 = 100;

/// How many bytes are stored against the limit, and the policy.
#[derive(Debug, Clone)]
pub(super) struct Capacity {
    max_bytes: u64,
    policy: OverflowPolicy,
    stored: u64,
}

impl Capacity {
    pub(super) fn new(max_bytes: u64, policy: OverflowPolicy, stored: u64) -> Self {
        Self {
            max_bytes,
            policy,
            stored,
        }
    }

    pub(super) fn stored(&self) -> u64 {
        self.stored
    }

    pub(super) fn added(&mut self, bytes: u64) {
        self.stored += bytes;
    }

    pub(super) fn removed(&mut self, bytes: u64) {
        self.stored = self.stored.saturating_sub(bytes);
    }

    /// Decides whether an event of `size` bytes may be stored, dropping old
    /// telemetry first when the policy says so. Returns whether there is room
    /// and how many buffered events were dropped to make it.
    pub(super) fn make_room(
        &mut self,
        tx: &Connection,
        size: u64,
        droppable: bool,
        meta: &mut Meta,
    ) -> rusqlite::Result<(bool, u64)> {
        if self.stored + size <= self.max_bytes || !droppable {
            return Ok((true, 0));
        }
        if self.policy == OverflowPolicy::RefuseTelemetry {
            return Ok((false, 0));
        }
        let target = (self.stored + size - self.max_bytes).max(self.max_bytes / FREE_CHUNK_DIVISOR);
        let (freed, dropped) = drop_oldest_telemetry(tx, target, meta.acked_seq)?;
        self.removed(freed);
        meta.dropped_total += dropped;
        Ok((self.stored + size <= self.max_bytes, dropped))
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
        freed += len + super::writer::ROW_OVERHEAD;
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

//! How much disk the buffer takes and how much is left: the numbers the
//! overflow policy (`overflow.rs`), the WAL checkpoints and the reserve
//! (`reserve.rs`) decide on.
//!
//! The footprint is what the buffer holds on disk that only deleting rows
//! can give back: the database pages in use (file pages minus the free list,
//! which SQLite reuses before it grows the file) plus the write-ahead log.
//! Counting event bytes alone missed the WAL, which grew to twice the
//! database on a full disk.

use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Storage cost of a row beyond its record text (key, columns, b-tree),
/// counted by the writer when it stores and the overflow when it frees.
pub(super) const ROW_OVERHEAD: u64 = 40;

/// The smallest WAL worth a checkpoint of its own.
const WAL_MIN_BUDGET: u64 = 64 * 1024;
/// The WAL size that always triggers a checkpoint (about SQLite's own
/// autocheckpoint of 1000 pages, which does not shrink the file).
const WAL_MAX_BUDGET: u64 = 4 * 1024 * 1024;

/// A measurement of the buffer file and its filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Space {
    /// Database pages in use, in bytes.
    pub(super) live: u64,
    /// Pages on the database's free list, in bytes (reused before growing).
    pub(super) reusable: u64,
    /// The WAL file's size.
    pub(super) wal: u64,
    /// Bytes available to us on the filesystem (`statvfs` `f_bavail`).
    pub(super) disk_free: u64,
}

impl Space {
    /// Database pages in use plus the WAL: what `max_size_mb` bounds.
    pub(super) fn footprint(&self) -> u64 {
        self.live + self.wal
    }

    /// Room for new rows before the filesystem falls below `min_free`:
    /// free pages inside the file plus free disk above the floor.
    pub(super) fn headroom(&self, min_free: u64) -> u64 {
        self.reusable + self.disk_free.saturating_sub(min_free)
    }
}

/// Measures the database (through `conn`, inside or outside a transaction)
/// and the filesystem holding it.
pub(super) struct Gauge {
    wal_path: PathBuf,
    dir: PathBuf,
}

impl Gauge {
    pub(super) fn new(path: &Path) -> Self {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self {
            wal_path: PathBuf::from(format!("{}-wal", path.display())),
            dir,
        }
    }

    pub(super) fn measure(&self, conn: &Connection) -> rusqlite::Result<Space> {
        let page =
            |name: &str| -> rusqlite::Result<u64> { conn.pragma_query_value(None, name, |r| r.get(0)) };
        let size = page("page_size")?;
        let pages = page("page_count")?;
        let free = page("freelist_count")?;
        Ok(Space {
            live: pages.saturating_sub(free) * size,
            reusable: free * size,
            wal: self.wal_bytes(),
            disk_free: disk_free(&self.dir),
        })
    }

    pub(super) fn wal_bytes(&self) -> u64 {
        std::fs::metadata(&self.wal_path).map_or(0, |m| m.len())
    }

    pub(super) fn disk_free(&self) -> u64 {
        disk_free(&self.dir)
    }
}

/// Free bytes on the filesystem of `dir` for an unprivileged writer;
/// `u64::MAX` when it cannot be told (then only `max_size_mb` applies).
#[cfg(unix)]
fn disk_free(dir: &Path) -> u64 {
    match rustix::fs::statvfs(dir) {
        Ok(s) => s.f_bavail.saturating_mul(s.f_frsize),
        Err(_) => u64::MAX,
    }
}

#[cfg(not(unix))]
fn disk_free(_dir: &Path) -> u64 {
    u64::MAX
}

/// Whether the WAL should be checkpointed and truncated now: when it holds
/// more than a quarter of what the buffer may still take (the size limit or
/// the disk above the floor, whichever is smaller), bounded to 64 KiB-4 MiB.
/// SQLite's own checkpoints reuse the WAL but never shrink it; on a nearly
/// full disk that space is what new events and acknowledgements need.
pub(super) fn wal_over_budget(space: &Space, max_bytes: u64, min_free: u64) -> bool {
    let room = max_bytes.min(space.wal + space.disk_free.saturating_sub(min_free));
    let budget = (room / 4).clamp(WAL_MIN_BUDGET, WAL_MAX_BUDGET);
    space.wal > budget
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(wal: u64, disk_free: u64) -> Space {
        Space {
            live: 0,
            reusable: 0,
            wal,
            disk_free,
        }
    }

    #[test]
    fn the_wal_budget_shrinks_with_the_room_left() {
        const MIB: u64 = 1024 * 1024;
        // Plenty of room: up to 4 MiB of WAL is fine.
        assert!(!wal_over_budget(
            &space(3 * MIB, 10_000 * MIB),
            u64::MAX,
            64 * MIB
        ));
        assert!(wal_over_budget(&space(5 * MIB, 10_000 * MIB), u64::MAX, 64 * MIB));
        // A 1 MiB limit: a quarter of it.
        assert!(wal_over_budget(&space(300 * 1024, 10_000 * MIB), MIB, 64 * MIB));
        // Below the floor the WAL is kept at its smallest budget.
        assert!(wal_over_budget(&space(100 * 1024, MIB), u64::MAX, 2 * MIB));
        assert!(!wal_over_budget(&space(60 * 1024, MIB), u64::MAX, 2 * MIB));
    }

    #[test]
    fn headroom_counts_free_pages_and_disk_above_the_floor() {
        let s = Space {
            live: 10,
            reusable: 100,
            wal: 5,
            disk_free: 1_000,
        };
        assert_eq!(s.footprint(), 15);
        assert_eq!(s.headroom(400), 700);
        assert_eq!(s.headroom(5_000), 100);
    }
}

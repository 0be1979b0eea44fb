//! Live buffer counters, written by the writer thread and read by metrics,
//! the status page and the uplink without touching SQLite.

use mes_protocols::Incarnation;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use tokio::sync::Notify;

/// Counters and gauges of the buffer. All loads are relaxed: they are for
/// display and wake-ups, never for correctness decisions.
#[derive(Debug, Default)]
pub struct BufferStats {
    /// Events waiting for the hub's acknowledgement.
    pub depth: AtomicU64,
    /// Bytes the buffer takes on disk: database pages in use plus the WAL
    /// (what `max_size_mb` bounds), as of the last commit.
    pub bytes: AtomicU64,
    /// Free bytes on the buffer's filesystem, as of the last commit.
    pub disk_free_bytes: AtomicU64,
    /// Whether the disk reserve (`<buffer>-reserve`) holds its space; false
    /// after it was given to an acknowledgement on a full disk, until the
    /// disk has room for it again.
    pub reserve_held: AtomicBool,
    /// Highest sequence number assigned.
    pub last_seq: AtomicU64,
    /// Highest sequence number acknowledged by the hub.
    pub acked_seq: AtomicU64,
    /// Unix milliseconds of the oldest buffered event, 0 when empty.
    pub oldest_occurred_ms: AtomicI64,
    /// Events committed, since start.
    pub appended_total: AtomicU64,
    /// Transactions committed, since start (events / commits = group size).
    pub commits_total: AtomicU64,
    /// Events dropped by the overflow policy, ever.
    pub dropped_total: AtomicU64,
    /// Telemetry refused while full, ever.
    pub refused_total: AtomicU64,
    /// Failed commits, since start.
    pub commit_errors_total: AtomicU64,
    pub(crate) incarnation: Mutex<Option<Incarnation>>,
    /// Why the last commit failed; `None` once a commit succeeds.
    pub(crate) commit_error: Mutex<Option<String>>,
    /// Signalled after every commit that added events.
    pub new_events: Notify,
}

impl BufferStats {
    /// The buffer's current incarnation.
    pub fn incarnation(&self) -> Option<Incarnation> {
        *self.incarnation.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Why the last commit failed, while no commit has succeeded since: the
    /// buffer is degraded (producers are told nothing was stored).
    pub fn commit_error(&self) -> Option<String> {
        self.commit_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn set_commit_error(&self, error: Option<String>) {
        *self.commit_error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

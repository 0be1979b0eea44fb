//! WAL checkpoints on a thread of their own, off the writer's commits.
//!
//! SQLite's default runs a checkpoint inside whichever commit pushes the
//! WAL past 1,000 pages: that commit then copies every page back into the
//! database file and fsyncs it, and on the hub that was a projection step
//! (a fifth of the projection's time went there). Instead the writer only
//! appends to the WAL, and this thread, on its own connection, runs a
//! `PASSIVE` checkpoint when the writer says it committed (at most every
//! [`PAUSE`]). A passive checkpoint never blocks the writer or the reader;
//! whatever it could not copy it copies next time. The writer keeps a
//! backstop of its own ([`WRITER_BACKSTOP_PAGES`]) should this thread
//! ever fall far behind, and `journal_size_limit` trims the WAL file
//! once it has been copied back.
//!
//! The same thread gives memory back after a burst: when no commit came
//! for [`IDLE_RELEASE`] after some did, it asks each connection to free its
//! page cache (`PRAGMA shrink_memory`, skipping a connection that is busy),
//! so the writer's 64 MiB cache is held while work flows, not for good.

use rusqlite::Connection;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Quiet time after the last commit before the connections' caches are
/// freed.
pub(super) const IDLE_RELEASE: Duration = Duration::from_secs(5);

/// The least time between two checkpoints.
pub(super) const PAUSE: Duration = Duration::from_millis(200);

/// WAL pages after which the writer checkpoints within its own commit
/// (SQLite's default is 1,000): only reached when this thread cannot keep
/// up.
pub(super) const WRITER_BACKSTOP_PAGES: i64 = 50_000;

/// Bytes the WAL file is trimmed to after a checkpoint has copied it all.
pub(super) const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// The writer's side: tells the thread that a commit added to the WAL.
/// The thread stops when every clone of this is dropped.
#[derive(Clone)]
pub(super) struct CheckpointSignal(SyncSender<()>);

impl CheckpointSignal {
    /// Notes a commit; never blocks (one pending signal is enough).
    pub(super) fn committed(&self) {
        match self.0.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }
}

/// Starts the checkpoint thread on `conn` (a connection of its own to the
/// database).
pub(super) fn start(
    conn: Connection,
    caches: Vec<Arc<Mutex<Connection>>>,
) -> std::io::Result<CheckpointSignal> {
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || run(&conn, &rx, &caches))?;
    Ok(CheckpointSignal(tx))
}

fn run(conn: &Connection, commits: &Receiver<()>, caches: &[Arc<Mutex<Connection>>]) {
    let mut since_release = false;
    loop {
        match commits.recv_timeout(IDLE_RELEASE) {
            Ok(()) => {
                checkpoint(conn);
                since_release = true;
                std::thread::sleep(PAUSE);
            }
            Err(RecvTimeoutError::Timeout) if since_release => {
                release_caches(conn, caches);
                since_release = false;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Frees the page caches of idle connections.
fn release_caches(conn: &Connection, caches: &[Arc<Mutex<Connection>>]) {
    let shrink = |c: &Connection| {
        if let Err(e) = c.execute_batch("PRAGMA shrink_memory") {
            tracing::debug!(error = %e, "freeing a connection's page cache failed");
        }
    };
    shrink(conn);
    for cache in caches {
        // A connection in use is not idle; the next quiet moment frees it.
        if let Ok(c) = cache.try_lock() {
            shrink(&c);
        }
    }
}

fn checkpoint(conn: &Connection) {
    let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    });
    match result {
        Ok((_busy, wal_pages, copied)) => {
            tracing::trace!(wal_pages, copied, "WAL checkpoint");
        }
        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; the next one retries"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::SqliteStore;
    use std::time::{Duration, Instant};

    fn file_len(path: &std::path::Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    /// The writer never checkpoints below its backstop, so pages reach the
    /// database file only through the checkpoint thread.
    #[test]
    fn commits_reach_the_database_file_through_the_checkpoint_thread()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("hub.db");
        let store = SqliteStore::open(&path)?;
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        let wal = std::path::PathBuf::from(wal);
        let before = file_len(&path);
        for i in 0..40 {
            store.create_tenant(&format!("tenant-{i}"))?;
        }
        assert!(file_len(&wal) > 0, "the commits went to the WAL");
        let deadline = Instant::now() + Duration::from_secs(20);
        while file_len(&path) <= before {
            assert!(
                Instant::now() < deadline,
                "no checkpoint copied the WAL into {} within 20 s (still {} bytes)",
                path.display(),
                file_len(&path)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

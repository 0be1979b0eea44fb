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

use rusqlite::Connection;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

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
pub(super) fn start(conn: Connection) -> std::io::Result<CheckpointSignal> {
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || run(&conn, &rx))?;
    Ok(CheckpointSignal(tx))
}

fn run(conn: &Connection, commits: &Receiver<()>) {
    // Blocks until a commit; ends when the store is gone (closing the
    // last connection checkpoints what is left).
    while commits.recv().is_ok() {
        checkpoint(conn);
        // Commits during the pause leave one pending signal, so the next
        // checkpoint catches them.
        std::thread::sleep(PAUSE);
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

//! One serving hub per SQLite file.
//!
//! On SQLite the hub runs in single-process mode: its background work
//! (projection, books check, re-planning) and its live feed assume no
//! other hub serves the same file. A second `serve` on the file would
//! project the same steps twice and its boards would never see the
//! first one's ingest, so it is refused at start with an error naming
//! the file. The guard is an exclusive lock on a file beside the
//! database (`<database>.serve-lock`, holding the owner's process id for
//! the reader): the operating system drops the lock when the process
//! ends however it ends (kill -9 included), so a stale lock file never
//! keeps a restarted hub out. Command-line tools (`tenant add`,
//! `check-books` …) do not take it: SQLite itself serialises their
//! writes with the server's.
//!
//! Several replicas need PostgreSQL, where background work is leased per
//! tenant (`cluster/`).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why the hub may not serve this SQLite file.
#[derive(Debug, thiserror::Error)]
pub enum ServeLockError {
    /// Another live hub holds the lock.
    #[error(
        "database {database} is already served by another hub ({holder}; lock file {lock}): \
         a SQLite database is served by one hub at a time. Stop the other hub, or run several \
         replicas on PostgreSQL (database.url = \"postgres://…\")"
    )]
    Held {
        /// The database file.
        database: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// Who holds it, as the lock file says.
        holder: String,
    },
    /// The lock file could not be made or locked.
    #[error("database {database}: cannot lock {lock}: {source}")]
    Io {
        /// The database file.
        database: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

/// The held lock; released when dropped (and by the system at exit).
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
    path: PathBuf,
}

impl ServeLock {
    /// The lock file of `database`.
    pub fn path_for(database: &Path) -> PathBuf {
        let mut name = database.as_os_str().to_owned();
        name.push(".serve-lock");
        PathBuf::from(name)
    }

    /// Takes the serve lock of the SQLite file `database`, or says who
    /// holds it.
    pub fn acquire(database: &Path) -> Result<ServeLock, ServeLockError> {
        let lock = Self::path_for(database);
        let io = |source| ServeLockError::Io {
            database: database.to_path_buf(),
            lock: lock.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = match text.trim() {
                    "" => "process id unknown".to_string(),
                    pid => format!("process {pid}"),
                };
                return Err(ServeLockError::Held {
                    database: database.to_path_buf(),
                    lock,
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // Only the holder writes: the process id, for the next one's error.
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(ServeLock {
            _file: file,
            path: lock,
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_file_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let db = dir.path().join("hub.db");
        let first = ServeLock::acquire(&db).expect("the first lock");
        let err = ServeLock::acquire(&db).expect_err("a second lock is refused");
        let text = err.to_string();
        assert!(text.contains(&db.display().to_string()), "{text}");
        assert!(text.contains(&std::process::id().to_string()), "{text}");
        drop(first);
        ServeLock::acquire(&db).expect("free again once released");
    }
}

//! The reserve: a file of `buffer.reserve_mb` written next to the buffer
//! (`<buffer>-reserve`) that holds disk space for the one write that frees
//! space: recording the hub's acknowledgement. Deleting events in WAL mode
//! first writes the changed pages to the WAL, so on a full disk even the
//! DELETE fails with SQLITE_FULL, nothing can be freed, and the agent is
//! stuck until someone deletes a file by hand. When a commit with an
//! acknowledgement fails for a full disk, the writer deletes the reserve and
//! records the acknowledgement alone; the reserve is written again once the
//! disk has room for it above the free-space floor.
//!
//! The file is written with real bytes, not `set_len`: a sparse file would
//! hold no space at all.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Bytes written per call while creating the reserve.
const CHUNK: usize = 64 * 1024;

/// The reserve file and whether it currently holds its space.
#[derive(Debug)]
pub(super) struct Reserve {
    path: PathBuf,
    bytes: u64,
    held: bool,
}

impl Reserve {
    /// The reserve of the buffer at `buffer`; `bytes = 0` turns it off.
    /// Takes over a complete reserve file left by an earlier run.
    pub(super) fn new(buffer: &Path, bytes: u64) -> Self {
        let path = PathBuf::from(format!("{}-reserve", buffer.display()));
        let held = bytes > 0 && std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes);
        Self { path, bytes, held }
    }

    /// Whether the reserve holds its space now.
    pub(super) fn held(&self) -> bool {
        self.held || self.bytes == 0
    }

    /// Writes the reserve when it is missing and the disk has `disk_free`
    /// bytes, enough for it above `min_free`. A failed attempt removes the
    /// partial file and is tried again later.
    pub(super) fn refill(&mut self, disk_free: u64, min_free: u64) {
        if self.held() || disk_free < self.bytes.saturating_add(min_free) {
            return;
        }
        match self.write() {
            Ok(()) => {
                self.held = true;
                tracing::info!(path = %self.path.display(), bytes = self.bytes, "buffer reserve in place");
            }
            Err(e) => {
                let _ = std::fs::remove_file(&self.path);
                tracing::warn!(path = %self.path.display(), error = %e, "cannot write the buffer reserve; trying again later");
            }
        }
    }

    /// Deletes the reserve to give its space to an acknowledgement; whether
    /// there was space to give.
    pub(super) fn release(&mut self) -> bool {
        if !self.held || self.bytes == 0 {
            return false;
        }
        self.held = false;
        match std::fs::remove_file(&self.path) {
            Ok(()) => {
                tracing::warn!(
                    path = %self.path.display(),
                    bytes = self.bytes,
                    "disk full: released the buffer reserve so the hub's acknowledgement can be recorded"
                );
                true
            }
            Err(e) => {
                tracing::error!(path = %self.path.display(), error = %e, "disk full and the buffer reserve cannot be deleted");
                false
            }
        }
    }

    fn write(&self) -> std::io::Result<()> {
        let mut file = std::fs::File::create(&self.path)?;
        let zeros = vec![0u8; CHUNK];
        let mut left = self.bytes;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            file.write_all(&zeros[..n])?;
            left -= n as u64;
        }
        file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_written_released_and_refilled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let buffer = dir.path().join("buffer.db");
        let mut reserve = Reserve::new(&buffer, 100_000);
        assert!(!reserve.held());
        reserve.refill(50_000, 0);
        assert!(!reserve.held(), "no room for it");
        reserve.refill(u64::MAX, 0);
        assert!(reserve.held());
        let file = dir.path().join("buffer.db-reserve");
        assert_eq!(std::fs::metadata(&file).map(|m| m.len()).ok(), Some(100_000));
        assert!(Reserve::new(&buffer, 100_000).held(), "a later run takes it over");
        assert!(reserve.release());
        assert!(!file.exists());
        assert!(!reserve.release(), "nothing left to give");
        reserve.refill(u64::MAX, 0);
        assert!(file.exists());
    }
}

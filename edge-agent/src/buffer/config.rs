//! The `[buffer]` section: where the buffer file is and how much room it
//! may take; parsed into [`BufferSettings`].

use super::BufferSettings;
use mes_protocols::config_text::ConfigError;
use serde::Deserialize;
use std::path::PathBuf;

/// What to do when the buffer reaches its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowPolicy {
    /// Delete the oldest unsynced process-value samples to make room; never
    /// state, count, operation, scan or clock events.
    DropOldestTelemetry,
    /// Refuse new process-value samples while full; keep everything stored.
    RefuseTelemetry,
}

/// The durable SQLite buffer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BufferConfig {
    /// Path of the SQLite buffer file (created on first start).
    pub path: PathBuf,
    /// Most space the buffer takes on disk, in MiB: database pages in use
    /// plus the write-ahead log. State, count, operation, scan and clock
    /// events are always accepted; the policy applies to telemetry.
    pub max_size_mb: u64,
    /// What to do when the limit or the free-space floor is reached.
    pub overflow_policy: OverflowPolicy,
    /// Free space, in MiB, to keep on the buffer's filesystem: below it the
    /// overflow policy acts as at `max_size_mb` (0: no floor).
    pub min_free_mb: u64,
    /// A file of this many MiB kept beside the buffer (`<path>-reserve`) and
    /// given up when the disk is full so the hub's acknowledgements can
    /// still be recorded, which frees space (0: none).
    pub reserve_mb: u64,
}

impl Default for BufferConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("edge-agent-buffer.db"),
            max_size_mb: 1024,
            overflow_policy: OverflowPolicy::DropOldestTelemetry,
            min_free_mb: 64,
            reserve_mb: 16,
        }
    }
}

impl BufferConfig {
    /// Checks the section as read from `file`.
    pub fn parse(&self, file: &str) -> Result<BufferSettings, ConfigError> {
        if self.max_size_mb == 0 {
            return Err(ConfigError::new(file, "buffer.max_size_mb", "must be at least 1"));
        }
        Ok(BufferSettings::from(self))
    }
}

const MIB: u64 = 1024 * 1024;

impl From<&BufferConfig> for BufferSettings {
    fn from(c: &BufferConfig) -> Self {
        Self {
            path: c.path.clone(),
            max_bytes: c.max_size_mb.saturating_mul(MIB),
            policy: c.overflow_policy,
            min_free_bytes: c.min_free_mb.saturating_mul(MIB),
            reserve_bytes: c.reserve_mb.saturating_mul(MIB),
        }
    }
}

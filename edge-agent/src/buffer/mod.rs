//! The durable event buffer: every event is committed to a local SQLite file
//! before anyone is told it was taken, and leaves it only when the hub has
//! acknowledged it (or the configured overflow policy dropped it, which is
//! counted and reported).
//!
//! [`Buffer`] is the cloneable handle producers and the uplink use; a single
//! writer thread (`writer.rs`) owns the write connection and commits the
//! requests of many producers in one transaction (group commit). The uplink
//! reads through its own connection ([`BatchReader`]).

mod config;
#[cfg(test)]
mod file_tests;
mod identity;
mod migrations;
mod overflow;
mod reader;
mod reserve;
mod schema;
mod space;
mod stats;
#[cfg(test)]
mod tests;
mod writer;

pub use config::{BufferConfig, OverflowPolicy};
pub use identity::{APPLICATION_ID, BufferOrigin};
pub use reader::{BatchReader, PendingBatch};
pub use stats::BufferStats;

use mes_protocols::{EventDraft, EventId, FieldError, Incarnation, Seq};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Why the buffer could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BufferError {
    /// The buffer file could not be opened or migrated.
    #[error("buffer file {path}: {reason}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why, in one line (the SQLite or I/O error's message, once).
        reason: String,
    },
    /// The file is not an edge-agent buffer; it was not changed.
    #[error(
        "buffer file {path} is not an edge-agent buffer ({reason}); it was left untouched: set buffer.path to another file"
    )]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// The buffer was written by a newer build; it was not changed.
    #[error(
        "buffer file {path} has schema version {version}, newer than this build knows ({known}); it was left untouched: run the newer edge-agent"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// The file's schema version.
        version: usize,
        /// The newest version this build knows.
        known: usize,
    },
    /// A commit failed; nothing of the request was stored.
    #[error("buffer commit failed, nothing of this request was stored: {0}")]
    Commit(String),
    /// An event was invalid; nothing of the request was stored.
    #[error("event {index} is invalid: {error}")]
    InvalidEvent {
        /// Position of the event in the request.
        index: usize,
        /// What is wrong with it.
        error: FieldError,
    },
    /// The writer thread has stopped (the agent is shutting down).
    #[error("the buffer is closed")]
    Closed,
}

impl BufferError {
    /// An open error whose reason is the SQLite error's message, once (the
    /// rusqlite error repeats it in its source chain).
    fn open(path: &Path, e: &rusqlite::Error) -> Self {
        BufferError::Open {
            path: path.to_path_buf(),
            reason: sqlite_reason(e),
        }
    }

    fn open_io(path: &Path, e: &std::io::Error) -> Self {
        BufferError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
}

/// The message of a SQLite error, without the repeats of its source chain.
pub(crate) fn sqlite_reason(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    }
}

/// An event ready for the writer: validated and serialized by the producer,
/// so that work runs on the producers' threads, not the writer's.
#[derive(Debug, Clone)]
pub struct PreparedEvent {
    id: EventId,
    occurred_at_ms: i64,
    droppable: bool,
    record: String,
}

impl PreparedEvent {
    /// Validates and serializes a draft.
    pub fn new(draft: &EventDraft) -> Result<Self, FieldError> {
        draft.validate()?;
        Ok(Self {
            id: draft.id,
            occurred_at_ms: draft.occurred_at.unix_millis(),
            droppable: matches!(draft.body, mes_protocols::EventBody::ProcessValueSampled(_)),
            record: draft.to_record_json(),
        })
    }
}

/// What the buffer did with an append request, once committed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendReceipt {
    /// Events durably stored, with their sequence numbers, in request order.
    pub committed: Vec<(EventId, Seq)>,
    /// Telemetry events refused because the buffer is full (not stored).
    pub refused: Vec<EventId>,
}

pub(crate) enum Command {
    Append {
        events: Vec<PreparedEvent>,
        state: Vec<StateUpdate>,
        reply: oneshot::Sender<Result<AppendReceipt, BufferError>>,
    },
    Ack {
        upto: Seq,
        reply: oneshot::Sender<Result<(), BufferError>>,
    },
    Rotate {
        reply: oneshot::Sender<Result<Incarnation, BufferError>>,
    },
    SideWrite {
        work: SideWork,
        reply: oneshot::Sender<Result<(), BufferError>>,
    },
}

/// Work on tables beside the events (the downlink cache), run by the writer
/// inside its transaction under a savepoint of its own.
pub(crate) type SideWork = Box<dyn FnOnce(&rusqlite::Connection) -> rusqlite::Result<()> + Send>;

/// A piece of agent state saved in the same transaction as the events it
/// belongs to (`None` deletes the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateUpdate {
    /// The key (`counter/press-1/good`).
    pub key: String,
    /// The new value, or `None` to delete.
    pub value: Option<String>,
}

/// Settings of an open buffer.
#[derive(Debug, Clone)]
pub struct BufferSettings {
    /// The SQLite file.
    pub path: PathBuf,
    /// Most bytes the buffer may take on disk (database pages in use + WAL).
    pub max_bytes: u64,
    /// What to do when full.
    pub policy: OverflowPolicy,
    /// Free bytes to keep on the buffer's filesystem (0: no floor).
    pub min_free_bytes: u64,
    /// Size of the disk reserve kept for acknowledgements (0: none).
    pub reserve_bytes: u64,
}

impl BufferSettings {
    /// Settings with no size limit, no free-space floor and no reserve (for
    /// tests and benchmarks).
    pub fn unbounded(path: PathBuf) -> Self {
        Self {
            path,
            max_bytes: u64::MAX,
            policy: OverflowPolicy::DropOldestTelemetry,
            min_free_bytes: 0,
            reserve_bytes: 0,
        }
    }
}

/// Handle to the buffer; cheap to clone, one per producer.
#[derive(Clone)]
pub struct Buffer {
    commands: mpsc::Sender<Command>,
    stats: Arc<BufferStats>,
    path: PathBuf,
    origin: BufferOrigin,
}

/// Joins the writer thread when the last command has been committed.
pub struct WriterGuard(Option<std::thread::JoinHandle<()>>);

impl WriterGuard {
    /// Waits until the writer has committed everything sent to it and closed
    /// the file. Call after every [`Buffer`] handle is dropped.
    pub fn join(mut self) {
        if let Some(handle) = self.0.take()
            && handle.join().is_err()
        {
            tracing::error!("the buffer writer thread panicked");
        }
    }
}

/// How many commands may wait for the writer. Producers beyond that wait
/// (backpressure) rather than grow memory without bound.
const COMMAND_QUEUE: usize = 4096;

impl Buffer {
    /// Opens (or creates) the buffer file and starts its writer thread.
    /// Refuses, without changing it, a file that is not an edge-agent buffer
    /// or whose schema is newer than this build; logs the path, incarnation
    /// and depth, and whether the buffer was created new.
    pub fn open(settings: BufferSettings) -> Result<(Buffer, WriterGuard), BufferError> {
        let (conn, meta, origin) = schema::open_writer(&settings.path)?;
        let stats = Arc::new(BufferStats::default());
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        let path = settings.path.clone();
        let writer = writer::Writer::new(conn, meta, settings, stats.clone())
            .map_err(|e| BufferError::open(&path, &e))?;
        log_opened(&path, origin, &stats);
        let handle = std::thread::Builder::new()
            .name("buffer-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| BufferError::Commit(format!("cannot start the writer thread: {e}")))?;
        Ok((
            Buffer {
                commands: tx,
                stats,
                path,
                origin,
            },
            WriterGuard(Some(handle)),
        ))
    }

    /// Commits `drafts` durably and returns their sequence numbers. When this
    /// returns `Ok`, the events survive a crash or power cut.
    pub async fn append(&self, drafts: &[EventDraft]) -> Result<AppendReceipt, BufferError> {
        let events = drafts
            .iter()
            .enumerate()
            .map(|(index, d)| {
                PreparedEvent::new(d).map_err(|error| BufferError::InvalidEvent { index, error })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.append_prepared(events).await
    }

    /// Like [`append`](Self::append) for events already prepared.
    pub async fn append_prepared(&self, events: Vec<PreparedEvent>) -> Result<AppendReceipt, BufferError> {
        self.append_with_state(events, Vec::new()).await
    }

    /// Commits `events` and the `state` updates together: either both are
    /// stored or neither. Refused telemetry does not prevent the state update.
    pub async fn append_with_state(
        &self,
        events: Vec<PreparedEvent>,
        state: Vec<StateUpdate>,
    ) -> Result<AppendReceipt, BufferError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Append { events, state, reply }).await?;
        rx.await.map_err(|_| BufferError::Closed)?
    }

    /// The saved agent state whose keys start with `prefix`, read through a
    /// fresh connection (for start-up).
    pub fn load_state(&self, prefix: &str) -> Result<Vec<(String, String)>, BufferError> {
        let conn = schema::open_reader(&self.path)?;
        let read = || -> rusqlite::Result<Vec<(String, String)>> {
            let mut stmt = conn.prepare(
                "SELECT key, value FROM agent_state WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
            )?;
            let rows = stmt.query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        };
        read().map_err(|e| BufferError::Commit(format!("reading agent state: {e}")))
    }

    /// Records that the hub stored everything up to `upto`, deleting those
    /// events from the file.
    pub async fn ack(&self, upto: Seq) -> Result<(), BufferError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Ack { upto, reply }).await?;
        rx.await.map_err(|_| BufferError::Closed)?
    }

    /// Starts a new incarnation: renumbers the unacknowledged events from 1
    /// under a fresh incarnation id. Used when the hub reports that its
    /// record of this agent's sequence disagrees with the buffer's (buffer
    /// restored from an old backup, hub restored from an old backup).
    pub async fn rotate_incarnation(&self) -> Result<Incarnation, BufferError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Rotate { reply }).await?;
        rx.await.map_err(|_| BufferError::Closed)?
    }

    /// Runs `work` on the buffer file's other tables (the downlink cache)
    /// through the single writer, committed durably before this returns. It
    /// shares a group commit with events but has a savepoint of its own: if
    /// it fails, only its changes are rolled back, and the error is returned.
    /// The writer is the only connection that writes the file, so side
    /// writes never race the event commits for the lock.
    pub async fn write_side(
        &self,
        work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<()> + Send + 'static,
    ) -> Result<(), BufferError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::SideWrite {
            work: Box::new(work),
            reply,
        })
        .await?;
        rx.await.map_err(|_| BufferError::Closed)?
    }

    /// A read-only connection to the buffer file (for tables beside the
    /// events, read at start-up).
    pub fn read_connection(&self) -> Result<rusqlite::Connection, BufferError> {
        schema::open_reader(&self.path)
    }

    async fn send(&self, cmd: Command) -> Result<(), BufferError> {
        self.commands.send(cmd).await.map_err(|_| BufferError::Closed)
    }

    /// What the file was when it was opened (new, ours, adopted).
    pub fn origin(&self) -> BufferOrigin {
        self.origin
    }

    /// Live counters of the buffer.
    pub fn stats(&self) -> &Arc<BufferStats> {
        &self.stats
    }

    /// A reader for the uplink, on its own connection.
    pub fn reader(&self) -> Result<BatchReader, BufferError> {
        BatchReader::open(&self.path)
    }
}

fn log_opened(path: &Path, origin: BufferOrigin, stats: &BufferStats) {
    let path = path.display();
    let incarnation = stats.incarnation().map(|i| i.to_string()).unwrap_or_default();
    let depth = BufferStats::get(&stats.depth);
    match origin {
        BufferOrigin::CreatedNew => tracing::info!(%path, %incarnation, depth, "buffer: created new"),
        BufferOrigin::Existing => tracing::info!(%path, %incarnation, depth, "buffer: opened"),
        BufferOrigin::Adopted => tracing::info!(
            %path,
            %incarnation,
            depth,
            "buffer: opened a buffer made by an older build and set its application id"
        ),
    }
}

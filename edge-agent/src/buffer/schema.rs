//! Opening the buffer file: pragmas, numbered migrations, and the meta values
//! (incarnation, sequence cursors, overflow counters).
//!
//! Durability: WAL journal with `synchronous=FULL`. In WAL mode `NORMAL`
//! keeps the file consistent after a power cut but may lose the last
//! committed transactions, and this buffer tells producers "stored" right
//! after commit, so it must not. `FULL` syncs the WAL on every commit; group
//! commit (see `writer.rs`) spreads that one fsync over many events.
//!
//! Before anything is written, `identity.rs` decides whether the file is our
//! buffer at all; a foreign file or a newer schema is refused untouched.

use super::BufferError;
use super::identity::{APPLICATION_ID, BufferOrigin, inspect};
use super::migrations::MIGRATIONS;
use mes_protocols::Incarnation;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::Path;

/// The meta values the writer keeps in memory and saves with every commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// This buffer file's incarnation.
    pub incarnation: Incarnation,
    /// Highest sequence number assigned.
    pub last_seq: u64,
    /// Highest sequence number the hub acknowledged.
    pub acked_seq: u64,
    /// Events dropped by the overflow policy, ever.
    pub dropped_total: u64,
    /// Telemetry refused while full, ever.
    pub refused_total: u64,
}

/// Opens (creating if needed) the buffer for writing and migrates it, after
/// checking that the file is ours (see `identity.rs`).
pub fn open_writer(path: &Path) -> Result<(Connection, Meta, BufferOrigin), BufferError> {
    let origin = inspect(path)?;
    let open = || -> rusqlite::Result<(Connection, Meta)> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&conn)?;
        let meta = read_or_init_meta(&conn)?;
        Ok((conn, meta))
    };
    let (conn, meta) = open().map_err(|e| BufferError::open(path, &e))?;
    Ok((conn, meta, origin))
}

/// Opens a read-only connection for the uplink (WAL lets it read while the
/// writer writes).
pub fn open_reader(path: &Path) -> Result<Connection, BufferError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| BufferError::open(path, &e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| BufferError::open(path, &e))?;
    Ok(conn)
}

/// Applies the missing migrations, each in one transaction with its version
/// and the application id, and sets the id on a buffer adopted from an older
/// build that needs no migration.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let applied: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        conn.execute_batch(&format!(
            "BEGIN; PRAGMA application_id = {APPLICATION_ID}; {sql}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))?;
    }
    let id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    if id != APPLICATION_ID {
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    Ok(())
}

fn read_or_init_meta(conn: &Connection) -> rusqlite::Result<Meta> {
    let get = |key: &str| -> rusqlite::Result<Option<String>> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
    };
    let incarnation = match get("incarnation")?.and_then(|v| v.parse().ok()) {
        Some(i) => i,
        None => {
            let fresh = Incarnation::new_v7();
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('incarnation', ?1)",
                [fresh.to_string()],
            )?;
            fresh
        }
    };
    let num =
        |key: &str| -> rusqlite::Result<u64> { Ok(get(key)?.and_then(|v| v.parse().ok()).unwrap_or(0)) };
    let max_seq: u64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
    Ok(Meta {
        incarnation,
        // The saved cursor and the table agree after every commit; take the
        // larger so a hand-edited or partially restored file never reuses a number.
        last_seq: num("last_seq")?.max(max_seq),
        acked_seq: num("acked_seq")?,
        dropped_total: num("dropped_total")?,
        refused_total: num("refused_total")?,
    })
}

/// A meta key and how to render its value.
type MetaField = (&'static str, fn(&Meta) -> String);

/// Saves the meta values that differ from `before` inside the caller's
/// transaction (`before = None` saves all). Writing only what changed keeps
/// a small group commit to one meta row besides its events.
pub fn save_meta(conn: &Connection, before: Option<&Meta>, meta: &Meta) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?;
    let changed = |f: fn(&Meta) -> String| before.is_none_or(|b| f(b) != f(meta));
    let fields: [MetaField; 5] = [
        ("incarnation", |m| m.incarnation.to_string()),
        ("last_seq", |m| m.last_seq.to_string()),
        ("acked_seq", |m| m.acked_seq.to_string()),
        ("dropped_total", |m| m.dropped_total.to_string()),
        ("refused_total", |m| m.refused_total.to_string()),
    ];
    for (key, value) in fields {
        if changed(value) {
            stmt.execute(params![key, value(meta)])?;
        }
    }
    Ok(())
}

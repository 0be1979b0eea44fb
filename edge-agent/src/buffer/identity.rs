//! Is this file our buffer? Decided before the file is opened for writing,
//! through a read-only connection, so a file that is not ours is refused
//! without a single byte of it changed: no WAL switch, no tables, no
//! application id.
//!
//! A buffer carries [`APPLICATION_ID`] in its SQLite header and its schema
//! version in `user_version`. Buffers made before the id existed (id 0) are
//! recognised by their tables: exactly the tables our migrations create up to
//! their `user_version`, compared against the migrations themselves run on an
//! in-memory database, so the list of our tables lives only in the
//! migrations.

use super::BufferError;
use super::migrations::MIGRATIONS;
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeSet;
use std::path::Path;

/// The SQLite `application_id` of an edge-agent buffer: "MESB" in ASCII.
pub const APPLICATION_ID: i32 = 0x4D45_5342;

/// What the file at the buffer path turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferOrigin {
    /// No file, an empty file or an empty SQLite database: a new buffer is
    /// created in it.
    CreatedNew,
    /// A buffer of this agent (our application id, a known schema version).
    Existing,
    /// A buffer made by an older build (application id 0 but exactly our
    /// tables): adopted, its application id is set.
    Adopted,
}

/// Looks at the file at `path` without changing it.
pub fn inspect(path: &Path) -> Result<BufferOrigin, BufferError> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() == 0 => return Ok(BufferOrigin::CreatedNew),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BufferOrigin::CreatedNew),
        Err(e) => return Err(BufferError::open_io(path, &e)),
    }
    let found = read_header(path).map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            BufferError::Foreign {
                path: path.to_path_buf(),
                reason: "not a SQLite database".into(),
            }
        }
        other => BufferError::open(path, &other),
    })?;
    classify(path, &found)
}

/// The header values and tables of a SQLite file.
struct Found {
    application_id: i32,
    version: usize,
    tables: BTreeSet<String>,
}

/// Reads through a connection that cannot change the file. Without a WAL
/// file beside it the database file holds everything, and `immutable=1`
/// keeps SQLite from creating `-wal`/`-shm` files next to it (it would for a
/// file in WAL mode even when read-only). With a WAL file, its content must
/// be read too, so a plain read-only connection is used.
fn read_header(path: &Path) -> rusqlite::Result<Found> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let wal = Path::new(&format!("{}-wal", path.display())).exists();
    let conn = match (wal, path.to_str()) {
        (false, Some(text)) => Connection::open_with_flags(
            format!("file:{}?immutable=1", uri_escape(text)),
            flags | OpenFlags::SQLITE_OPEN_URI,
        )?,
        _ => Connection::open_with_flags(path, flags)?,
    };
    Ok(Found {
        application_id: conn.pragma_query_value(None, "application_id", |r| r.get(0))?,
        version: conn.pragma_query_value(None, "user_version", |r| r.get(0))?,
        tables: tables(&conn)?,
    })
}

fn classify(path: &Path, found: &Found) -> Result<BufferOrigin, BufferError> {
    let known = MIGRATIONS.len();
    let too_new = || BufferError::TooNew {
        path: path.to_path_buf(),
        version: found.version,
        known,
    };
    let foreign = |reason: String| BufferError::Foreign {
        path: path.to_path_buf(),
        reason,
    };
    if found.application_id == APPLICATION_ID {
        return if found.version > known {
            Err(too_new())
        } else {
            Ok(BufferOrigin::Existing)
        };
    }
    if found.application_id != 0 {
        return Err(foreign(format!(
            "its application id is {:#010x}, a buffer's is {APPLICATION_ID:#010x}",
            found.application_id
        )));
    }
    if found.tables.is_empty() && found.version == 0 {
        return Ok(BufferOrigin::CreatedNew);
    }
    if (1..=known).contains(&found.version) && expected_tables(found.version).is_ok_and(|t| t == found.tables)
    {
        return Ok(BufferOrigin::Adopted);
    }
    let listed: Vec<&str> = found.tables.iter().map(String::as_str).take(5).collect();
    Err(foreign(format!(
        "application id 0 and tables [{}] at schema version {}",
        listed.join(", "),
        found.version
    )))
}

/// The tables our first `version` migrations create.
fn expected_tables(version: usize) -> rusqlite::Result<BTreeSet<String>> {
    let conn = Connection::open_in_memory()?;
    for sql in &MIGRATIONS[..version] {
        conn.execute_batch(sql)?;
    }
    tables(&conn)
}

fn tables(conn: &Connection) -> rusqlite::Result<BTreeSet<String>> {
    conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
        .query_map([], |r| r.get(0))?
        .collect()
}

/// Percent-encodes a path for a `file:` URI (everything but unreserved
/// characters and `/`).
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

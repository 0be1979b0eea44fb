//! The SQLite copy of the downlink cache (tables `downlink_records` and
//! `downlink_meta`, migration 0003 in the buffer file), so that stations work
//! offline and after a restart before the hub answers.
//!
//! Pages are written through the buffer's single writer
//! ([`Buffer::write_side`]) in one savepoint each, together with the new
//! cursor, so a crash never leaves a page half-applied or the cursor ahead of
//! the data. A snapshot spanning several pages writes its rows with the next
//! generation and deletes the older rows only with its last page, so the
//! previous data stays usable until the snapshot is complete.

use super::cache::MasterData;
use crate::buffer::{Buffer, BufferError};
use mes_protocols::downlink::{DownlinkPage, Record, RecordKind};
use rusqlite::{Connection, OptionalExtension, params};

/// Where the cache stands: the cursor to ask from, the live generation and a
/// snapshot in progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheMeta {
    /// The `cursor` of the last applied page (0: nothing yet).
    pub cursor: u64,
    /// The generation of the complete data.
    pub generation: u64,
    /// The generation a snapshot in progress writes, until its last page.
    pub snapshot: Option<u64>,
}

impl CacheMeta {
    /// What applying `page` does: the generation its rows get, the meta
    /// after it, and whether it completes a snapshot (older rows go).
    pub fn plan(self, page: &DownlinkPage) -> (u64, CacheMeta, bool) {
        let snapshot = if page.reset {
            Some(self.generation.max(self.snapshot.unwrap_or(0)) + 1)
        } else {
            self.snapshot
        };
        let target = snapshot.unwrap_or(self.generation);
        let completes = snapshot.is_some() && !page.more;
        let after = CacheMeta {
            cursor: page.cursor,
            generation: if completes { target } else { self.generation },
            snapshot: if completes { None } else { snapshot },
        };
        (target, after, completes)
    }
}

/// The cache as saved: its meta and every record.
pub fn load(conn: &Connection) -> rusqlite::Result<(CacheMeta, MasterData)> {
    let get = |key: &str| -> rusqlite::Result<Option<u64>> {
        conn.query_row("SELECT value FROM downlink_meta WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()
    };
    let meta = CacheMeta {
        cursor: get("cursor")?.unwrap_or(0),
        generation: get("generation")?.unwrap_or(0),
        snapshot: get("snapshot")?,
    };
    let mut stmt = conn.prepare("SELECT kind, code, record FROM downlink_records")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut records = Vec::new();
    for row in rows {
        let (kind, code, json) = row?;
        match serde_json::from_str::<Record>(&json) {
            Ok(record) => records.push(record),
            Err(e) => {
                tracing::warn!(%kind, %code, error = %e, "unreadable downlink record in the cache; skipped")
            }
        }
    }
    Ok((meta, MasterData::from_records(records)))
}

/// Reads the saved cache through a fresh read connection.
pub fn load_from(buffer: &Buffer) -> Result<(CacheMeta, MasterData), BufferError> {
    let conn = buffer.read_connection()?;
    load(&conn).map_err(|e| BufferError::Commit(format!("reading the downlink cache: {e}")))
}

/// Writes `page` durably (through the buffer's writer); returns the meta
/// after it and whether it completed a snapshot.
pub async fn apply(
    buffer: &Buffer,
    meta: CacheMeta,
    page: &DownlinkPage,
) -> Result<(CacheMeta, bool), BufferError> {
    let (target, after, completes) = meta.plan(page);
    let upserts = rows(page)?;
    let removals: Vec<(String, String, String)> = page
        .removals
        .iter()
        .filter(|k| k.kind != RecordKind::Unknown)
        .map(|k| {
            let material = k.material.as_ref().map_or(String::new(), |m| m.to_string());
            (k.kind.as_str().to_string(), material, k.code.to_string())
        })
        .collect();
    buffer
        .write_side(move |conn| write(conn, target, after, completes, &upserts, &removals))
        .await?;
    Ok((after, completes))
}

/// (kind, material, code, json) of every known upsert of `page`.
fn rows(page: &DownlinkPage) -> Result<Vec<(String, String, String, String)>, BufferError> {
    page.upserts
        .iter()
        .filter_map(|record| record.key().map(|key| (record, key)))
        .map(|(record, key)| {
            let json = serde_json::to_string(record)
                .map_err(|e| BufferError::Commit(format!("downlink record {}: {e}", key.code)))?;
            let material = key.material.map_or(String::new(), |m| m.to_string());
            Ok((
                key.kind.as_str().to_string(),
                material,
                key.code.to_string(),
                json,
            ))
        })
        .collect()
}

fn write(
    conn: &Connection,
    target: u64,
    after: CacheMeta,
    completes: bool,
    upserts: &[(String, String, String, String)],
    removals: &[(String, String, String)],
) -> rusqlite::Result<()> {
    let mut put = conn.prepare_cached(
        "INSERT OR REPLACE INTO downlink_records (kind, material, code, generation, record) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (kind, material, code, json) in upserts {
        put.execute(params![kind, material, code, target, json])?;
    }
    let mut delete =
        conn.prepare_cached("DELETE FROM downlink_records WHERE kind = ?1 AND material = ?2 AND code = ?3")?;
    for (kind, material, code) in removals {
        delete.execute(params![kind, material, code])?;
    }
    if completes {
        conn.execute("DELETE FROM downlink_records WHERE generation != ?1", [target])?;
    }
    let mut meta =
        conn.prepare_cached("INSERT OR REPLACE INTO downlink_meta (key, value) VALUES (?1, ?2)")?;
    meta.execute(params!["cursor", after.cursor])?;
    meta.execute(params!["generation", after.generation])?;
    match after.snapshot {
        Some(generation) => drop(meta.execute(params!["snapshot", generation])?),
        None => drop(conn.execute("DELETE FROM downlink_meta WHERE key = 'snapshot'", [])?),
    }
    Ok(())
}

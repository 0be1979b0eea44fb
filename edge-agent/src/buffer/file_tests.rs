//! Which files the buffer opens: its own, an older build's (adopted), a new
//! or empty one; and which it refuses without changing a byte: a foreign
//! SQLite file, something that is not SQLite, a newer schema.

use super::*;
use rusqlite::Connection;
use std::error::Error as _;

fn settings(path: &Path) -> BufferSettings {
    BufferSettings::unbounded(path.to_path_buf())
}

async fn close(buffer: Buffer, guard: WriterGuard) {
    drop(buffer);
    tokio::task::spawn_blocking(move || guard.join())
        .await
        .expect("join");
}

/// The file and its WAL/SHM companions, byte for byte.
fn snapshot(path: &Path) -> Vec<Option<Vec<u8>>> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| std::fs::read(format!("{}{suffix}", path.display())).ok())
        .collect()
}

fn application_id(path: &Path) -> i32 {
    Connection::open(path)
        .and_then(|c| c.pragma_query_value(None, "application_id", |r| r.get(0)))
        .expect("readable")
}

fn open_err(path: &Path) -> BufferError {
    match Buffer::open(settings(path)) {
        Ok(_) => panic!("{} must be refused", path.display()),
        Err(e) => e,
    }
}

/// Refused with one line naming the path, and the file left as it was.
fn assert_refused_untouched(path: &Path, expect: &str) {
    let before = snapshot(path);
    let err = open_err(path);
    let line = err.to_string();
    assert!(line.contains(&path.display().to_string()), "{line}");
    assert!(line.contains(expect), "{line}");
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(err.source().is_none(), "no cause chain to print again: {line}");
    let after = snapshot(path);
    let summary = |s: &[Option<Vec<u8>>]| s.iter().map(|f| f.as_ref().map(Vec::len)).collect::<Vec<_>>();
    let first_change = before[0]
        .iter()
        .zip(after[0].iter())
        .flat_map(|(a, b)| a.iter().zip(b.iter()).position(|(x, y)| x != y));
    assert!(
        after == before,
        "the file was changed: {line}; sizes {:?} -> {:?}, first changed byte {:?}",
        summary(&before),
        summary(&after),
        first_change.collect::<Vec<_>>()
    );
}

#[test]
fn a_foreign_database_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("customers.db");
    let conn = Connection::open(&path).expect("create");
    conn.execute_batch("CREATE TABLE customers (name TEXT); INSERT INTO customers VALUES ('acme');")
        .expect("fill");
    drop(conn);
    assert_refused_untouched(&path, "is not an edge-agent buffer");
}

#[test]
fn a_foreign_database_with_an_events_table_is_not_switched_to_wal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.db");
    let conn = Connection::open(&path).expect("create");
    conn.execute_batch(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, record TEXT); CREATE TABLE meta (k, v);",
    )
    .expect("fill");
    drop(conn);
    assert_refused_untouched(&path, "tables [events, meta]");
    let journal: String = Connection::open(&path)
        .and_then(|c| c.pragma_query_value(None, "journal_mode", |r| r.get(0)))
        .expect("readable");
    assert_eq!(journal, "delete", "still in rollback-journal mode");
}

#[test]
fn another_applications_id_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    let conn = Connection::open(&path).expect("create");
    conn.execute_batch("PRAGMA application_id = 1234; CREATE TABLE t (x);")
        .expect("fill");
    drop(conn);
    assert_refused_untouched(&path, "application id is 0x000004d2");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "shopping list: milk, bread, ".repeat(200)).expect("write");
    assert_refused_untouched(&path, "not a SQLite database");
}

#[tokio::test]
async fn a_newer_schema_version_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("buffer.db");
    let (buffer, guard) = Buffer::open(settings(&path)).expect("create");
    close(buffer, guard).await;
    let newer = super::migrations::MIGRATIONS.len() + 1;
    Connection::open(&path)
        .and_then(|c| c.pragma_update(None, "user_version", newer))
        .expect("bump the version");
    assert_refused_untouched(
        &path,
        &format!("schema version {newer}, newer than this build knows"),
    );
}

#[tokio::test]
async fn a_buffer_of_an_older_build_is_adopted_with_its_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("buffer.db");
    // What builds before the application id left behind: the migrations
    // with their versions, id 0, and buffered events.
    let conn = Connection::open(&path).expect("create");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    for (i, sql) in super::migrations::MIGRATIONS.iter().enumerate() {
        conn.execute_batch(&format!("BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1))
            .expect("migrate");
    }
    let incarnation = mes_protocols::Incarnation::new_v7();
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('incarnation', ?1), ('last_seq', '1')",
        [incarnation.to_string()],
    )
    .expect("meta");
    conn.execute(
        "INSERT INTO events (seq, occurred_at, droppable, record) VALUES (1, 0, 0, '{}')",
        [],
    )
    .expect("event");
    drop(conn);
    assert_eq!(application_id(&path), 0);

    let (buffer, guard) = Buffer::open(settings(&path)).expect("an older build's buffer opens");
    assert_eq!(buffer.origin(), BufferOrigin::Adopted);
    assert_eq!(buffer.stats().incarnation(), Some(incarnation));
    assert_eq!(BufferStats::get(&buffer.stats().depth), 1);
    close(buffer, guard).await;
    assert_eq!(application_id(&path), APPLICATION_ID, "adopted: the id is set");

    let (buffer, guard) = Buffer::open(settings(&path)).expect("reopens");
    assert_eq!(buffer.origin(), BufferOrigin::Existing);
    close(buffer, guard).await;
}

#[tokio::test]
async fn an_empty_file_or_no_file_becomes_a_new_buffer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").expect("empty file");
    let absent = dir.path().join("absent.db");
    for path in [&empty, &absent] {
        let (buffer, guard) = Buffer::open(settings(path)).expect("creates");
        assert_eq!(buffer.origin(), BufferOrigin::CreatedNew);
        close(buffer, guard).await;
        assert_eq!(application_id(path), APPLICATION_ID);
        let (buffer, guard) = Buffer::open(settings(path)).expect("reopens");
        assert_eq!(buffer.origin(), BufferOrigin::Existing);
        close(buffer, guard).await;
    }
}

#[tokio::test]
async fn a_corrupt_buffer_names_the_cause_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("buffer.db");
    let (buffer, guard) = Buffer::open(settings(&path)).expect("create");
    close(buffer, guard).await;
    let mut bytes = std::fs::read(&path).expect("read");
    // Page 1 past the 100-byte header: the schema table's b-tree page.
    bytes[100..1024].fill(0xA5);
    std::fs::write(&path, bytes).expect("corrupt");
    let err = open_err(&path);
    let line = err.to_string();
    assert_eq!(line.matches("malformed").count(), 1, "{line}");
    assert!(err.source().is_none(), "{line}");
}

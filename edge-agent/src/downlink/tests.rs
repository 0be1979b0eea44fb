//! The downlink cache: pages change the in-memory data and the SQLite copy
//! alike, snapshots replace only when complete, and the copy survives a
//! reopen of the buffer file.

use super::*;
use crate::buffer::{Buffer, BufferSettings};
use mes_protocols::Code;
use mes_protocols::downlink::{DownlinkPage, LotRecord, Record, RecordKey, RecordKind, WorkerRecord};

fn code(raw: &str) -> Code {
    Code::parse(raw).expect("test codes are valid")
}

fn worker(code_: &str, badge: &str) -> Record {
    Record::Worker(WorkerRecord {
        code: code(code_),
        name: format!("worker {code_}"),
        badge: code(badge),
        worker_type: code("OP"),
    })
}

fn lot(material: &str, lot: &str) -> Record {
    Record::Lot(LotRecord {
        material: code(material),
        lot: code(lot),
        expires_on: None,
        blocked: false,
        manufacturer: None,
    })
}

fn page(
    cursor: u64,
    more: bool,
    reset: bool,
    upserts: Vec<Record>,
    removals: Vec<RecordKey>,
) -> DownlinkPage {
    DownlinkPage {
        cursor,
        more,
        reset,
        upserts,
        removals,
    }
}

fn open(dir: &tempfile::TempDir) -> (Buffer, crate::buffer::WriterGuard) {
    Buffer::open(BufferSettings::unbounded(dir.path().join("buffer.db"))).expect("buffer opens")
}

#[test]
fn badges_follow_worker_changes_and_removals() {
    let mut data = MasterData::from_records([worker("W1", "0001")]);
    assert_eq!(
        data.worker_by_badge(&code("0001")).map(|w| w.code.as_str()),
        Some("W1")
    );
    data.upsert(worker("W1", "0002"));
    assert!(
        data.worker_by_badge(&code("0001")).is_none(),
        "the old badge is gone"
    );
    assert!(data.worker_by_badge(&code("0002")).is_some());
    data.remove(&RecordKey {
        kind: RecordKind::Worker,
        code: code("W1"),
        material: None,
    });
    assert!(data.worker_by_badge(&code("0002")).is_none());
    assert!(data.is_empty());
}

#[test]
fn lots_are_keyed_by_material_and_code() {
    let mut data = MasterData::from_records([lot("STEEL", "L1"), lot("PAINT", "L1")]);
    assert_eq!(data.lots_named(&code("L1")).len(), 2);
    data.remove(&RecordKey {
        kind: RecordKind::Lot,
        code: code("L1"),
        material: Some(code("STEEL")),
    });
    assert!(data.lot(&code("STEEL"), &code("L1")).is_none());
    assert!(data.lot(&code("PAINT"), &code("L1")).is_some());
}

#[test]
fn a_snapshot_takes_a_new_generation_and_completes_on_its_last_page() {
    let live = CacheMeta {
        cursor: 9,
        generation: 3,
        snapshot: None,
    };
    let (target, mid, completes) = live.plan(&page(20, true, true, vec![], vec![]));
    assert_eq!((target, completes), (4, false));
    assert_eq!(
        mid,
        CacheMeta {
            cursor: 20,
            generation: 3,
            snapshot: Some(4)
        }
    );
    let (target, end, completes) = mid.plan(&page(21, false, false, vec![], vec![]));
    assert_eq!((target, completes), (4, true));
    assert_eq!(
        end,
        CacheMeta {
            cursor: 21,
            generation: 4,
            snapshot: None
        }
    );
    let (target, _, completes) = end.plan(&page(22, false, false, vec![], vec![]));
    assert_eq!(
        (target, completes),
        (4, false),
        "an incremental page keeps the generation"
    );
}

#[tokio::test]
async fn pages_are_saved_and_a_snapshot_replaces_the_old_data_only_when_complete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (buffer, writer) = open(&dir);
    let (meta, data) = load_from(&buffer).expect("empty cache loads");
    assert_eq!((meta, data.len()), (CacheMeta::default(), 0));

    let first = page(
        5,
        false,
        true,
        vec![worker("W1", "1"), lot("STEEL", "L1")],
        vec![],
    );
    let (meta, completes) = apply(&buffer, meta, &first).await.expect("applied");
    assert!(completes);
    let removal = RecordKey {
        kind: RecordKind::Lot,
        code: code("L1"),
        material: Some(code("STEEL")),
    };
    let (meta, _) = apply(
        &buffer,
        meta,
        &page(6, false, false, vec![worker("W2", "2")], vec![removal]),
    )
    .await
    .expect("applied");
    let (_, data) = load_from(&buffer).expect("loads");
    assert_eq!(data.len(), 2, "W1 and W2; the lot was removed");

    // A new snapshot in two pages: W1 is not in it.
    let (meta, completes) = apply(
        &buffer,
        meta,
        &page(7, true, true, vec![worker("W2", "2")], vec![]),
    )
    .await
    .expect("applied");
    assert!(!completes);
    let (_, data) = load_from(&buffer).expect("loads");
    assert!(
        data.worker(&code("W1")).is_some(),
        "old data stays until the snapshot is complete"
    );
    let (meta, completes) = apply(
        &buffer,
        meta,
        &page(8, false, false, vec![lot("STEEL", "L2")], vec![]),
    )
    .await
    .expect("applied");
    assert!(completes);
    drop(buffer);
    writer.join();

    let (buffer, writer) = open(&dir);
    let (saved, data) = load_from(&buffer).expect("loads after reopen");
    assert_eq!(saved, meta);
    assert_eq!(saved.cursor, 8);
    assert!(data.worker(&code("W1")).is_none(), "not in the snapshot: gone");
    assert!(data.worker(&code("W2")).is_some());
    assert!(data.lot(&code("STEEL"), &code("L2")).is_some());
    drop(buffer);
    writer.join();
}

#[tokio::test]
async fn client_reads_a_page_and_names_hub_errors() {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/api/v1/downlink",
        get(
            |q: axum::extract::Query<mes_protocols::downlink::DownlinkQuery>| async move {
                if q.plan.is_some() {
                    // What a hub from before plans answers.
                    return (
                        axum::http::StatusCode::BAD_REQUEST,
                        r#"{"error":{"code":"invalid_query","message":"unknown query parameter; the downlink takes since and limit","field":"plan"}}"#
                            .to_string(),
                    );
                }
                if q.since == 99 {
                    return (
                        axum::http::StatusCode::BAD_REQUEST,
                        r#"{"error":{"code":"invalid_query","message":"bad cursor","field":"since"}}"#
                            .to_string(),
                    );
                }
                let page = page(q.since + 1, false, q.since == 0, vec![worker("W1", "1")], vec![]);
                (
                    axum::http::StatusCode::OK,
                    serde_json::to_string(&page).expect("serializes"),
                )
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let hub =
        crate::hub::HubConnection::new(&format!("http://{addr}"), "t", std::time::Duration::from_secs(5))
            .expect("client");
    let got = fetch(&hub, 0, 10, None).await.expect("page");
    assert!(got.reset);
    assert_eq!(got.cursor, 1);
    let err = fetch(&hub, 99, 10, None).await.expect_err("hub error");
    assert!(
        err.to_string().contains("400") && err.to_string().contains("since"),
        "{err}"
    );
    let older = fetch(&hub, 0, 10, Some(0))
        .await
        .expect_err("an older hub refuses plan");
    assert!(matches!(older, DownlinkError::PlanUnsupported), "{older}");
}

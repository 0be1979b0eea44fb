//! Poison never wedges a tenant (issue 12). Extreme events are refused at
//! ingest with the field named, before they are acknowledged; events an
//! older hub acknowledged anyway (stored here straight into the log, the
//! way that hub's ingest stored them) are set aside by the projection as
//! issues carrying their event id, and every later event is still booked,
//! by the projection and by a rebuild.

use crate::floor::{Floor, factory};
use cloud_hub::ingest::{BodyError, IngestBatch, IngestEvent, parse_body};
use cloud_hub::projection::{check_books, guarded_step, project_step, rebuild};
use cloud_hub::stock::MovementSource;
use cloud_hub::store::Store;
use cloud_hub::store::TenantId;
use mes_protocols::wire::BufferReport;
use mes_protocols::{Seq, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::HashSet;

/// The largest decimal: 2^96 - 1.
const DECIMAL_MAX: &str = "79228162514264337593543950335";

/// A moment of the test floor, `minutes` after a fixed instant.
fn at(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_790_000_000_000 + minutes * 60_000)
}

/// A consumption of BOLT as the wire carries it, its quantity written as
/// `quantity` (any text) and, when given, an extra field `extra` holding
/// `extra` (raw JSON). Returns the event JSON (without `seq`) and its id.
fn consumption(floor: &Floor, minute: i64, quantity: &str, extra: Option<&str>) -> (String, String) {
    let draft = floor.consumed(at(minute), "BOLT", None, "1", "pcs");
    let id = draft.id.to_string();
    let mut value: serde_json::Value =
        serde_json::from_str(&draft.to_record_json()).expect("a draft is JSON");
    value["data"]["quantity"]["value"] = serde_json::Value::String(quantity.to_string());
    if extra.is_some() {
        value["data"]["extra"] = serde_json::Value::String("__EXTRA__".into());
    }
    let mut text = value.to_string();
    if let Some(extra) = extra {
        text = text.replace("\"__EXTRA__\"", extra);
    }
    (text, id)
}

/// `{"a":` nested `depth` levels deep around `1`.
fn nested(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

/// The batch JSON an agent sends with `events` (event JSON without `seq`)
/// numbered from the floor's next sequence number.
fn batch_json(floor: &Floor, events: &[String]) -> Vec<u8> {
    let first = floor.next_seq;
    let events: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{{\"seq\":{},{}", first + i as u64, &e[1..]))
        .collect();
    format!(
        r#"{{"schema_version":1,"agent_id":"{}","incarnation":"{}","first_seq":{},"last_seq":{},"buffer":{{"depth":0,"dropped_total":0,"refused_total":0}},"sent_at":"2026-12-01T00:00:00Z","events":[{}]}}"#,
        floor.agent.auth.agent_id,
        floor.incarnation,
        first,
        first + events.len() as u64 - 1,
        events.join(",")
    )
    .into_bytes()
}

/// Sends `events` through the hub's ingest checks (`parse_body`, what
/// `POST /api/v1/ingest` runs before it stores anything) and stores the
/// batch if they pass. Returns the refusal, if any.
async fn ingest(store: &Store, floor: &mut Floor, events: &[String]) -> Result<(), BodyError> {
    let batch = parse_body(&batch_json(floor, events), false, 64 << 20)?;
    store_batch(store, floor, batch).await;
    Ok(())
}

/// Stores `events` (JSON, id, kind) as an older hub did: without the
/// checks of today's ingest.
async fn store_unchecked(store: &Store, floor: &mut Floor, events: &[(String, String, &str)]) {
    let first = floor.next_seq;
    let events: Vec<IngestEvent> = events
        .iter()
        .enumerate()
        .map(|(i, (json, id, kind))| {
            let seq = first + i as u64;
            IngestEvent {
                seq: Seq(seq),
                event_id: *uuid::Uuid::parse_str(id).expect("ids are uuids").as_bytes(),
                known: mes_protocols::EventKind::parse(kind).is_some(),
                kind: kind.to_string(),
                occurred_at: at(0).unix_millis(),
                raw: format!("{{\"seq\":{seq},{}", &json[1..]),
            }
        })
        .collect();
    let batch = IngestBatch {
        agent_id: floor.agent.auth.agent_id,
        incarnation: floor.incarnation,
        first_seq: Seq(first),
        last_seq: Seq(first + events.len() as u64 - 1),
        dropped: Vec::new(),
        buffer: BufferReport::default(),
        events,
        sent_at: Timestamp::from_unix_millis(0),
        clock_offset_ms: None,
    };
    store_batch(store, floor, batch).await;
}

async fn store_batch(store: &Store, floor: &mut Floor, batch: IngestBatch) {
    floor.next_seq = batch.last_seq.0 + 1;
    store
        .ingest(floor.agent.auth.clone(), batch)
        .await
        .expect("the store works")
        .expect("the batch is accepted");
}

/// The field a refusal names.
fn refused_field(result: Result<(), BodyError>) -> String {
    match result {
        Err(BodyError::Batch(e)) => e.detail.field,
        other => panic!("expected a refused batch, got {other:?}"),
    }
}

/// Event ids with ledger rows.
async fn booked(store: &Store, tenant: TenantId) -> HashSet<String> {
    store
        .all_movements(tenant)
        .await
        .expect("movements read")
        .into_iter()
        .filter_map(|m| match m.id.source {
            MovementSource::Event(e) => Some(e.to_string()),
            MovementSource::Document(_) => None,
        })
        .collect()
}

/// Event ids set aside as projection issues (each must have one).
async fn set_aside(store: &Store, tenant: TenantId) -> HashSet<String> {
    let issues = store
        .projection_issues(tenant, 10_000)
        .await
        .expect("issues read");
    for issue in &issues {
        assert!(!issue.event_id.is_empty(), "an issue names its event: {issue:?}");
    }
    issues.into_iter().map(|i| i.event_id).collect()
}

/// Runs plain projection steps until caught up; a step that fails is the
/// wedge of issue 12.
async fn project(store: &Store, tenant: TenantId, batch: usize) {
    let mut context = None;
    for _ in 0..10_000 {
        let step = project_step(store, tenant, &mut context, batch)
            .await
            .expect("a projection step never fails on an event's content");
        if step.events == 0 {
            return;
        }
    }
    panic!("the projection did not catch up");
}

pub async fn events_past_the_decimal_range_never_wedge_the_tenant(db: &crate::harness::TestDb) {
    let store = &db.store;
    let mut floor = factory(store, "poison-range").await;
    let tenant = floor.tenant;
    // Today's ingest refuses them, naming the field.
    let (huge, _) = consumption(&floor, 1, DECIMAL_MAX, None);
    let field = refused_field(ingest(store, &mut floor, &[huge]).await);
    assert_eq!(field, "events[0].data.quantity.value");
    let (big, _) = consumption(&floor, 1, "2000000000000000", None);
    let field = refused_field(ingest(store, &mut floor, &[big]).await);
    assert_eq!(field, "events[0].data.quantity.value");
    // Two an older hub acknowledged, then an ordinary one.
    let poison = [
        consumption(&floor, 1, DECIMAL_MAX, None),
        consumption(&floor, 2, DECIMAL_MAX, None),
    ];
    let unchecked: Vec<_> = poison
        .iter()
        .map(|(json, id)| (json.clone(), id.clone(), "material_consumed"))
        .collect();
    store_unchecked(store, &mut floor, &unchecked).await;
    let (good, good_id) = consumption(&floor, 3, "5", None);
    ingest(store, &mut floor, &[good])
        .await
        .expect("an ordinary event is accepted");
    project(store, tenant, 10).await;
    let booked_now = booked(store, tenant).await;
    assert!(booked_now.contains(&good_id), "the later event is booked");
    let aside = set_aside(store, tenant).await;
    for (_, id) in &poison {
        assert!(aside.contains(id), "poison {id} is set aside with its id");
        assert!(!booked_now.contains(id));
    }
    let books = check_books(store, tenant).await.expect("books check works");
    assert!(books.unbooked.is_empty(), "{:?}", books.unbooked);
    // `cloud-hub rebuild` survives the same poison and books the same.
    let rebuilt = rebuild(store, tenant, 2).await.expect("rebuild survives poison");
    assert_eq!(rebuilt.issues, 2);
    assert_eq!(booked(store, tenant).await, booked_now);
}

pub async fn deep_or_malformed_events_are_refused_at_ingest_and_set_aside_with_their_id(
    db: &crate::harness::TestDb,
) {
    let store = &db.store;
    let mut floor = factory(store, "poison-deep").await;
    let tenant = floor.tenant;
    let deep = nested(200);
    let (event, _) = consumption(&floor, 1, "1", Some(&deep));
    let field = refused_field(ingest(store, &mut floor, &[event]).await);
    assert_eq!(field, "events[0].data.extra.a");
    let long = "1".repeat(101);
    for bad in ["+5", "1_000", long.as_str()] {
        let (event, _) = consumption(&floor, 1, bad, None);
        let field = refused_field(ingest(store, &mut floor, &[event]).await);
        assert_eq!(field, "events[0].data.quantity.value", "{bad:?} is refused");
    }
    // An older hub stored the deep one; the projection cannot read it.
    let (stored_deep, deep_id) = consumption(&floor, 1, "1", Some(&deep));
    store_unchecked(
        store,
        &mut floor,
        &[(stored_deep, deep_id.clone(), "material_consumed")],
    )
    .await;
    let (good, good_id) = consumption(&floor, 2, "3", None);
    ingest(store, &mut floor, &[good])
        .await
        .expect("an ordinary event is accepted");
    project(store, tenant, 10).await;
    assert!(
        set_aside(store, tenant).await.contains(&deep_id),
        "the issue names the event"
    );
    assert!(booked(store, tenant).await.contains(&good_id));
    let books = check_books(store, tenant).await.expect("books check works");
    assert!(books.unbooked.is_empty(), "{:?}", books.unbooked);
}

/// One generated event: its quantity text, an extra field nested some
/// levels deep, a kind the hub may not know, and whether an older hub
/// stored it unchecked.
#[derive(Debug, Clone)]
struct Extreme {
    quantity: String,
    extra_depth: Option<usize>,
    unknown_kind: bool,
    unchecked: bool,
}

fn quantity_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..1_000_000).prop_map(|n| n.to_string()),
        "[1-9][0-9]{10,40}",
        "0\\.0{0,30}[1-9]",
        "-[1-9][0-9]{0,30}",
        Just("0".to_string()),
        Just(DECIMAL_MAX.to_string()),
        Just("+5".to_string()),
        Just("1_000".to_string()),
        Just("1e5".to_string()),
        Just("1".repeat(101)),
        "[0-9]{1,12}\\.[0-9]{1,10}",
    ]
}

fn extreme() -> impl Strategy<Value = Extreme> {
    (
        quantity_text(),
        proptest::option::of(0usize..260),
        proptest::bool::weighted(0.1),
        proptest::bool::weighted(0.3),
    )
        .prop_map(|(quantity, extra_depth, unknown_kind, unchecked)| Extreme {
            quantity,
            extra_depth,
            unknown_kind,
            unchecked,
        })
}

/// Feeds one generated floor through ingest and the projection; checks that
/// nothing wedges and every acknowledged event is booked or set aside.
async fn run_extremes(store: &Store, case: usize, events: Vec<Extreme>) -> Result<(), TestCaseError> {
    let mut floor = factory(store, &format!("extreme-{case}")).await;
    let tenant = floor.tenant;
    let mut acknowledged = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let extra = e.extra_depth.map(nested);
        let (mut json, id) = consumption(&floor, i as i64, &e.quantity, extra.as_deref());
        let kind = if e.unknown_kind {
            json = json.replace("\"material_consumed\"", "\"material_teleported\"");
            "material_teleported"
        } else {
            "material_consumed"
        };
        if e.unchecked {
            store_unchecked(store, &mut floor, &[(json, id.clone(), kind)]).await;
            acknowledged.push((id, e.unknown_kind));
        } else {
            match ingest(store, &mut floor, std::slice::from_ref(&json)).await {
                Ok(()) => acknowledged.push((id, e.unknown_kind)),
                Err(BodyError::Batch(refusal)) => {
                    prop_assert!(!refusal.detail.field.is_empty(), "a refusal names its field")
                }
                Err(other) => prop_assert!(false, "unexpected refusal {other:?}"),
            }
        }
    }
    let mut context = None;
    let mut caught_up = false;
    for _ in 0..1_000 {
        let step = guarded_step(store, tenant, &mut context, 7)
            .await
            .map_err(|e| TestCaseError::fail(format!("projection failed: {e}")))?;
        if step.events == 0 {
            caught_up = true;
            break;
        }
    }
    prop_assert!(caught_up, "the projection caught up");
    let booked = booked(store, tenant).await;
    let aside = set_aside(store, tenant).await;
    for (id, unknown) in &acknowledged {
        if !unknown {
            prop_assert!(
                booked.contains(id) || aside.contains(id),
                "acknowledged event {id} is neither booked nor set aside"
            );
        }
    }
    let books = check_books(store, tenant)
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(books.unbooked.is_empty(), "unbooked: {:?}", books.unbooked);
    Ok(())
}

pub async fn extreme_events_are_booked_or_set_aside_and_never_wedge(db: &crate::harness::TestDb) {
    let store = db.store.clone();
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        max_shrink_iters: 20,
        ..Config::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(0);
    let result = tokio::task::block_in_place(|| {
        runner.run(&proptest::collection::vec(extreme(), 1..12), |events| {
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            handle.block_on(run_extremes(&store, n, events))
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// An event whose error text PostgreSQL cannot store (a NUL character; it
/// wedged the tenant on PostgreSQL before the projection wrote NUL as
/// `\0`, and the guard set it aside after) is set aside, and the events
/// after it are booked.
pub async fn an_event_the_store_refuses_is_set_aside_and_the_rest_booked(db: &crate::harness::TestDb) {
    let store = &db.store;
    let mut floor = factory(store, "poison-nul").await;
    let tenant = floor.tenant;
    let (good_before, before_id) = consumption(&floor, 1, "2", None);
    ingest(store, &mut floor, &[good_before])
        .await
        .expect("an ordinary event is accepted");
    // Stored unchecked by an older hub: a source no hub knows, with a NUL.
    let (json, nul_id) = consumption(&floor, 2, "1", None);
    let mut value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    value["source"] = serde_json::json!({"type": "st\u{0}ation", "id": "ST1"});
    store_unchecked(
        store,
        &mut floor,
        &[(value.to_string(), nul_id.clone(), "material_consumed")],
    )
    .await;
    let (good_after, after_id) = consumption(&floor, 3, "3", None);
    ingest(store, &mut floor, &[good_after])
        .await
        .expect("an ordinary event is accepted");
    let mut context = None;
    let mut caught_up = false;
    for _ in 0..100 {
        let step = guarded_step(store, tenant, &mut context, 10)
            .await
            .expect("the guarded projection never fails on an event");
        if step.events == 0 {
            caught_up = true;
            break;
        }
    }
    assert!(caught_up, "the projection caught up");
    let booked = booked(store, tenant).await;
    assert!(booked.contains(&before_id) && booked.contains(&after_id));
    assert!(set_aside(store, tenant).await.contains(&nul_id));
}

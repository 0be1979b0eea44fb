//! Buffer behaviour on real SQLite files.

use super::*;
use mes_protocols::event::{EquipmentState, EquipmentStateChanged, ProcessValueSampled};
use mes_protocols::{Code, EventBody, EventDraft, Seq, Source, Timestamp};

fn code(s: &str) -> Code {
    Code::parse(s).expect("valid code")
}

fn state_event() -> EventDraft {
    EventDraft::new(
        Timestamp::from_unix_millis(1_764_000_000_000),
        Source::Device(code("press-1")),
        EventBody::EquipmentStateChanged(EquipmentStateChanged {
            equipment: code("press-1"),
            state: EquipmentState::Running,
            reason: None,
        }),
    )
}

fn sample() -> EventDraft {
    EventDraft::new(
        Timestamp::from_unix_millis(1_764_000_000_000),
        Source::Device(code("press-1")),
        EventBody::ProcessValueSampled(ProcessValueSampled {
            equipment: code("press-1"),
            tag: code("temperature"),
            value: 61.5,
            unit: None,
        }),
    )
}

fn settings(dir: &tempfile::TempDir, max_bytes: u64, policy: OverflowPolicy) -> BufferSettings {
    BufferSettings {
        max_bytes,
        policy,
        ..BufferSettings::unbounded(dir.path().join("buffer.db"))
    }
}

async fn close(buffer: Buffer, guard: WriterGuard) {
    drop(buffer);
    tokio::task::spawn_blocking(move || guard.join())
        .await
        .expect("join");
}

#[tokio::test]
async fn sequence_numbers_are_gap_free_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (buffer, guard) =
        Buffer::open(settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)).expect("open");
    let first = buffer
        .append(&[state_event(), state_event()])
        .await
        .expect("append");
    assert_eq!(
        first.committed.iter().map(|c| c.1).collect::<Vec<_>>(),
        vec![Seq(1), Seq(2)]
    );
    let incarnation = buffer.stats().incarnation();
    close(buffer, guard).await;

    let (buffer, guard) =
        Buffer::open(settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)).expect("reopen");
    assert_eq!(
        buffer.stats().incarnation(),
        incarnation,
        "a reopened file keeps its incarnation"
    );
    let next = buffer.append(&[state_event()]).await.expect("append");
    assert_eq!(next.committed[0].1, Seq(3));
    let batch = buffer
        .reader()
        .expect("reader")
        .next_batch(Seq(0), 10)
        .expect("read")
        .expect("events");
    assert_eq!((batch.first, batch.last, batch.events.len()), (Seq(1), Seq(3), 3));
    close(buffer, guard).await;
}

#[tokio::test]
async fn acknowledged_events_leave_and_the_cursor_survives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (buffer, guard) =
        Buffer::open(settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)).expect("open");
    buffer
        .append(&[state_event(), state_event(), state_event()])
        .await
        .expect("append");
    buffer.ack(Seq(2)).await.expect("ack");
    assert_eq!(BufferStats::get(&buffer.stats().depth), 1);
    close(buffer, guard).await;
    let (buffer, guard) =
        Buffer::open(settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)).expect("reopen");
    assert_eq!(BufferStats::get(&buffer.stats().acked_seq), 2);
    let batch = buffer
        .reader()
        .expect("reader")
        .next_batch(Seq(2), 10)
        .expect("read")
        .expect("one left");
    assert_eq!((batch.first, batch.last), (Seq(3), Seq(3)));
    close(buffer, guard).await;
}

/// Appends `n` samples in requests of 100; returns how many were refused.
async fn append_samples(buffer: &Buffer, n: usize) -> usize {
    let mut refused = 0;
    for _ in 0..n / 100 {
        let batch: Vec<EventDraft> = (0..100).map(|_| sample()).collect();
        refused += buffer.append(&batch).await.expect("append samples").refused.len();
    }
    refused
}

const LIMIT: u64 = 256 * 1024;

#[tokio::test]
async fn full_buffer_drops_oldest_samples_but_never_state_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (buffer, guard) =
        Buffer::open(settings(&dir, LIMIT, OverflowPolicy::DropOldestTelemetry)).expect("open");
    append_samples(&buffer, 3000).await;
    let states: Vec<EventDraft> = (0..10).map(|_| state_event()).collect();
    let receipt = buffer.append(&states).await.expect("append states");
    assert_eq!(receipt.committed.len(), 10, "state events are always stored");
    let more = buffer
        .append(&[sample(), sample()])
        .await
        .expect("append samples");
    let stats = buffer.stats();
    let dropped = BufferStats::get(&stats.dropped_total);
    let refused = BufferStats::get(&stats.refused_total);
    assert!(dropped > 0, "old samples were dropped");
    assert_eq!(refused as usize, more.refused.len());
    let footprint = BufferStats::get(&stats.bytes);
    assert!(
        footprint <= LIMIT + 64 * 1024,
        "the file (pages in use + WAL) stays near the limit: {footprint}"
    );
    let batch = buffer
        .reader()
        .expect("reader")
        .next_batch(Seq(0), 10_000)
        .expect("read")
        .expect("events");
    let covered: u64 = batch.events.len() as u64 + batch.dropped.iter().map(|r| r.len()).sum::<u64>();
    assert_eq!(
        covered,
        batch.last.0 - batch.first.0 + 1,
        "events and dropped ranges cover the batch"
    );
    assert!(
        batch
            .events
            .iter()
            .filter(|(_, r)| r.contains("equipment_state_changed"))
            .count()
            == 10
    );
    close(buffer, guard).await;
}

#[tokio::test]
async fn refuse_policy_keeps_what_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (buffer, guard) = Buffer::open(settings(&dir, LIMIT, OverflowPolicy::RefuseTelemetry)).expect("open");
    let refused = append_samples(&buffer, 3000).await;
    assert!(refused > 0);
    assert_eq!(BufferStats::get(&buffer.stats().dropped_total), 0);
    assert_eq!(BufferStats::get(&buffer.stats().refused_total), refused as u64);
    close(buffer, guard).await;
}

#[tokio::test]
async fn below_the_free_space_floor_state_events_make_room_by_dropping_samples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (buffer, guard) =
        Buffer::open(settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)).expect("open");
    assert_eq!(
        append_samples(&buffer, 2000).await,
        0,
        "room enough without a floor"
    );
    close(buffer, guard).await;
    // A floor above any disk's free space: only pages freed inside the file
    // are room.
    let floor = BufferSettings {
        min_free_bytes: u64::MAX / 2,
        ..settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)
    };
    let (buffer, guard) = Buffer::open(floor).expect("reopen");
    let states: Vec<EventDraft> = (0..10).map(|_| state_event()).collect();
    let receipt = buffer.append(&states).await.expect("append states");
    assert_eq!(receipt.committed.len(), 10, "state events are stored");
    assert!(
        BufferStats::get(&buffer.stats().dropped_total) > 0,
        "old samples made room for them"
    );
    let refused = append_samples(&buffer, 100).await;
    assert!(refused < 100, "new samples take the pages old ones freed");
    close(buffer, guard).await;
}

#[tokio::test]
async fn rotation_renumbers_unacknowledged_events_from_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (buffer, guard) =
        Buffer::open(settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)).expect("open");
    let ids: Vec<_> = buffer
        .append(&[state_event(), state_event(), state_event(), state_event()])
        .await
        .expect("append")
        .committed;
    buffer.ack(Seq(2)).await.expect("ack");
    let before = buffer.stats().incarnation();
    let after = buffer.rotate_incarnation().await.expect("rotate");
    assert_ne!(before, Some(after));
    let batch = buffer
        .reader()
        .expect("reader")
        .next_batch(Seq(0), 10)
        .expect("read")
        .expect("events");
    assert_eq!((batch.first, batch.last), (Seq(1), Seq(2)));
    assert!(
        batch.events[0].1.contains(&ids[2].0.to_string()),
        "event 3 became number 1"
    );
    let next = buffer.append(&[state_event()]).await.expect("append");
    assert_eq!(next.committed[0].1, Seq(3));
    close(buffer, guard).await;
}

#[tokio::test]
async fn concurrent_producers_share_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (buffer, guard) =
        Buffer::open(settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)).expect("open");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let b = buffer.clone();
        tasks.spawn(async move {
            for _ in 0..50 {
                b.append(&[state_event()]).await.expect("append");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let s = buffer.stats();
    assert_eq!(BufferStats::get(&s.last_seq), 400);
    assert_eq!(BufferStats::get(&s.appended_total), 400);
    close(buffer, guard).await;
}

#[tokio::test]
async fn state_is_saved_with_its_events_and_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (buffer, guard) =
        Buffer::open(settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)).expect("open");
    let event = PreparedEvent::new(&state_event()).expect("valid");
    let update = |k: &str, v: Option<&str>| StateUpdate {
        key: k.into(),
        value: v.map(Into::into),
    };
    buffer
        .append_with_state(
            vec![event],
            vec![
                update("counter/press-1/good", Some("41")),
                update("other/x", Some("1")),
            ],
        )
        .await
        .expect("append");
    buffer
        .append_with_state(vec![], vec![update("other/x", None)])
        .await
        .expect("delete");
    close(buffer, guard).await;
    let (buffer, guard) =
        Buffer::open(settings(&dir, u64::MAX, OverflowPolicy::DropOldestTelemetry)).expect("reopen");
    assert_eq!(
        buffer.load_state("counter/").expect("load"),
        vec![("counter/press-1/good".to_string(), "41".to_string())]
    );
    assert!(buffer.load_state("other/").expect("load").is_empty());
    close(buffer, guard).await;
}

//! Storing batches: exactly once, atomically, in order.

use crate::fixtures::{Ev, accepted, batch, fresh, outcome, plain, provision, refused, renumbered, row};
use crate::harness::TestDb;
use cloud_hub::store::IngestRejection;
use mes_protocols::{Incarnation, Seq};
use std::time::Instant;

pub async fn new_batch_is_stored(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let got = accepted(&db.store, &a, plain(&a, Incarnation::new_v7(), &fresh(1, 3))).await;
    assert_eq!(got, outcome(3, 3, 0));
    assert_eq!(row(&db.store, &a).await.events_received, 3);
}

pub async fn retried_batch_is_stored_once(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let inc = Incarnation::new_v7();
    let events = fresh(1, 3);
    accepted(&db.store, &a, plain(&a, inc, &events)).await;
    let again = accepted(&db.store, &a, plain(&a, inc, &events)).await;
    assert_eq!(
        again,
        outcome(3, 0, 3),
        "the same acknowledgement, nothing stored"
    );
    let r = row(&db.store, &a).await;
    assert_eq!((r.acked_seq, r.events_received, r.anomalies), (3, 3, 0));
}

pub async fn overlapping_batch_stores_only_its_new_events(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let inc = Incarnation::new_v7();
    let events = fresh(1, 6);
    accepted(&db.store, &a, plain(&a, inc, &events[..3])).await;
    let got = accepted(&db.store, &a, plain(&a, inc, &events[1..])).await;
    assert_eq!(got, outcome(6, 3, 2));
    assert_eq!(row(&db.store, &a).await.events_received, 6);
}

pub async fn gap_is_refused_and_recorded(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let inc = Incarnation::new_v7();
    accepted(&db.store, &a, plain(&a, inc, &fresh(1, 4))).await;
    let late = fresh(7, 8);
    let got = refused(&db.store, &a, plain(&a, inc, &late)).await;
    assert_eq!(
        got,
        IngestRejection::Gap {
            acked: Seq(4),
            first: Seq(7)
        }
    );
    let r = row(&db.store, &a).await;
    assert_eq!((r.acked_seq, r.events_received, r.anomalies), (4, 4, 1));
    // Nothing of the refused batch was kept: its events are new afterwards.
    let filled = [fresh(5, 6), late].concat();
    assert_eq!(
        accepted(&db.store, &a, plain(&a, inc, &filled)).await,
        outcome(8, 4, 0)
    );

    // A first batch of an incarnation must start at 1; the refused batch
    // leaves no stream behind.
    let other = Incarnation::new_v7();
    let got = refused(&db.store, &a, plain(&a, other, &fresh(3, 3))).await;
    assert_eq!(
        got,
        IngestRejection::Gap {
            acked: Seq(0),
            first: Seq(3)
        }
    );
    let r = row(&db.store, &a).await;
    assert_eq!((r.incarnations, r.anomalies, r.acked_seq), (1, 2, 8));
}

pub async fn conflict_is_refused_whole(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let inc = Incarnation::new_v7();
    let events = fresh(1, 4);
    accepted(&db.store, &a, plain(&a, inc, &events)).await;
    // Number 3 is stored with another event (a buffer restored from an old
    // backup): nothing of the batch is stored, not even its new number 5.
    let mut rewritten = fresh(3, 5);
    rewritten[1] = events[3];
    let got = refused(&db.store, &a, plain(&a, inc, &rewritten)).await;
    assert_eq!(
        got,
        IngestRejection::Conflict {
            acked: Seq(4),
            seq: Seq(3)
        }
    );
    let r = row(&db.store, &a).await;
    assert_eq!((r.acked_seq, r.events_received, r.anomalies), (4, 4, 1));
    let five = [rewritten[2]];
    assert_eq!(
        accepted(&db.store, &a, plain(&a, inc, &five)).await,
        outcome(5, 1, 0)
    );
}

pub async fn event_held_twice_by_the_agent_is_a_retry(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let inc = Incarnation::new_v7();
    let first = fresh(1, 2);
    accepted(&db.store, &a, plain(&a, inc, &first)).await;
    // Number 4 carries the same event as number 1.
    let second = [fresh(3, 3)[0], Ev { seq: 4, ..first[0] }];
    assert_eq!(
        accepted(&db.store, &a, plain(&a, inc, &second)).await,
        outcome(4, 1, 1)
    );
    assert_eq!(
        accepted(&db.store, &a, plain(&a, inc, &second)).await,
        outcome(4, 0, 2)
    );
    let r = row(&db.store, &a).await;
    assert_eq!((r.events_received, r.anomalies), (3, 0));
}

pub async fn new_incarnation_is_an_anomaly_and_renumbered_events_are_duplicates(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let (old, new) = (Incarnation::new_v7(), Incarnation::new_v7());
    let events = fresh(1, 4);
    accepted(&db.store, &a, plain(&a, old, &events)).await;
    let first = row(&db.store, &a).await;
    assert_eq!(
        (first.incarnations, first.anomalies),
        (1, 0),
        "a first incarnation is no anomaly"
    );
    // The agent lost its acknowledgements and renumbers events 3, 4 from 1,
    // followed by a new one.
    let resent = [renumbered(&events[2..], 1), fresh(3, 3)].concat();
    assert_eq!(
        accepted(&db.store, &a, plain(&a, new, &resent)).await,
        outcome(3, 1, 2)
    );
    let r = row(&db.store, &a).await;
    assert_eq!(r.incarnation, Some(new.to_string()));
    assert_eq!(
        (r.incarnations, r.anomalies, r.acked_seq, r.events_received),
        (2, 1, 3, 5)
    );
    // The old incarnation still has its own numbers.
    assert_eq!(
        accepted(&db.store, &a, plain(&a, old, &events)).await,
        outcome(4, 0, 4)
    );
}

pub async fn unknown_kinds_are_stored_and_counted_once(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let inc = Incarnation::new_v7();
    let mut events = fresh(1, 3);
    events[1].known = false;
    assert_eq!(
        accepted(&db.store, &a, plain(&a, inc, &events)).await,
        outcome(3, 3, 0)
    );
    accepted(&db.store, &a, plain(&a, inc, &events)).await;
    let r = row(&db.store, &a).await;
    assert_eq!((r.events_received, r.unknown_kind_events), (3, 1));
}

pub async fn same_event_id_in_two_tenants_is_stored_in_each(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let b = provision(&db.store, "globex").await;
    let events = fresh(1, 2);
    assert_eq!(
        accepted(&db.store, &a, plain(&a, Incarnation::new_v7(), &events)).await,
        outcome(2, 2, 0)
    );
    assert_eq!(
        accepted(&db.store, &b, plain(&b, Incarnation::new_v7(), &events)).await,
        outcome(2, 2, 0),
        "another tenant's event ids do not make these duplicates"
    );
    assert_eq!(row(&db.store, &b).await.events_received, 2);
}

pub async fn dropped_ranges_are_counted_once(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let inc = Incarnation::new_v7();
    // Events 1, 4, 5, 6; numbers 2, 3, 7, 8 dropped by the agent.
    let events = [fresh(1, 1), fresh(4, 6)].concat();
    let first = batch(&a, inc, (1, 4), &events[..2], &[(2, 3)]);
    assert_eq!(accepted(&db.store, &a, first.clone()).await, outcome(4, 2, 0));
    assert_eq!(row(&db.store, &a).await.dropped_events, 2);
    accepted(&db.store, &a, first).await;
    assert_eq!(
        row(&db.store, &a).await.dropped_events,
        2,
        "a retry counts nothing again"
    );
    // Overlapping: 2..=3 again (not counted again), 7..=8 new.
    let more = batch(&a, inc, (2, 8), &events[1..], &[(2, 3), (7, 8)]);
    assert_eq!(accepted(&db.store, &a, more).await, outcome(8, 2, 1));
    let r = row(&db.store, &a).await;
    assert_eq!((r.dropped_events, r.acked_seq, r.events_received), (4, 8, 4));
}

pub async fn concurrent_batches_of_one_agent_store_each_event_once(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    let inc = Incarnation::new_v7();
    let events = fresh(1, 200);
    // The same two overlapping batches sent many times at once, the first
    // ever of this incarnation (so the stream is created under contention).
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = db.store.clone();
        let auth = a.auth.clone();
        let part = if i % 2 == 0 { &events[..120] } else { &events[..] };
        let b = plain(&a, inc, part);
        tasks.push(tokio::spawn(async move { store.ingest(auth, b).await }));
    }
    let mut stored = 0;
    for t in tasks {
        match t.await.expect("task").expect("store works") {
            Ok(o) => stored += o.stored,
            // A full batch that came first leaves no gap; a rejection here
            // would be a serialisation bug.
            Err(r) => panic!("refused: {r:?}"),
        }
    }
    assert_eq!(stored, 200, "each event stored by exactly one batch");
    let r = row(&db.store, &a).await;
    assert_eq!(
        (r.acked_seq, r.events_received, r.incarnations, r.anomalies),
        (200, 200, 1, 0)
    );
}

pub async fn large_batches_are_stored_quickly(db: &TestDb) {
    const BATCHES: u64 = 5;
    const PER_BATCH: u64 = 10_000;
    let a = provision(&db.store, "acme").await;
    let inc = Incarnation::new_v7();
    let started = Instant::now();
    let mut last = Vec::new();
    for n in 0..BATCHES {
        last = fresh(n * PER_BATCH + 1, (n + 1) * PER_BATCH);
        let got = accepted(&db.store, &a, plain(&a, inc, &last)).await;
        assert_eq!(got.stored, PER_BATCH);
    }
    let elapsed = started.elapsed();
    let total = BATCHES * PER_BATCH;
    eprintln!(
        "{}: {total} events in {BATCHES} batches in {:.2} s ({:.0} events/s)",
        db.store.backend_name(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    // A retry of a full batch is checked against what is stored.
    let started = Instant::now();
    let got = accepted(&db.store, &a, plain(&a, inc, &last)).await;
    assert_eq!(got, outcome(total, 0, PER_BATCH));
    eprintln!(
        "{}: retry of {PER_BATCH} stored events checked in {:.3} s",
        db.store.backend_name(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(row(&db.store, &a).await.events_received, total);
}

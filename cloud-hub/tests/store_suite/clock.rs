//! An agent's clock against the hub's: the offset measured on each batch is
//! kept and shown; the agent's events are dated in hub time with a
//! correction that moves only on real clock changes; events dated beyond
//! the bound after the hub's clock are counted and recorded.

use crate::fixtures::{accepted, fresh, plain, provision, row};
use crate::harness::TestDb;
use cloud_hub::store::TenantId;
use mes_protocols::Incarnation;

const MIN: i64 = 60_000;

/// The dates the log keeps for the tenant's events, by sequence order.
async fn logged_dates(db: &TestDb, tenant: TenantId) -> Vec<i64> {
    db.store
        .events_after(tenant, 0, 100)
        .await
        .expect("the log reads")
        .iter()
        .map(|e| e.occurred_at)
        .collect()
}

pub async fn agent_clock_offset_is_kept_and_events_are_dated_in_hub_time(db: &TestDb) {
    let a = provision(&db.store, "clock").await;
    let tenant = a.auth.tenant_id;
    let inc = Incarnation::new_v7();
    let events = fresh(1, 4);
    let stamp = |seq: u64| 1_764_000_000_000 + seq as i64;

    let before = row(&db.store, &a).await;
    assert_eq!((before.clock_offset_ms, before.clock_correction_ms), (None, 0));

    // The gateway is 10 minutes behind the hub: its events move forward.
    let mut first = plain(&a, inc, &events[..1]);
    first.clock_offset_ms = Some(10 * MIN);
    accepted(&db.store, &a, first).await;
    let r = row(&db.store, &a).await;
    assert_eq!(
        (r.clock_offset_ms, r.clock_correction_ms),
        (Some(10 * MIN), 10 * MIN)
    );
    assert!(r.clock_measured_at.is_some());

    // Half a second more is network jitter: the correction stays.
    let mut second = plain(&a, inc, &events[1..2]);
    second.clock_offset_ms = Some(10 * MIN + 500);
    accepted(&db.store, &a, second).await;
    let r = row(&db.store, &a).await;
    assert_eq!(
        (r.clock_offset_ms, r.clock_correction_ms),
        (Some(10 * MIN + 500), 10 * MIN)
    );

    // Someone set the gateway's clock: the measured offset is the new one.
    let mut third = plain(&a, inc, &events[2..3]);
    third.clock_offset_ms = Some(300);
    accepted(&db.store, &a, third).await;
    assert_eq!(row(&db.store, &a).await.clock_correction_ms, 300);

    // Not measured (None): nothing changes.
    accepted(&db.store, &a, plain(&a, inc, &events[3..])).await;
    let r = row(&db.store, &a).await;
    assert_eq!((r.clock_offset_ms, r.clock_correction_ms), (Some(300), 300));

    assert_eq!(
        logged_dates(db, tenant).await,
        [
            stamp(1) + 10 * MIN,
            stamp(2) + 10 * MIN,
            stamp(3) + 300,
            stamp(4) + 300
        ],
        "each event dated with the correction of its batch"
    );
    assert_eq!((r.future_events, r.anomalies), (0, 0));
}

pub async fn events_from_the_future_are_counted_and_recorded(db: &TestDb) {
    let a = provision(&db.store, "future").await;
    let inc = Incarnation::new_v7();
    let mut batch = plain(&a, inc, &fresh(1, 3));
    // 2100-01-01: after the hub's clock whenever this runs.
    batch.events[1].occurred_at = 4_102_444_800_000;
    let got = accepted(&db.store, &a, batch).await;
    assert_eq!((got.stored, got.future), (3, 1));
    let r = row(&db.store, &a).await;
    assert_eq!(
        (r.future_events, r.anomalies),
        (1, 1),
        "counted and recorded as an anomaly"
    );
    // A replay stores nothing and counts nothing again.
    let mut replay = plain(&a, inc, &fresh(1, 3));
    replay.events.clear();
    let again = accepted(&db.store, &a, replay).await;
    assert_eq!(again.future, 0);
    assert_eq!(row(&db.store, &a).await.future_events, 1);
}

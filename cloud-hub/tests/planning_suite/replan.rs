//! The planning service and the re-planning watcher on the factory site
//! (see `factory.rs` for the data and the hand-checked plan).

use crate::factory::{MONDAY_0600, factory, floor_events, put};
use crate::harness::TestDb;
use cloud_hub::masterdata::records as r;
use cloud_hub::planning::report::{OrderState, moved_operations, report};
use cloud_hub::planning::service::{self, Planned};
use cloud_hub::planning::watch::{WatchSettings, Watcher};
use cloud_hub::planning::{PlanningSettings, RunOptions};
use cloud_hub::store::Store;
use cloud_hub::store::TenantId;
use mes_protocols::Incarnation;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const MINUTE: i64 = 60_000;

async fn plan_monday(store: &Store, tenant: TenantId) -> Planned {
    let options = RunOptions {
        time_limit: Duration::from_secs(2),
        seed: 1,
    };
    let planned = service::run(
        store,
        tenant,
        "plant",
        &PlanningSettings::default(),
        options,
        MONDAY_0600,
    )
    .await
    .expect("the factory site is planned");
    assert_eq!(
        mes_scheduler::validate(&planned.model, &planned.stored.plan),
        vec![]
    );
    planned
}

fn watcher(store: &Store, now: i64) -> Watcher {
    let settings = WatchSettings {
        poll_interval: Duration::from_millis(100),
        debounce_ms: 0,
        planning: PlanningSettings::default(),
    };
    Watcher::new(store.clone(), settings, Arc::new(move || now))
}

/// (start, end) of operation `key` in `planned`, RFC 3339.
fn place(planned: &Planned, key: &str) -> Option<(String, String, String)> {
    let rep = report("plant", planned.revision, &planned.stored, &planned.model, 480);
    rep.machines.iter().find_map(|m| {
        m.operations
            .iter()
            .find(|o| format!("{}/{}", o.order, o.operation) == key)
            .map(|o| (m.equipment.clone(), o.start.clone(), o.end.clone()))
    })
}

/// The hand-derived optimum: MO-A then MO-B keep their due day on the saw
/// and the (double-speed) mill; MO-C cannot: its saw work runs into
/// Tuesday after M1's maintenance, its milling waits out the Wednesday
/// holiday and ends Thursday 10:10 local, 3490 minutes late.
pub async fn factory_week_plan_is_valid_with_hand_checked_completions(db: &TestDb) {
    let f = factory(&db.store, "acme").await;
    let planned = plan_monday(&db.store, f.tenant).await;
    assert_eq!(planned.revision, Some(1));
    let rep = report("plant", planned.revision, &planned.stored, &planned.model, 480);
    let got: Vec<(&str, &str, Option<i64>, OrderState)> = rep
        .orders
        .iter()
        .map(|o| {
            (
                o.order.as_str(),
                o.completion.as_str(),
                o.lateness_minutes,
                o.state,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("MO-A", "2026-05-04T11:20:00.000Z", Some(-700), OrderState::OnTime),
            ("MO-B", "2026-05-04T12:35:00.000Z", Some(-625), OrderState::OnTime),
            ("MO-C", "2026-05-07T09:10:00.000Z", Some(3490), OrderState::Late),
            (
                "MO-D",
                "2026-05-04T06:00:00.000Z",
                Some(-6780),
                OrderState::OnTime
            ),
        ]
    );
    assert_eq!(rep.cost.as_ref().map(|c| c.weighted_tardiness), Some(3490));
    // The saw's maintenance (Tuesday 06:00-08:00 local) holds MO-C's cut.
    assert_eq!(
        place(&planned, "MO-C/10"),
        Some((
            "M1".into(),
            "2026-05-04T11:00:00.000Z".into(),
            "2026-05-05T12:10:00.000Z".into()
        ))
    );
    let live = db
        .store
        .live_plan(f.tenant, "plant".into())
        .await
        .expect("the store works")
        .expect("the plan is live");
    assert_eq!((live.revision, live.trigger.as_str()), (1, "run"));
}

/// M1 is reported down an hour before the shift; the watcher takes it out
/// until an hour after now (07:00 local): the saw's operations and the
/// milling after them move later on their machines, the drill's order
/// does not move, and a second poll changes nothing.
pub async fn machine_down_event_replans_only_affected_operations(db: &TestDb) {
    let f = factory(&db.store, "acme").await;
    let before = plan_monday(&db.store, f.tenant).await;
    let down = json!({"equipment": "M1", "state": "down"});
    floor_events(
        &db.store,
        &f,
        Incarnation::new_v7(),
        1,
        &[("equipment_state_changed", down, MONDAY_0600 - 60 * MINUTE)],
    )
    .await;
    let mut w = watcher(&db.store, MONDAY_0600);
    let done = w.tick().await.expect("the poll works");
    assert_eq!(done.len(), 1, "{done:?}");
    assert!(done[0].trigger.contains("machine M1 down"), "{}", done[0].trigger);
    let after = service::live(&db.store, f.tenant, "plant")
        .await
        .expect("a live plan");
    assert_eq!(after.revision, Some(2));
    assert_eq!(mes_scheduler::validate(&after.model, &after.stored.plan), vec![]);
    let moved = moved_operations(
        (&before.model, &before.stored.plan),
        (&after.model, &after.stored.plan),
    );
    assert_eq!(
        moved,
        ["MO-A/10", "MO-A/20", "MO-B/10", "MO-B/20", "MO-C/10", "MO-C/20"]
    );
    for key in &moved {
        let (b, a) = (
            place(&before, key).expect("planned"),
            place(&after, key).expect("planned"),
        );
        assert_eq!(a.0, b.0, "{key} keeps its machine");
        assert!(a.1 > b.1, "{key} moves later: {b:?} → {a:?}");
    }
    assert_eq!(
        place(&after, "MO-A/10"),
        Some((
            "M1".into(),
            "2026-05-04T06:00:00.000Z".into(),
            "2026-05-04T09:50:00.000Z".into()
        ))
    );
    assert_eq!(place(&after, "MO-D/10"), place(&before, "MO-D/10"));
    assert_eq!(
        w.tick().await.expect("the poll works"),
        vec![],
        "nothing new, no re-plan"
    );
}

/// The drill finishes MO-D half an hour early while the saw started MO-A
/// on time, and MO-E is released: the watcher re-plans once; MO-D leaves
/// the plan, MO-A stays pinned where it runs, MO-E takes the free drill,
/// and nothing else moves.
pub async fn finished_operations_leave_the_plan_and_released_orders_join_it(db: &TestDb) {
    let f = factory(&db.store, "acme").await;
    let before = plan_monday(&db.store, f.tenant).await;
    let run = |order: &str, op: &str, station: &str| json!({"execution": uuid::Uuid::now_v7(), "order": order, "operation": op, "station": station});
    let d = run("MO-D", "10", "st-3");
    let events = [
        (
            "operation_started",
            json!({"run": run("MO-A", "10", "st-1"), "equipment": "M1"}),
            MONDAY_0600,
        ),
        (
            "operation_started",
            json!({"run": d.clone(), "equipment": "M3"}),
            MONDAY_0600,
        ),
        ("operation_finished", d, MONDAY_0600 + 30 * MINUTE),
    ];
    floor_events(&db.store, &f, Incarnation::new_v7(), 1, &events).await;
    put::<r::ProductionOrder>(
        &db.store,
        f.tenant,
        json!({"code": "MO-E", "material": "Q", "quantity": "30",
        "due": "2026-05-08", "site": "plant", "status": "released"}),
    )
    .await;
    let mut w = watcher(&db.store, MONDAY_0600 + 30 * MINUTE);
    let done = w.tick().await.expect("the poll works");
    assert_eq!(done.len(), 1, "{done:?}");
    assert!(
        done[0]
            .trigger
            .contains("operation MO-D/10 finished -30 min off plan"),
        "{}",
        done[0].trigger
    );
    assert!(
        done[0].trigger.contains("production order MO-E changed"),
        "{}",
        done[0].trigger
    );
    let after = service::live(&db.store, f.tenant, "plant")
        .await
        .expect("a live plan");
    assert_eq!(mes_scheduler::validate(&after.model, &after.stored.plan), vec![]);
    assert_eq!(place(&after, "MO-D/10"), None, "finished work is not planned");
    assert_eq!(
        place(&after, "MO-E/10"),
        Some((
            "M3".into(),
            "2026-05-04T05:30:00.000Z".into(),
            "2026-05-04T06:00:00.000Z".into()
        ))
    );
    let a10 = after.model.find_operation("MO-A/10").expect("still open");
    assert!(
        after.model.operations()[a10.index()].pin.is_some(),
        "MO-A/10 runs: pinned"
    );
    let moved = moved_operations(
        (&before.model, &before.stored.plan),
        (&after.model, &after.stored.plan),
    );
    assert_eq!(moved, Vec::<String>::new());
}

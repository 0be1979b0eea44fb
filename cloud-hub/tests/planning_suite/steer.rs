//! Steering the plan (issue 17) through the real router on the factory
//! site with a second saw: a move to the other saw is a draft with its
//! consequences and leaves the live plan alone; illegal moves are refused
//! naming the constraint; accepting makes it live (and every plan made
//! live passes the validator, checked here on the stored document); a
//! draft of an older revision is 409; undo and redo restore earlier plans
//! as new revisions, audited; the background re-plan keeps the move; the
//! diff of two revisions names what moved.

use crate::api::{NOW, call};
use crate::factory::factory;
use crate::harness::TestDb;
use crate::plans::{PLAN, accept, draft, factory_with_two_saws, live_and_valid, place};
use axum::http::Method;
use serde_json::{Value, json};

fn iso(minute: i64) -> String {
    mes_protocols::Timestamp::from_unix_millis(minute * 60_000).to_string()
}

/// The case the issue asks for, end to end through the API.
pub async fn moves_are_drafted_refused_accepted_and_undone(db: &TestDb) {
    let f = factory_with_two_saws(&db.store, "acme").await;
    let (status, plan) = call(
        &db.store,
        Method::POST,
        "/api/v1/schedules/plant/run",
        &f.token,
        Some(json!({"time_limit_seconds": 1})),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let (rev1, first) = live_and_valid(&db.store, f.tenant).await;
    let (saw, start) = place(&first, "MO-A/10");
    let other = if saw == "M1" { "M4" } else { "M1" };

    // A machine of another type: refused, naming the types.
    let (status, err) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "move", "operation": "MO-A/10", "machine": "M2"}]),
    )
    .await;
    assert_eq!(
        (status, &err["error"]["code"], &err["error"]["field"]),
        (422, &json!("machine_not_allowed"), &json!("changes[0].machine")),
        "{err}"
    );
    let message = err["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("mill") && message.contains("saw"), "{message}");
    // The mill step before the saw step of its order ends: refused.
    let (_, a10_end) = {
        let id = first
            .operations
            .iter()
            .position(|o| o.name == "MO-A/10")
            .expect("planned");
        let s = first
            .plan
            .ops
            .iter()
            .find(|s| s.op.index() == id)
            .expect("placed");
        (s.start, s.end)
    };
    let (mill, mill_start) = place(&first, "MO-A/20");
    assert!(mill_start >= a10_end);
    let (status, err) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "move", "operation": "MO-A/20", "machine": mill, "start": iso(start)}]),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["code"], "before_predecessor", "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("MO-A/10"),
        "{err}"
    );
    // Sunday is outside the calendar.
    let sunday = NOW / 60_000 + 5 * 1440;
    let (status, err) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "move", "operation": "MO-A/10", "start": iso(sunday)}]),
    )
    .await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (422, &json!("outside_calendar")),
        "{err}"
    );

    // The other saw: a draft with consequences; the live plan is untouched.
    let (status, answer) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "move", "operation": "MO-A/10", "machine": other}]),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["base_revision"], rev1);
    let moved: Vec<&str> = answer["consequences"]["operations"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|o| o["operation"].as_str())
        .collect();
    assert!(moved.contains(&"MO-A/10"), "{answer}");
    assert!(answer["consequences"]["makespan_after"].is_string());
    let id = answer["draft"].as_str().expect("an id").to_string();
    let row = db
        .store
        .plan_draft(f.tenant, "plant".into(), id.clone())
        .await
        .expect("the store reads");
    assert!(row.is_some(), "the draft {id} is stored");
    assert_eq!(live_and_valid(&db.store, f.tenant).await.0, rev1, "untouched");

    // A second draft from the same base, then the first accepted: the
    // second is stale.
    let (_, stale) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "priority", "order": "MO-C", "priority": 7}]),
    )
    .await;
    let (status, made) = call(
        &db.store,
        Method::POST,
        &format!("{PLAN}/drafts/{id}/accept"),
        &f.token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{made}");
    let (rev2, second) = live_and_valid(&db.store, f.tenant).await;
    assert_eq!(made["revision"], rev2);
    assert_eq!(place(&second, "MO-A/10"), (other.to_string(), start));
    let (status, err) = call(
        &db.store,
        Method::POST,
        &format!("{PLAN}/drafts/{}/accept", stale["draft"].as_str().expect("an id")),
        &f.token,
        None,
    )
    .await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (409, &json!("plan_changed")),
        "{err}"
    );
    let (status, _) = call(
        &db.store,
        Method::POST,
        &format!("{PLAN}/drafts/{id}/accept"),
        &f.token,
        None,
    )
    .await;
    assert_eq!(status, 404, "an accepted draft is spent");

    // The background re-plan keeps the planner's move.
    let settings = cloud_hub::planning::settings();
    cloud_hub::planning::service::replan(&db.store, f.tenant, "plant", &settings, NOW, "test")
        .await
        .expect("the re-plan runs");
    let (rev3, third) = live_and_valid(&db.store, f.tenant).await;
    assert_eq!(rev3, rev2 + 1);
    assert_eq!(place(&third, "MO-A/10").0, other, "the move is kept");

    // What moved from the first plan to the live one.
    let (status, diff) = call(
        &db.store,
        Method::GET,
        &format!("{PLAN}/diff?from_revision={rev1}"),
        &f.token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff["to"], rev3);
    assert!(
        diff["operations"]
            .as_array()
            .expect("a list")
            .iter()
            .any(|o| o["operation"] == "MO-A/10" && o["machine_after"] == other),
        "{diff}"
    );
    // Its stability: MO-A/10 changed machine, so not everything was kept.
    let s = &diff["stability"];
    let (compared, kept, machines) = (
        s["compared"].as_u64().unwrap_or(0),
        s["kept"].as_u64().unwrap_or(0),
        s["machine_changes"].as_u64().unwrap_or(0),
    );
    assert!(machines >= 1 && kept + machines <= compared, "{diff}");
    assert_eq!(s["percent"].as_u64(), Some(kept * 100 / compared), "{diff}");

    // The re-plan came after the planner's step: undo would discard it.
    let (status, err) = call(&db.store, Method::POST, &format!("{PLAN}/undo"), &f.token, None).await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (409, &json!("plan_changed")),
        "{err}"
    );
    // A new accepted change, then undo and redo.
    let (_, pin) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "move", "operation": "MO-A/10", "machine": saw}]),
    )
    .await;
    let (status, _) = call(
        &db.store,
        Method::POST,
        &format!("{PLAN}/drafts/{}/accept", pin["draft"].as_str().expect("an id")),
        &f.token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (rev4, fourth) = live_and_valid(&db.store, f.tenant).await;
    assert_eq!(place(&fourth, "MO-A/10").0, saw);
    let (_, history) = call(&db.store, Method::GET, &format!("{PLAN}/history"), &f.token, None).await;
    assert!(
        history["undo"].as_str().is_some_and(|s| s.contains("MO-A/10")),
        "{history}"
    );
    assert_eq!(history["redo"], Value::Null);
    let (status, undone) = call(&db.store, Method::POST, &format!("{PLAN}/undo"), &f.token, None).await;
    assert_eq!(status, 200, "{undone}");
    let (rev5, fifth) = live_and_valid(&db.store, f.tenant).await;
    assert_eq!(rev5, rev4 + 1);
    assert_eq!(place(&fifth, "MO-A/10").0, other, "back to the re-planned plan");
    let (status, _) = call(&db.store, Method::POST, &format!("{PLAN}/redo"), &f.token, None).await;
    assert_eq!(status, 200);
    let (rev6, sixth) = live_and_valid(&db.store, f.tenant).await;
    assert_eq!((rev6, place(&sixth, "MO-A/10").0), (rev5 + 1, saw.clone()));
    let (status, err) = call(&db.store, Method::POST, &format!("{PLAN}/redo"), &f.token, None).await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (409, &json!("nothing_to_redo")),
        "{err}"
    );

    // Every accept, undo and redo is in the audit log.
    let (status, audit) = call(
        &db.store,
        Method::GET,
        "/api/v1/audit?object_kind=plan",
        &f.token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{audit}");
    let actions: Vec<String> = audit["items"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["outcome"] == "ok")
        .filter_map(|e| e["action"].as_str().map(str::to_string))
        .collect();
    for suffix in ["/accept", "/undo", "/redo"] {
        assert!(
            actions.iter().any(|a| a.ends_with(suffix)),
            "{suffix}: {actions:?}"
        );
    }
}

/// A draft's route for another tenant's site is a 404, and the steering
/// routes need the site to exist.
pub async fn another_tenant_cannot_steer(db: &TestDb) {
    let f = factory(&db.store, "acme").await;
    let other = factory(&db.store, "globex").await;
    let (status, _) = call(
        &db.store,
        Method::POST,
        "/api/v1/schedules/plant/run",
        &f.token,
        Some(json!({"time_limit_seconds": 1})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, answer) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "pin", "operation": "MO-A/10"}]),
    )
    .await;
    let id = answer["draft"].as_str().expect("an id");
    let (status, _) = call(
        &db.store,
        Method::POST,
        &format!("{PLAN}/drafts/{id}/accept"),
        &other.token,
        None,
    )
    .await;
    assert_eq!(status, 404, "globex has no such draft (its site has no plan)");
    assert_eq!(
        live_and_valid(&db.store, f.tenant).await.0,
        1,
        "acme's plan is untouched"
    );
}

/// Priorities, due dates, pins and a frozen horizon: each a draft whose
/// accepted plan passes the validator and keeps the decision.
pub async fn priorities_due_dates_pins_and_a_frozen_horizon_are_kept(db: &TestDb) {
    let f = factory(&db.store, "acme").await;
    let (status, _) = call(
        &db.store,
        Method::POST,
        "/api/v1/schedules/plant/run",
        &f.token,
        Some(json!({"time_limit_seconds": 1})),
    )
    .await;
    assert_eq!(status, 201);
    let due = NOW / 60_000 + 3 * 1440;
    let (status, answer) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "priority", "order": "MO-C", "priority": 9},
               {"kind": "due", "order": "MO-B", "due": iso(due)}]),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let b = answer["consequences"]["orders"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|o| o["order"] == "MO-B")
        .cloned()
        .unwrap_or_else(|| panic!("MO-B's due date changed: {answer}"));
    assert!(b["lateness_after"].as_i64().is_some(), "{b}");
    assert_eq!(accept(&db.store, &f.token, &answer).await, 200);
    let (_, stored) = live_and_valid(&db.store, f.tenant).await;
    let order = |name: &str| {
        stored
            .orders
            .iter()
            .find(|o| o.name == name)
            .cloned()
            .expect("planned")
    };
    assert_eq!((order("MO-C").weight, order("MO-B").due), (9, Some(due)));

    let (status, err) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "unpin", "operation": "MO-B/10"}]),
    )
    .await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (422, &json!("not_pinned")),
        "{err}"
    );
    let (_, pin) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "pin", "operation": "MO-B/10"}]),
    )
    .await;
    assert_eq!(accept(&db.store, &f.token, &pin).await, 200);
    let (_, stored) = live_and_valid(&db.store, f.tenant).await;
    assert!(stored.steering.fixed.contains_key("MO-B/10"));
    let (_, unpin) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "unpin", "operation": "MO-B/10"}]),
    )
    .await;
    assert_eq!(accept(&db.store, &f.token, &unpin).await, 200);
    let (_, stored) = live_and_valid(&db.store, f.tenant).await;
    assert!(stored.steering.fixed.is_empty());

    // Freeze the next two days: what starts before stays, nothing moves in.
    let until = NOW / 60_000 + 2 * 1440;
    let (_, freeze) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "freeze", "until": iso(until)}]),
    )
    .await;
    assert_eq!(accept(&db.store, &f.token, &freeze).await, 200);
    let (_, frozen) = live_and_valid(&db.store, f.tenant).await;
    assert_eq!(frozen.steering.frozen_until, Some(until));
    for s in &frozen.plan.ops {
        let op = &frozen.operations[s.op.index()];
        assert!(
            op.pin.is_some()
                || stored.plan.ops.iter().any(|p| p.op == s.op && p.start == s.start)
                || s.start >= until,
            "{} starts at {} inside the frozen horizon",
            op.name,
            s.start
        );
    }
    let (status, err) = draft(
        &db.store,
        &f.token,
        json!([{"kind": "move", "operation": "MO-D/10", "start": iso(until - 60)}]),
    )
    .await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (422, &json!("before_earliest_start")),
        "{err}"
    );
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&iso(until)),
        "{err}"
    );
}

/// A site keeps at most `KEPT_DRAFTS` drafts (each a whole plan): the
/// oldest go first; and none outlives its lifetime.
pub async fn drafts_are_bounded_per_site(db: &TestDb) {
    use cloud_hub::store::plans::{DRAFT_LIFETIME_MS, KEPT_DRAFTS, PlanDraftRow};
    let f = factory(&db.store, "acme").await;
    let draft = |n: i64, at: i64| PlanDraftRow {
        site: "plant".into(),
        draft_id: format!("d{n:03}"),
        author: "planner".into(),
        base_revision: 1,
        body: json!({"n": n}),
        answer: json!({}),
        created_at: at,
    };
    let kept = |id: String| {
        let store = db.store.clone();
        async move {
            store
                .plan_draft(f.tenant, "plant".into(), id)
                .await
                .expect("the store reads")
                .is_some()
        }
    };
    for n in 0..=KEPT_DRAFTS {
        db.store
            .save_plan_draft(f.tenant, draft(n, NOW + n))
            .await
            .expect("stored");
    }
    assert!(!kept("d000".into()).await, "the oldest is forgotten");
    assert!(kept("d001".into()).await && kept(format!("d{KEPT_DRAFTS:03}")).await);
    db.store
        .save_plan_draft(f.tenant, draft(999, NOW + KEPT_DRAFTS + DRAFT_LIFETIME_MS + 1))
        .await
        .expect("stored");
    assert!(!kept(format!("d{KEPT_DRAFTS:03}")).await, "expired");
    assert!(kept("d999".into()).await);
}

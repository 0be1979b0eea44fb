//! The planning board's benchmark (issue 17): the server time to render a
//! site's board (`GET /console/sites/{site}/plan`, a browser session,
//! through the real router) for a live plan of 5,000 operations on 50
//! machines, next to a plain plan read (`GET /api/v1/schedules/{site}`,
//! the same plan as JSON) in the same run; p50 and p99 of each, taking
//! turns. Then the what-if after a drag (`POST
//! /api/v1/sites/{code}/plan/drafts`: an operation moved to another machine
//! of its type, repaired, validated, compared and stored as a draft; the
//! draft is discarded untimed after each call), taking turns with the plain
//! read again. The plan is solved by the scheduler on a generated model (1,000
//! orders of five operations over five machine types of ten machines, two
//! shifts on weekdays) and stored as the live plan. Ignored by default;
//! run it in release mode:
//!
//! ```text
//! cargo test --release -p cloud-hub --test plan_board_bench -- --ignored --nocapture
//! ```

#[path = "store_suite/harness.rs"]
#[allow(dead_code)]
mod harness;

use axum::body::Body;
use axum::http::{Request, header};
use cloud_hub::access::session;
use cloud_hub::api::{HubState, IngestLimits, router};
use cloud_hub::masterdata::records as r;
use cloud_hub::masterdata::{MasterKind, service};
use cloud_hub::metrics::HubMetrics;
use cloud_hub::planning::StoredPlan;
use cloud_hub::planning::stored::PlanMeta;
use cloud_hub::store::access::{NewSession, NewUser, RoleGrant, UserKind};
use cloud_hub::store::plans::NewLivePlan;
use cloud_hub::store::{Store, TenantId};
use http_body_util::BodyExt;
use mes_scheduler::{Alternative, Calendar, Interval, Machine, ModelBuilder, Operation, Order, SolveOptions};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const MACHINES: usize = 50;
const TYPES: usize = 5;
const ORDERS: usize = 1_000;
const OPS_PER_ORDER: usize = 5;
const CALLS: usize = 200;
const WHAT_IF_CALLS: usize = 100;

async fn put<T: MasterKind>(store: &Store, tenant: TenantId, record: Value) {
    let record: T = serde_json::from_value(record).expect("a valid record");
    let write = service::PendingWrite::new(&record, false, cloud_hub::store::Expect::Absent)
        .expect("the record is valid");
    service::write_all(store, tenant, vec![write])
        .await
        .expect("the record is created");
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A solved plan of 5,000 operations on 50 machines from `now` (epoch minutes).
fn plan(now: i64) -> StoredPlan {
    let day0 = now.div_euclid(1440) * 1440;
    // Two shifts (06:00–22:00 UTC) Monday to Friday for six weeks.
    let shifts: Vec<Interval> = (0..42)
        .filter(|d| (day0 / 1440 + d + 3).rem_euclid(7) < 5)
        .map(|d| Interval::new(day0 + d * 1440 + 360, day0 + d * 1440 + 1320))
        .collect();
    let calendar = Calendar::from_intervals(shifts).expect("a valid calendar");
    let mut b = ModelBuilder::new();
    let machines: Vec<_> = (0..MACHINES)
        .map(|i| b.add_machine(Machine::new(format!("M{i:02}"), calendar.clone())))
        .collect();
    for o in 0..ORDERS {
        let order = b.add_order(
            Order::new(format!("MO-{o:04}"))
                .due(now + 1440 * (3 + (o as i64 % 20)))
                .weight(1 + (o as i64 % 3)),
        );
        let mut previous = None;
        for k in 0..OPS_PER_ORDER {
            let ty = (o + k) % TYPES;
            let alternatives = machines
                .iter()
                .enumerate()
                .filter(|(i, _)| i % TYPES == ty)
                .map(|(_, m)| Alternative::nominal(*m))
                .collect();
            let run = 20 + ((o * 7 + k * 13) % 100) as i64;
            let mut op = Operation::new(
                format!("MO-{o:04}/{}", (k + 1) * 10),
                order,
                15,
                run,
                alternatives,
            );
            op.earliest_start = now;
            let id = b.add_operation(op);
            if let Some(p) = previous {
                b.add_precedence(p, id);
            }
            previous = Some(id);
        }
    }
    let model = b.build().expect("a valid model");
    let options = SolveOptions {
        time_limit: Some(Duration::from_secs(5)),
        ..SolveOptions::default()
    };
    let solution = mes_scheduler::solve(&model, &options).expect("a plan");
    assert!(mes_scheduler::validate(&model, &solution.plan).is_empty());
    StoredPlan::new(
        &model,
        solution.plan,
        PlanMeta {
            made_at: now * 60_000,
            now,
            horizon_end: day0 + 42 * 1440,
            trigger: "bench".into(),
            ..PlanMeta::default()
        },
    )
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn report(what: &str, mut samples: Vec<Duration>, bytes: usize) {
    samples.sort();
    println!(
        "{what:<44} p50 {:>7.2} ms  p99 {:>7.2} ms  ({} calls, {} KiB)",
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.len(),
        bytes / 1024
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn board_of_5000_operations_on_50_machines() {
    let db = harness::TestDb::sqlite();
    let store = db.store.clone();
    let tenant = store.create_tenant("bench").expect("tenant");
    store.create_site("bench", "plant").expect("site");
    let token = store.create_api_token("bench", "bench").expect("token").token;
    put::<r::SiteSettings>(&store, tenant, json!({"code": "plant", "name": "Plant"})).await;
    for t in 0..TYPES {
        put::<r::EquipmentType>(
            &store,
            tenant,
            json!({"code": format!("T{t}"), "name": format!("Type {t}")}),
        )
        .await;
    }
    for i in 0..MACHINES {
        put::<r::Equipment>(
            &store,
            tenant,
            json!({"code": format!("M{i:02}"), "name": format!("Machine {i}"),
                   "equipment_type": format!("T{}", i % TYPES), "site": "plant"}),
        )
        .await;
    }
    let now = now_ms().div_euclid(60_000);
    let started = Instant::now();
    let stored = tokio::task::spawn_blocking(move || plan(now))
        .await
        .expect("the solver's thread");
    let drags = drags(&stored);
    println!(
        "solved {} operations on {} machines in {:.1} s",
        stored.plan.ops.len(),
        stored.machines.len(),
        started.elapsed().as_secs_f64()
    );
    store
        .save_live_plan(
            tenant,
            NewLivePlan {
                site: "plant".into(),
                records_version: 0,
                event_cursor: 0,
                trigger: "bench".into(),
                body: serde_json::to_value(&stored).expect("the plan serializes"),
                if_revision: None,
            },
        )
        .await
        .expect("the plan is stored");

    store
        .create_user(
            tenant,
            NewUser {
                login: "planner".into(),
                display_name: "Planner".into(),
                kind: UserKind::Person,
                password_phc: None,
            },
        )
        .await
        .expect("user");
    store
        .set_user_roles(
            tenant,
            "planner".into(),
            vec![RoleGrant {
                role: "planner".into(),
                sites: None,
            }],
        )
        .await
        .expect("roles");
    let user = store
        .login_user(tenant, "planner".into())
        .await
        .expect("lookup")
        .expect("the planner")
        .user
        .id;
    let (secret, secret_hash) = session::new_secret();
    store
        .create_session(
            tenant,
            NewSession {
                user,
                secret_hash,
                csrf_token: session::new_csrf_token(),
                address: "127.0.0.1".into(),
                user_agent: "bench".into(),
                at: now_ms(),
            },
        )
        .await
        .expect("session");
    let cookie = format!("{}={secret}", session::SECURE_COOKIE);
    let state = HubState::new(
        store.clone(),
        Arc::new(HubMetrics::default()),
        IngestLimits::default(),
        cloud_hub::clock::system_clock(),
    );
    // The hub serves the API and the console on one listener (`app.rs`).
    let app = router(state.clone()).merge(cloud_hub::console::router(state));
    let board = |path: &str| {
        Request::get(path)
            .header(header::COOKIE, cookie.clone())
            .body(Body::empty())
            .expect("request")
    };
    let read = || {
        Request::get("/api/v1/schedules/plant")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request")
    };
    let legs = [
        "/console/sites/plant/plan?span=14d",
        "/console/sites/plant/plan?span=3d&order=MO-0500",
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); legs.len() + 1];
    let mut sizes = vec![0; legs.len() + 1];
    for call in 0..CALLS + 10 {
        for (i, sample) in samples.iter_mut().enumerate() {
            let request = match legs.get(i) {
                Some(path) => board(path),
                None => read(),
            };
            let started = Instant::now();
            let response = app.clone().oneshot(request).await.expect("infallible");
            assert_eq!(response.status(), 200, "leg {i}");
            let body = response.into_body().collect().await.expect("body").to_bytes();
            let elapsed = started.elapsed();
            if call >= 10 {
                sample.push(elapsed);
            }
            sizes[i] = body.len();
            if call == 0 && i == 0 {
                let html = String::from_utf8_lossy(&body);
                let bars = html.matches("class=\"bar ").count();
                println!("the 14-day board draws {bars} bars");
                assert!(bars > 1_000, "the board draws the plan's bars");
            }
        }
    }
    let mut samples = samples.into_iter();
    for (leg, size) in legs.iter().zip(&sizes) {
        report(&format!("GET {leg}"), samples.next().expect("a leg"), *size);
    }
    report(
        "GET /api/v1/schedules/plant (JSON)",
        samples.next().expect("the read"),
        sizes[legs.len()],
    );

    let api = |method: &str, path: &str, body: Option<Value>| {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("request")
    };
    let (mut what_ifs, mut reads) = (Vec::new(), Vec::new());
    let (mut draft_size, mut read_size, mut moved) = (0, 0, 0);
    for call in 0..WHAT_IF_CALLS + 5 {
        let (op, machine) = &drags[call % drags.len()];
        let body = json!({"changes": [{"kind": "move", "operation": op, "machine": machine}]});
        let started = Instant::now();
        let response = app
            .clone()
            .oneshot(api("POST", "/api/v1/sites/plant/plan/drafts", Some(body)))
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let elapsed = started.elapsed();
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&bytes));
        let answer: Value = serde_json::from_slice(&bytes).expect("a draft");
        draft_size = bytes.len();
        moved += answer["consequences"]["operations_moved"].as_u64().unwrap_or(0);
        let discard = format!(
            "/api/v1/sites/plant/plan/drafts/{}",
            answer["draft"].as_str().expect("an id")
        );
        let gone = app
            .clone()
            .oneshot(api("DELETE", &discard, None))
            .await
            .expect("infallible");
        assert_eq!(gone.status(), 204);
        let started = Instant::now();
        let response = app.clone().oneshot(read()).await.expect("infallible");
        assert_eq!(response.status(), 200);
        read_size = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .len();
        if call >= 5 {
            what_ifs.push(elapsed);
            reads.push(started.elapsed());
        }
    }
    println!(
        "what-ifs moved {:.1} operations on average (the dragged one and those it pushed)",
        moved as f64 / (WHAT_IF_CALLS + 5) as f64
    );
    report(
        "POST /api/v1/sites/plant/plan/drafts (what-if)",
        what_ifs,
        draft_size,
    );
    report("GET /api/v1/schedules/plant (JSON, same run)", reads, read_size);
}

/// Moves a drag could make: the first operation of every tenth order onto
/// another machine of its type, at the same start.
fn drags(stored: &StoredPlan) -> Vec<(String, String)> {
    stored
        .plan
        .ops
        .iter()
        .filter_map(|s| {
            let op = stored.operations.get(s.op.index())?;
            if !op.name.ends_with("/10") || !op.name.trim_end_matches("/10").ends_with('0') {
                return None;
            }
            let other = op.alternatives.iter().find(|a| a.machine != s.machine)?;
            Some((
                op.name.clone(),
                stored.machines[other.machine.index()].name.clone(),
            ))
        })
        .collect()
}

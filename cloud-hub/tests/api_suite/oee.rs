//! OEE through the API (`/api/v1/oee/…`, `cloud_hub::oee`), from events
//! sent through the real ingest: a worked example computed by hand, the
//! same events arriving late, in other batches and in another order (the
//! same answer), the changeover setting, performance above 100 %, pooling
//! of two machines, and buckets per shift and per day.
//!
//! The floor: site at UTC+1 (the fixtures' site settings). Machine `oee-1`
//! follows calendar `day-shift` (Mon–Fri 06:00–14:00 local = 05:00–13:00
//! UTC); machine `oee-2` follows `early` (Mon–Fri 06:00–10:00 local =
//! 05:00–09:00 UTC). Material `widget` (pieces) has a routing whose
//! operation 10 takes 1 run minute per unit and operation 20 2 minutes;
//! order `MO-OEE` of 400 widgets is released with them. Monday 2026-01-12.

use crate::fixtures;
use crate::harness::TestDb;
use crate::hub::{Hub, Tenant};
use axum::http::Method;
use serde_json::{Value, json};

/// Monday 2026-01-12 00:00 UTC.
const MONDAY: i64 = 1_768_176_000_000;
/// The hub's "now": Tuesday 18:00 UTC.
const HUB_NOW: i64 = MONDAY + 42 * HOUR;
const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

/// Monday `hh:mm` UTC as RFC 3339 (a negative hour is Sunday).
fn at(hh: i64, mm: i64) -> String {
    mes_protocols::Timestamp::from_unix_millis(MONDAY + hh * HOUR + mm * MIN).to_string()
}

/// One event of the floor, before it has a sequence number.
#[derive(Clone)]
struct Spec {
    id: String,
    at: String,
    kind: &'static str,
    data: Value,
    source: Value,
}

fn spec(at: String, kind: &'static str, data: Value, station: bool) -> Spec {
    let source = if station {
        json!({"type": "station", "id": "st-1"})
    } else {
        json!({"type": "device", "id": "plc-1"})
    };
    Spec {
        id: uuid::Uuid::now_v7().to_string(),
        at,
        kind,
        data,
        source,
    }
}

/// An agent of a tenant sending batches with its own sequence numbers.
struct Agent {
    id: String,
    token: String,
    incarnation: String,
    next_seq: u64,
}

impl Agent {
    fn main(t: &Tenant) -> Agent {
        Agent {
            id: t.agent_id.clone(),
            token: t.agent_token.clone(),
            incarnation: uuid::Uuid::now_v7().to_string(),
            next_seq: 1,
        }
    }

    /// A second agent at the tenant's site (the stations' gateway).
    async fn another(hub: &Hub, t: &Tenant) -> Agent {
        let store = hub.store.clone();
        let (slug, site) = (t.slug.clone(), t.site.clone());
        let made = tokio::task::spawn_blocking(move || {
            store
                .create_agent(&slug, &site, "stations")
                .expect("an agent is created")
        })
        .await
        .expect("the provisioning thread finishes");
        Agent {
            id: made.agent_id.to_string(),
            token: made.token,
            incarnation: uuid::Uuid::now_v7().to_string(),
            next_seq: 1,
        }
    }

    /// Sends `events` as one batch of the next sequence numbers.
    async fn send(&mut self, hub: &Hub, events: &[Spec]) {
        let first = self.next_seq;
        self.send_from(hub, first, events).await;
        self.next_seq += events.len() as u64;
    }

    /// Sends `events` numbered from `first` (a retry repeats a batch).
    async fn send_from(&self, hub: &Hub, first: u64, events: &[Spec]) {
        let list: Vec<Value> = events
            .iter()
            .zip(first..)
            .map(|(e, seq)| {
                json!({"seq": seq, "id": e.id, "occurred_at": e.at, "source": e.source,
                       "kind": e.kind, "data": e.data})
            })
            .collect();
        let batch = json!({"schema_version": 1, "agent_id": self.id, "incarnation": self.incarnation,
            "first_seq": first, "last_seq": first + events.len() as u64 - 1,
            "buffer": {"depth": 0, "dropped_total": 0, "refused_total": 0},
            "sent_at": mes_protocols::Timestamp::from_unix_millis(HUB_NOW).to_string(), "events": list});
        hub.req(Method::POST, "/api/v1/ingest")
            .token(&self.token)
            .json(&batch)
            .send()
            .await
            .expect(200);
    }
}

/// The fixtures plus the OEE floor's master data (see the module doc).
async fn floor(hub: &Hub, t: &Tenant) {
    fixtures::create_all(hub, t).await;
    let weekdays = json!(["mon", "tue", "wed", "thu", "fri"]);
    for (code, end) in [("day-shift", "14:00"), ("early", "10:00")] {
        hub.post(
            "/api/v1/calendars",
            &t.token,
            &json!({"code": t.code(code), "name": code,
                    "shifts": [{"days": weekdays, "start": "06:00", "end": end}]}),
        )
        .await
        .expect(201);
    }
    for (code, calendar) in [("oee-1", "day-shift"), ("oee-2", "early")] {
        hub.post(
            "/api/v1/equipment",
            &t.token,
            &json!({"code": t.code(code), "name": code, "equipment_type": t.code("press"),
                    "site": t.site, "hourly_rate": "60", "calendar": t.code(calendar)}),
        )
        .await
        .expect(201);
    }
    hub.post(
        "/api/v1/materials",
        &t.token,
        &json!({"code": t.code("widget"), "name": "Widget", "kind": "finished",
                "base_unit": t.code("pcs"), "lot_tracked": false, "standard_cost": "1"}),
    )
    .await
    .expect(201);
    let op = |n: u32, run: &str| {
        json!({"operation": n, "name": "Press", "equipment_type": t.code("press"), "setup_minutes": "30",
               "run_minutes_per_unit": run, "worker_type": t.code("operator")})
    };
    hub.post(
        "/api/v1/routings",
        &t.token,
        &json!({"material": t.code("widget"), "versions": [{"version": "r1",
                "operations": [op(10, "1"), op(20, "2")]}]}),
    )
    .await
    .expect(201);
    hub.post(
        "/api/v1/production-orders",
        &t.token,
        &json!({"code": t.code("MO-OEE"), "material": t.code("widget"), "quantity": "400", "site": t.site}),
    )
    .await
    .expect(201);
    hub.post(
        format!("/api/v1/production-orders/{}/release", t.code("MO-OEE")),
        &t.token,
        &json!({}),
    )
    .await
    .expect(200);
}

/// The floor's events of Monday's shift, split by who observes them.
struct Shift {
    /// States, reasons and counts from the machines' gateway.
    machines: Vec<Spec>,
    /// Runs and output from the stations' gateway.
    stations: Vec<Spec>,
}

/// Monday's shift on `oee-1` (the worked example) and `oee-2`.
///
/// oee-1, planned 05:00–13:00 UTC = 480 min:
///
/// | UTC         | state                         | min |
/// |-------------|-------------------------------|-----|
/// | 05:00–05:30 | setup (changeover)            |  30 |
/// | 05:30–07:00 | running                       |  90 |
/// | 07:00–07:45 | down, machine code E7, the operator says F12 | 45 |
/// | 07:45–10:00 | running                       | 135 |
/// | 10:00–10:15 | idle (waiting for material)   |  15 |
/// | 10:15–12:00 | running                       | 105 |
/// | 12:00–12:10 | down, no reason               |  10 |
/// | 12:10–13:00 | running                       |  50 |
///
/// The run (operation 10, 1 min per unit) goes from 05:00 to 13:00; the
/// operator reports 300 good and 20 scrap at 12:55. The machine's counter
/// counts 150 at 09:00 and 170 at 12:50 (it does not see scrap; the
/// report is the quantity of record).
///
/// oee-2, planned 05:00–09:00 UTC = 240 min: running 05:00–07:00, idle
/// after; a run of operation 20 (2 min per unit) from 05:00 to 07:00 with
/// 100 good reported at 06:55.
fn monday(t: &Tenant) -> Shift {
    let one = t.code("oee-1");
    let two = t.code("oee-2");
    let state = |hh, mm, equipment: &str, s: &str, reason: Option<&str>| {
        spec(
            at(hh, mm),
            "equipment_state_changed",
            json!({"equipment": equipment, "state": s, "reason": reason}),
            false,
        )
    };
    let count = |hh, mm, good: u64| {
        spec(
            at(hh, mm),
            "parts_counted",
            json!({"equipment": one, "good": good, "scrap": 0, "good_total": good, "scrap_total": 0}),
            false,
        )
    };
    let machines = vec![
        state(4, 50, &one, "idle", None),
        state(5, 0, &one, "setup", None),
        state(5, 0, &two, "running", None),
        state(5, 30, &one, "running", None),
        state(7, 0, &one, "down", Some("E7")),
        state(7, 0, &two, "idle", None),
        state(7, 45, &one, "running", None),
        count(9, 0, 150),
        state(10, 0, &one, "idle", None),
        state(10, 15, &one, "running", None),
        state(12, 0, &one, "down", None),
        state(12, 10, &one, "running", None),
        count(12, 50, 170),
        state(13, 0, &one, "idle", None),
    ];
    let run = |execution: &str, operation: &str| json!({"execution": execution, "order": t.code("MO-OEE"), "operation": operation, "station": t.code("st-1")});
    let (x, y) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
    let started = |hh, execution: &str, operation: &str, equipment: &str| {
        spec(
            at(hh, 0),
            "operation_started",
            json!({"run": run(execution, operation), "equipment": equipment, "workers": []}),
            true,
        )
    };
    let output = |hh, mm, execution: &str, operation: &str, good: &str, scrap: &str| {
        let mut data = json!({"run": run(execution, operation), "material": t.code("widget"),
                              "good": good, "scrap": scrap, "unit": t.code("pcs")});
        if scrap != "0" {
            data["scrap_reason"] = json!(t.code("burr"));
        }
        spec(at(hh, mm), "output_reported", data, true)
    };
    let stations = vec![
        started(5, &x, "10", &one),
        started(5, &y, "20", &two),
        output(6, 55, &y, "20", "100", "0"),
        spec(at(7, 0), "operation_finished", run(&y, "20"), true),
        spec(
            at(7, 5),
            "downtime_reason_assigned",
            json!({"equipment": one, "reason": t.code("F12"), "down_since": at(7, 0)}),
            true,
        ),
        output(12, 55, &x, "10", "300", "20"),
        spec(at(13, 0), "operation_finished", run(&x, "10"), true),
    ];
    Shift { machines, stations }
}

/// `GET` OEE of `path` (`equipment/…`, `sites/…`) with `query`.
async fn oee(hub: &Hub, t: &Tenant, path: &str, query: &str) -> Value {
    hub.get(format!("/api/v1/oee/{path}?{query}"), &t.token)
        .await
        .expect(200)
        .body
}

/// Monday 00:00 to 18:00 UTC in buckets of `bucket`.
fn monday_query(bucket: &str) -> String {
    format!("from={}&to={}&bucket={bucket}", at(0, 0), at(18, 0))
}

/// (numerator, denominator, value) of a ratio, as the answer writes them.
fn ratio(r: &Value) -> (String, String, Value) {
    (
        r["numerator"].as_str().unwrap_or("?").to_string(),
        r["denominator"].as_str().unwrap_or("?").to_string(),
        r["value"].clone(),
    )
}

fn r(num: &str, den: &str, value: Option<&str>) -> (String, String, Value) {
    (
        num.to_string(),
        den.to_string(),
        value.map_or(Value::Null, |v| json!(v)),
    )
}

/// The worked example's figures of oee-1 (changeovers a loss), by hand:
///
/// - Planned busy time PBT = 480 min = 28,800,000 ms; nothing unknown.
/// - APT = running 90 + 135 + 105 + 50 = 380 min = 22,800,000 ms.
/// - Losses: down 45 + 10 = 55 min (2 stops), setup 30, idle 15;
///   380 + 55 + 30 + 15 = 480.
/// - Availability = 22,800,000 / 28,800,000 = 0.791667.
/// - Performance = PRI × PQ / APT = 60,000 ms × 320 / 22,800,000
///   = 19,200,000 / 22,800,000 = 0.842105 (slow cycles).
/// - Quality = 300 / 320 = 0.9375.
/// - OEE = (19,200,000 × 300) / (28,800,000 × 320)
///   = 5,760,000,000 / 9,216,000,000 = 0.625 (= 300 min of good output
///   at 1 min each over 480 planned minutes).
/// - MTBF = 22,800,000 / 2 = 11,400,000 ms; MTTR = 3,300,000 / 2 =
///   1,650,000 ms.
fn assert_worked_example(f: &Value) {
    let text = f.to_string();
    assert_eq!(f["planned_busy_ms"], 480 * MIN, "{text}");
    assert_eq!(f["actual_production_ms"], 380 * MIN, "{text}");
    assert_eq!(
        (&f["down_ms"], &f["setup_ms"], &f["idle_ms"], &f["unknown_ms"]),
        (&json!(55 * MIN), &json!(30 * MIN), &json!(15 * MIN), &json!(0)),
        "{text}"
    );
    assert_eq!(f["stops"], 2, "{text}");
    assert_eq!(
        ratio(&f["availability"]),
        r("22800000", "28800000", Some("0.791667")),
        "{text}"
    );
    assert_eq!(
        ratio(&f["performance"]),
        r("19200000", "22800000", Some("0.842105")),
        "{text}"
    );
    assert_eq!(ratio(&f["quality"]), r("300", "320", Some("0.9375")), "{text}");
    assert_eq!(
        ratio(&f["oee"]),
        r("5760000000", "9216000000", Some("0.625")),
        "{text}"
    );
    assert_eq!(
        ratio(&f["mtbf_ms"]),
        r("22800000", "2", Some("11400000")),
        "{text}"
    );
    assert_eq!(ratio(&f["mttr_ms"]), r("3300000", "2", Some("1650000")), "{text}");
    assert_eq!(f["performance_over_100"], false, "{text}");
    assert_eq!(
        (&f["counted_good"], &f["unrated_produced"]),
        (&json!(320), &json!("0")),
        "the machine's count is shown, the report counts: {text}"
    );
}

/// The worked example, its waterfall, its Pareto, and shift and day
/// buckets; the changeover setting changes availability as computed by
/// hand.
pub async fn oee_worked_example_by_hand(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let t = hub.tenant("oee").await;
    floor(&hub, &t).await;
    let shift = monday(&t);
    let mut all = shift.machines.clone();
    all.extend(shift.stations.clone());
    all.sort_by(|a, b| a.at.cmp(&b.at));
    Agent::main(&t).send(&hub, &all).await;

    let one = format!("equipment/{}", t.code("oee-1"));
    let answer = oee(&hub, &t, &one, &monday_query("shift")).await;
    assert_worked_example(&answer["totals"]);
    assert_eq!(answer["calendar"], t.code("day-shift"));
    // Two shift buckets: Friday's shift runs on until Monday's begins
    // (05:00 UTC), then Monday's: the worked example.
    let trend = answer["trend"].as_array().expect("a trend");
    let labels: Vec<&str> = trend.iter().filter_map(|b| b["label"].as_str()).collect();
    assert_eq!(labels, ["2026-01-09 06:00-14:00", "2026-01-12 06:00-14:00"]);
    assert_eq!(trend[0]["figures"]["planned_busy_ms"], 0);
    assert_eq!(trend[1]["from"], MONDAY + 5 * HOUR);
    assert_worked_example(&trend[1]["figures"]);

    // The waterfall: 480 planned → the losses → 380 APT → speed loss 60 →
    // 320 net → quality loss 20 → 300 fully productive minutes.
    let steps: Vec<(String, Value, i64)> = answer["waterfall"]
        .as_array()
        .expect("a waterfall")
        .iter()
        .map(|s| {
            let ms: i64 = s["ms"].as_str().and_then(|v| v.parse().ok()).unwrap_or(-1);
            (
                s["step"].as_str().unwrap_or("?").to_string(),
                s["reason"].clone(),
                ms / MIN,
            )
        })
        .collect();
    let step = |name: &str, reason: Value, min: i64| (name.to_string(), reason, min);
    assert_eq!(
        steps,
        [
            step("planned_busy", Value::Null, 480),
            step("availability_base", Value::Null, 480),
            step("down", json!(t.code("F12")), 45),
            step("down", Value::Null, 10),
            step("setup", Value::Null, 30),
            step("idle", Value::Null, 15),
            step("actual_production", Value::Null, 380),
            step("speed_loss", Value::Null, 60),
            step("net_production", Value::Null, 320),
            step("quality_loss", Value::Null, 20),
            step("fully_productive", Value::Null, 300),
        ],
        "{}",
        answer["waterfall"]
    );
    // The Pareto: the operator's reason (with its text) first.
    let pareto = &answer["pareto"];
    assert_eq!(pareto[0]["reason"], t.code("F12"), "{pareto}");
    assert_eq!(pareto[0]["text"], "Tool change", "{pareto}");
    assert_eq!(
        (&pareto[0]["stops"], &pareto[0]["down_ms"]),
        (&json!(1), &json!(45 * MIN))
    );
    assert_eq!(
        ratio(&pareto[0]["share"]),
        r("2700000", "3300000", Some("0.818182"))
    );
    assert_eq!(
        (&pareto[1]["reason"], &pareto[1]["stops"]),
        (&Value::Null, &json!(1))
    );

    // Days: Monday's local day (from 23:00 UTC Sunday) holds the whole
    // shift; Tuesday's planned shift has only idle (the last state).
    let days = oee(
        &hub,
        &t,
        &one,
        &format!("from={}&to={}&bucket=day", at(0, 0), at(42, 0)),
    )
    .await;
    let trend = days["trend"].as_array().expect("a trend");
    let labels: Vec<&str> = trend.iter().filter_map(|b| b["label"].as_str()).collect();
    assert_eq!(labels, ["2026-01-12", "2026-01-13"]);
    assert_worked_example(&trend[0]["figures"]);
    assert_eq!(trend[1]["figures"]["idle_ms"], 480 * MIN);
    assert_eq!(
        ratio(&trend[1]["figures"]["availability"]),
        r("0", "28800000", Some("0"))
    );
    // The period pools its buckets: 380 / (480 + 480).
    assert_eq!(
        ratio(&days["totals"]["availability"]),
        r("22800000", "57600000", Some("0.395833"))
    );

    // Changeovers planned at the site: setup leaves the base. By hand:
    // availability = 380 / (480 − 30) = 22,800,000 / 27,000,000 = 0.844444;
    // OEE = 19,200,000 × 300 / (27,000,000 × 320) = 5,760,000,000 /
    // 8,640,000,000 = 0.666667; performance and quality unchanged.
    let site = format!("/api/v1/sites/{}", t.site);
    let mut settings = hub.get(&site, &t.token).await.expect(200);
    let version = settings.version();
    settings.body["changeover_planned"] = json!(true);
    hub.req(Method::PUT, &site)
        .token(&t.token)
        .if_match(version)
        .json(&settings.body)
        .send()
        .await
        .expect(200);
    let planned = oee(&hub, &t, &one, &monday_query("shift")).await;
    let f = &planned["totals"];
    assert_eq!(planned["changeover_planned"], true);
    assert_eq!(
        (&f["setup_ms"], &f["planned_changeover_ms"]),
        (&json!(0), &json!(30 * MIN))
    );
    assert_eq!(
        ratio(&f["availability"]),
        r("22800000", "27000000", Some("0.844444"))
    );
    assert_eq!(
        ratio(&f["performance"]),
        r("19200000", "22800000", Some("0.842105"))
    );
    assert_eq!(ratio(&f["oee"]), r("5760000000", "8640000000", Some("0.666667")));
}

/// Performance above 100 % is flagged, not capped; a site pools its
/// machines by summing numerators and denominators, not by averaging.
pub async fn oee_flags_fast_cycles_and_pools_machines_by_sums(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let t = hub.tenant("pool").await;
    floor(&hub, &t).await;
    let shift = monday(&t);
    let mut all = shift.machines;
    all.extend(shift.stations);
    all.sort_by(|a, b| a.at.cmp(&b.at));
    Agent::main(&t).send(&hub, &all).await;

    // oee-2 by hand: planned 240 min, running 120, idle 120; 100 good at
    // 2 min each = 200 planned run minutes in 120 running minutes.
    // Availability = 7,200,000 / 14,400,000 = 0.5; performance =
    // 12,000,000 / 7,200,000 = 1.666667 (> 1: flagged, not capped);
    // quality = 100 / 100; OEE = 12,000,000 × 100 / (14,400,000 × 100)
    // = 0.833333.
    let two = oee(
        &hub,
        &t,
        &format!("equipment/{}", t.code("oee-2")),
        &monday_query("day"),
    )
    .await;
    let f = &two["totals"];
    assert_eq!(ratio(&f["availability"]), r("7200000", "14400000", Some("0.5")));
    assert_eq!(
        ratio(&f["performance"]),
        r("12000000", "7200000", Some("1.666667"))
    );
    assert_eq!(f["performance_over_100"], true);
    assert_eq!(ratio(&f["oee"]), r("1200000000", "1440000000", Some("0.833333")));
    assert!(
        two["warnings"].as_array().is_some_and(|w| w
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("above 1")))),
        "{}",
        two["warnings"]
    );

    // The site: oee-1, oee-2 and press-1 (the fixtures' machine, always
    // planned by the site's lack of a calendar, never reporting: all its
    // planned time unknown, out of every base).
    // Availability = (22,800,000 + 7,200,000) / (28,800,000 + 14,400,000)
    // = 30,000,000 / 43,200,000 = 0.694444, not the mean of 0.791667 and
    // 0.5 (0.645833). Performance = (19,200,000 + 12,000,000) /
    // 30,000,000 = 1.04 (flagged). Quality = 400 / 420 = 0.952381.
    let site = oee(&hub, &t, &format!("sites/{}", t.site), &monday_query("day")).await;
    let f = &site["totals"];
    assert_eq!(
        ratio(&f["availability"]),
        r("30000000", "43200000", Some("0.694444"))
    );
    assert_eq!(ratio(&f["performance"]), r("31200000", "30000000", Some("1.04")));
    assert_eq!(f["performance_over_100"], true);
    assert_eq!(ratio(&f["quality"]), r("400", "420", Some("0.952381")));
    assert_eq!(f["unknown_ms"], 18 * HOUR, "press-1's 18 planned hours");
    let machines = site["equipment"].as_array().expect("each machine");
    assert_eq!(machines.len(), 3);
    for name in [
        "availability",
        "performance",
        "quality",
        "oee",
        "mtbf_ms",
        "mttr_ms",
    ] {
        let sum = |part: &str| -> i128 {
            machines
                .iter()
                .map(|m| {
                    m["totals"][name][part]
                        .as_str()
                        .and_then(|v| v.parse::<i128>().ok())
                        .unwrap_or(0)
                })
                .sum()
        };
        if name == "oee" {
            continue; // a product of pooled sums, not a sum itself
        }
        assert_eq!(
            (sum("numerator"), sum("denominator")),
            (
                f[name]["numerator"]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(-1),
                f[name]["denominator"]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(-1)
            ),
            "{name}: the site's is the sum of its machines'"
        );
    }
    assert_eq!(site["trend"].as_array().map(Vec::len), Some(1), "one local day");
}

/// An answer with the tenant's prefix (in codes and the site's name)
/// replaced, to compare tenants' answers.
fn neutral(t: &Tenant, answer: &Value) -> String {
    answer.to_string().replace(&t.prefix, "T-")
}

/// Late events give the same OEE as punctual ones. One tenant gets every
/// event in time, in one batch. Another gets the machines' events in two
/// batches and the stations' (an agent that was offline all shift) only
/// afterwards: until they come the shift has no output, after they come
/// the answer is the punctual one; then an already-stored batch retried
/// and events outside the period change nothing. A third gets everything
/// in reverse time order, one event per batch.
pub async fn oee_late_events_give_the_punctual_answer(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let on_time = hub.tenant("punctual").await;
    let late = hub.tenant("late").await;
    let reversed = hub.tenant("reversed").await;
    for t in [&on_time, &late, &reversed] {
        floor(&hub, t).await;
    }
    let query = monday_query("shift");
    let answer = |t: &Tenant| {
        let (hub, t, query) = (hub.clone(), t.clone(), query.clone());
        async move {
            let one = oee(&hub, &t, &format!("equipment/{}", t.code("oee-1")), &query).await;
            let site = oee(&hub, &t, &format!("sites/{}", t.site), &query).await;
            (neutral(&t, &one), neutral(&t, &site))
        }
    };

    let shift = monday(&on_time);
    let mut all = shift.machines.clone();
    all.extend(shift.stations.clone());
    all.sort_by(|a, b| a.at.cmp(&b.at));
    Agent::main(&on_time).send(&hub, &all).await;
    let punctual = answer(&on_time).await;
    assert_worked_example(&serde_json::from_str::<Value>(&punctual.0).expect("JSON")["totals"]);

    // Late: the machines' gateway sends the morning, then the rest; the
    // stations' gateway was offline and sends the whole shift afterwards.
    let shift = monday(&late);
    let mut machines = Agent::main(&late);
    let (morning, rest) = shift.machines.split_at(5);
    machines.send(&hub, morning).await;
    machines.send(&hub, rest).await;
    let before = oee(&hub, &late, &format!("equipment/{}", late.code("oee-1")), &query).await;
    assert_eq!(before["totals"]["produced"], "0", "no output known yet");
    assert_eq!(before["totals"]["oee"]["value"], Value::Null);
    let mut stations = Agent::another(&hub, &late).await;
    stations.send(&hub, &shift.stations).await;
    assert_eq!(
        answer(&late).await,
        punctual,
        "the late shift gives the punctual answer"
    );
    // Already stored: a retried batch is skipped. Outside the period: a
    // count on Sunday, a state on Monday evening after `to`, a report on
    // Tuesday of another run.
    stations.send_from(&hub, 1, &shift.stations).await;
    let one = late.code("oee-1");
    let outside = vec![
        spec(
            at(-12, 0),
            "parts_counted",
            json!({"equipment": one, "good": 5, "scrap": 0, "good_total": 5, "scrap_total": 0}),
            false,
        ),
        spec(
            at(19, 0),
            "equipment_state_changed",
            json!({"equipment": one, "state": "down"}),
            false,
        ),
        spec(
            at(30, 0),
            "output_reported",
            json!({"run": {"execution": uuid::Uuid::now_v7().to_string(), "order": late.code("MO-OEE"),
                   "operation": "10", "station": late.code("st-1")},
                   "material": late.code("widget"), "good": "7", "scrap": "0", "unit": late.code("pcs")}),
            true,
        ),
    ];
    stations.send(&hub, &outside).await;
    assert_eq!(answer(&late).await, punctual, "nothing outside the period counts");

    // Reversed: the same events newest first, one per batch.
    let shift = monday(&reversed);
    let mut all = shift.machines;
    all.extend(shift.stations);
    all.sort_by(|a, b| b.at.cmp(&a.at));
    let mut agent = Agent::main(&reversed);
    for e in &all {
        agent.send(&hub, std::slice::from_ref(e)).await;
    }
    assert_eq!(answer(&reversed).await, punctual, "arrival order does not matter");
}

/// Questions that make no sense get clear answers.
pub async fn oee_questions_are_checked(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let t = hub.tenant("asks").await;
    fixtures::create_all(&hub, &t).await;
    let one = format!("/api/v1/oee/equipment/{}", t.code("press-1"));
    hub.get(format!("{one}?bucket=month"), &t.token)
        .await
        .expect_error(400, "invalid_query", Some("bucket"));
    hub.get(format!("{one}?shift=1"), &t.token)
        .await
        .expect_error(400, "invalid_query", Some("shift"));
    hub.get(format!("{one}?from=yesterday"), &t.token)
        .await
        .expect_error(400, "invalid_query", Some("from"));
    hub.get(format!("{one}?from={}&to={}", at(10, 0), at(9, 0)), &t.token)
        .await
        .expect_error(422, "invalid", Some("from"));
    hub.get(format!("{one}?from=2020-01-01T00:00:00Z"), &t.token)
        .await
        .expect_error(422, "invalid", Some("from"));
    hub.get(format!("/api/v1/oee/equipment/{}", t.code("nope")), &t.token)
        .await
        .expect_error(404, "not_found", None);
    hub.get("/api/v1/oee/sites/no-such-site", &t.token)
        .await
        .expect_error(404, "not_found", None);
    // An equipment without events: figures without values, never NaN.
    let empty = hub.get(&one, &t.token).await.expect(200).body;
    assert_eq!(empty["totals"]["oee"]["value"], Value::Null, "{empty}");
    assert_eq!(empty["totals"]["availability"]["denominator"], "0", "{empty}");
}

/// The machines' agent was not running 08:00–08:30 (its `agent_outage`
/// on restart): that half hour of oee-1's running is unknown, out of the
/// base and out of APT, never guessed. By hand: APT = 380 − 30 = 350 min
/// = 21,000,000 ms; base = 480 − 30 = 450 min = 27,000,000 ms;
/// availability = 0.777778; performance = 19,200,000 / 21,000,000 =
/// 0.914286.
pub async fn oee_agent_outage_is_unknown_time(db: &TestDb) {
    let hub = Hub::with_clock(&db.store, cloud_hub::clock::fixed_clock(HUB_NOW));
    let t = hub.tenant("outage").await;
    floor(&hub, &t).await;
    let shift = monday(&t);
    let mut all = shift.machines;
    all.extend(shift.stations);
    let mut outage = spec(
        at(8, 30),
        "agent_outage",
        json!({"from": at(8, 0), "until": at(8, 30), "equipment": [t.code("oee-1"), t.code("oee-2")]}),
        false,
    );
    outage.source = json!({"type": "subsystem", "id": "agent"});
    all.push(outage);
    all.sort_by(|a, b| a.at.cmp(&b.at));
    Agent::main(&t).send(&hub, &all).await;
    let answer = oee(
        &hub,
        &t,
        &format!("equipment/{}", t.code("oee-1")),
        &monday_query("shift"),
    )
    .await;
    let f = &answer["totals"];
    assert_eq!(
        (&f["agent_down_ms"], &f["unknown_ms"], &f["base_ms"]),
        (&json!(30 * MIN), &json!(30 * MIN), &json!(450 * MIN)),
        "{f}"
    );
    assert_eq!(
        ratio(&f["availability"]),
        r("21000000", "27000000", Some("0.777778"))
    );
    assert_eq!(
        ratio(&f["performance"]),
        r("19200000", "21000000", Some("0.914286"))
    );
    assert_eq!(f["down_ms"], 55 * MIN, "the outage is not downtime");
    let waterfall = answer["waterfall"].as_array().expect("a waterfall");
    assert!(
        waterfall
            .iter()
            .any(|s| s["step"] == "agent_down" && s["kind"] == "exclude"),
        "{}",
        answer["waterfall"]
    );
}

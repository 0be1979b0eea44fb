//! Machine data over real Modbus TCP: the simulator serves registers, a real
//! agent polls them, and the hub receives equipment states, part counts and
//! communication events.

use machine_sim::{SimConfig, SimHandle, Simulator};
use mes_tests::modbus::tcp_device;
use mes_tests::{Rig, binaries, eventually, hub_events, start_rig};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// A paused simulator whose machines never stop or fail on their own, so
/// the test decides every change.
async fn simulator(address: &str, omit_name: bool) -> SimHandle {
    let mut config = SimConfig::with_machines(2, address);
    config.start_paused = true;
    config.behaviour.stops_per_hour = Some(0.0);
    config.behaviour.faults_per_hour = Some(0.0);
    config.behaviour.setups_per_hour = Some(0.0);
    config.behaviour.scrap_rate = Some(0.0);
    config.behaviour.cycle_time_ms = Some(1000);
    if omit_name {
        config.layout.omit = Some(serde_json::from_value(serde_json::json!(["name"])).expect("signal names"));
    }
    Simulator::start(config).await.expect("simulator starts")
}

fn agent_config(sim: &str, extra_tag: &str) -> String {
    let mut out = String::new();
    for (unit, name) in [(1, "sim-01"), (2, "sim-02")] {
        let tags = format!(
            r#"  {{ name = "run", area = "coil", address = 0, type = "bool" }},
  {{ name = "setup", area = "coil", address = 1, type = "bool" }},
  {{ name = "fault_code", area = "holding_register", address = 1, type = "u16" }},
  {{ name = "good_count", area = "holding_register", address = 2, type = "u16" }},
  {{ name = "scrap_count", area = "holding_register", address = 3, type = "u16" }},
  {{ name = "temperature", area = "holding_register", address = 4, type = "f32", order = "cdab", deadband = 0.5 }},
  {extra_tag}"#
        );
        out.push_str(&tcp_device(sim, unit, name, &tags));
        out.push_str(&format!(
            r#"
[[equipment]]
name = "{name}"
device = "{name}"
offline_after_secs = 0
values = ["temperature"]
states = [
  {{ state = "down", tag = "fault_code", op = "ne", value = 0, reason_tag = "fault_code" }},
  {{ state = "setup", tag = "setup", op = "true" }},
  {{ state = "running", tag = "run", op = "true" }},
]
counters = {{ good = {{ tag = "good_count", width = 16 }}, scrap = {{ tag = "scrap_count", width = 16 }} }}
"#
        ));
    }
    out
}

async fn rig(sim_addr: &str, extra_tag: &str) -> Rig {
    start_rig(&binaries!(), &agent_config(sim_addr, extra_tag))
        .await
        .expect("hub and agent start")
}

async fn wait_for_event(db: &Path, what: &str, pred: impl Fn(&str, &Value) -> bool) {
    eventually(what, Duration::from_secs(30), || {
        let found = hub_events(db).iter().any(|(k, d)| pred(k, d));
        async move { found.then_some(()) }
    })
    .await;
}

fn state_of(kind: &str, data: &Value, equipment: &str, state: &str) -> bool {
    kind == "equipment_state_changed" && data["equipment"] == equipment && data["state"] == state
}

fn good_parts(db: &Path, equipment: &str) -> u64 {
    hub_events(db)
        .iter()
        .filter(|(k, d)| k == "parts_counted" && d["equipment"] == equipment)
        .map(|(_, d)| d["good"].as_u64().unwrap_or(0))
        .sum()
}

#[tokio::test]
async fn states_and_counts_arrive_at_the_hub_through_a_counter_rollover() {
    let sim = simulator("127.0.0.1:0", false).await;
    // The PLC counter stands just below its u16 rollover when the agent first
    // reads it (its baseline).
    sim.set_counters("sim-01", 65_533, 0).expect("counters");
    sim.force_stop("sim-01").expect("stop");
    let rig = rig(&sim.local_addr().to_string(), "").await;
    let db = rig.hub.db_path();
    wait_for_event(&db, "sim-01 idle", |k, d| state_of(k, d, "sim-01", "idle")).await;
    sim.release("sim-01").expect("run");
    wait_for_event(&db, "sim-01 running", |k, d| state_of(k, d, "sim-01", "running")).await;
    sim.step(50); // 5 s at one part per second: 65533 → 65535 → 0 → 2
    let made = sim.status("sim-01").expect("status").good_total - 65_533;
    assert_eq!(made, 5);
    eventually("five good parts at the hub", Duration::from_secs(30), || {
        let n = good_parts(&db, "sim-01");
        async move { (n == 5).then_some(()) }
    })
    .await;

    sim.force_fault("sim-01", 205).expect("fault");
    wait_for_event(&db, "sim-01 down with reason 205", |k, d| {
        state_of(k, d, "sim-01", "down") && d["reason"] == "205"
    })
    .await;
    sim.release("sim-01").expect("run again");
    let db2 = db.clone();
    eventually(
        "sim-01 running again after the fault",
        Duration::from_secs(30),
        || {
            let states: Vec<String> = hub_events(&db2)
                .iter()
                .filter(|(k, d)| k == "equipment_state_changed" && d["equipment"] == "sim-01")
                .map(|(_, d)| d["state"].as_str().unwrap_or("").to_string())
                .collect();
            async move {
                (states.last().map(String::as_str) == Some("running") && states.len() >= 4).then_some(())
            }
        },
    )
    .await;
    assert_eq!(good_parts(&db, "sim-01"), 5, "no part counted twice");
    sim.shutdown().await;
    drop(rig);
}

#[tokio::test]
async fn a_device_that_stops_answering_goes_offline_and_comes_back() {
    let sim = simulator("127.0.0.1:0", false).await;
    let addr = sim.local_addr();
    let rig = rig(&addr.to_string(), "").await;
    let db = rig.hub.db_path();
    let comm = |state: &'static str| {
        move |k: &str, d: &Value| {
            k == "device_communication_changed" && d["device"] == "sim-02" && d["state"] == state
        }
    };
    wait_for_event(&db, "sim-02 communication up", comm("up")).await;
    sim.shutdown().await;
    wait_for_event(&db, "sim-02 communication down", comm("down")).await;
    wait_for_event(&db, "sim-02 offline", |k, d| state_of(k, d, "sim-02", "offline")).await;

    let sim = simulator(&addr.to_string(), false).await;
    let db2 = db.clone();
    eventually("sim-02 communication up again", Duration::from_secs(30), || {
        let ups = hub_events(&db2).iter().filter(|(k, d)| comm("up")(k, d)).count();
        async move { (ups >= 2).then_some(()) }
    })
    .await;
    let health = rig.agent.health().await.expect("health");
    assert_ne!(health["equipment"]["sim-02"]["state"], "offline", "{health}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_register_the_device_lacks_fails_its_tag_while_others_flow() {
    // The simulator serves no name registers (8..=15), so `ghost` at 9 sits
    // inside the block the agent would read for the other registers.
    let sim = simulator("127.0.0.1:0", true).await;
    let ghost = r#"{ name = "ghost", area = "holding_register", address = 9, type = "u16" },"#;
    let rig = rig(&sim.local_addr().to_string(), ghost).await;
    let db = rig.hub.db_path();
    sim.force_stop("sim-01").expect("stop");
    wait_for_event(&db, "sim-01 idle", |k, d| state_of(k, d, "sim-01", "idle")).await;
    sim.force_fault("sim-01", 101).expect("fault");
    wait_for_event(&db, "sim-01 down", |k, d| {
        state_of(k, d, "sim-01", "down") && d["reason"] == "101"
    })
    .await;

    let metrics = reqwest::get(format!("{}/metrics", rig.agent.url()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let bad = metrics
        .lines()
        .find(|l| l.starts_with("mes_agent_source_bad_inputs_total{device=\"sim-01\",reason=\"register\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(bad > 0.0, "the ghost tag's failures are counted: {metrics}");
    let log = std::fs::read_to_string(rig.dir.path().join("agent").join("agent.log")).expect("agent log");
    assert!(
        log.lines()
            .any(|l| l.contains("tag ghost") && l.contains("0x02 Illegal Data Address")),
        "the log names the tag and the exception"
    );
    sim.shutdown().await;
}

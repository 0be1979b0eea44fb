//! Equipment states a plant can trust, over real Modbus TCP (issue 13): the
//! simulator serves a status word and a fault code in one register block, a
//! real agent polls them, and the hub must hold exactly one state event per
//! real change, with the reason read in the same poll, whatever the order
//! of the tags; and a device that answers with unchanged registers never
//! goes offline.

use machine_sim::SimHandle;
use mes_tests::modbus::{quiet_simulator, status_word_device as device};
use mes_tests::{Rig, binaries, eventually, hub_events, start_rig};
use std::path::Path;
use std::time::{Duration, Instant};

/// Two machines that never change on their own.
async fn simulator() -> SimHandle {
    quiet_simulator(2).await
}

async fn rig(config: &str) -> Rig {
    start_rig(&binaries!(), config)
        .await
        .expect("hub and agent start")
}

/// `state:reason` of every state event of `equipment` at the hub, in order.
fn states(db: &Path, equipment: &str) -> Vec<String> {
    hub_events(db)
        .iter()
        .filter(|(k, d)| k == "equipment_state_changed" && d["equipment"] == equipment)
        .map(|(_, d)| {
            format!(
                "{}:{}",
                d["state"].as_str().unwrap_or(""),
                d["reason"].as_str().unwrap_or("")
            )
        })
        .collect()
}

async fn wait_last_state(db: &Path, equipment: &str, want: &str) {
    eventually(&format!("{equipment} {want}"), Duration::from_secs(30), || {
        let last = states(db, equipment).last().cloned();
        async move { (last.as_deref() == Some(want)).then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn a_fault_read_with_its_code_is_one_down_event_with_that_reason_in_either_tag_order() {
    let sim = simulator().await;
    let addr = sim.local_addr().to_string();
    // The agent starts into faulted machines.
    sim.force_fault("sim-01", 205).expect("fault");
    sim.force_fault("sim-02", 205).expect("fault");
    let config = device(&addr, 1, "sim-01", ["state", "fault_code"], 0)
        + &device(&addr, 2, "sim-02", ["fault_code", "state"], 0);
    let rig = rig(&config).await;
    let db = rig.hub.db_path();
    for machine in ["sim-01", "sim-02"] {
        wait_last_state(&db, machine, "down:205").await;
    }
    for (change, want) in [(None, "running:"), (Some(206), "down:206"), (None, "running:")] {
        for machine in ["sim-01", "sim-02"] {
            match change {
                Some(code) => sim.force_fault(machine, code).expect("fault"),
                None => sim.release(machine).expect("release"),
            }
            wait_last_state(&db, machine, want).await;
        }
    }
    for machine in ["sim-01", "sim-02"] {
        assert_eq!(
            states(&db, machine),
            ["down:205", "running:", "down:206", "running:"],
            "{machine}: no phantom idle, no down without its reason or with reason 0"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_device_answering_unchanged_registers_stays_online_past_offline_after() {
    let sim = simulator().await;
    let addr = sim.local_addr().to_string();
    // A long fault: the registers do not change while the agent watches.
    sim.force_fault("sim-01", 205).expect("fault");
    let rig = rig(&device(&addr, 1, "sim-01", ["state", "fault_code"], 1)).await;
    let db = rig.hub.db_path();
    wait_last_state(&db, "sim-01", "down:205").await;
    let seen = Instant::now();
    let polls = || async {
        let metrics = reqwest::get(format!("{}/metrics", rig.agent.url()))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        metrics
            .lines()
            .find(|l| l.starts_with("mes_agent_modbus_polls_total "))?
            .rsplit(' ')
            .next()?
            .parse::<f64>()
            .ok()
    };
    let before = polls().await.expect("poll count");
    // Three times offline_after_secs of answered polls (and at least 30 of
    // them, so a slow machine still watches that many answers).
    eventually("3 s of answered polls", Duration::from_secs(60), || async {
        let n = polls().await?;
        (n - before >= 30.0 && seen.elapsed() >= Duration::from_secs(3)).then_some(())
    })
    .await;
    let health = rig.agent.health().await.expect("health");
    assert_eq!(health["equipment"]["sim-01"]["state"], "down", "{health}");
    assert_eq!(health["equipment"]["sim-01"]["reason"], "205", "{health}");
    assert_eq!(
        states(&db, "sim-01"),
        ["down:205"],
        "no change is not silence: never offline"
    );

    // A device that stops answering still goes offline.
    sim.shutdown().await;
    wait_last_state(&db, "sim-01", "offline:").await;
}

#[tokio::test]
async fn a_restarted_agent_does_not_announce_the_unchanged_state_again() {
    let sim = simulator().await;
    let addr = sim.local_addr().to_string();
    sim.force_fault("sim-01", 205).expect("fault");
    let mut rig = rig(&device(&addr, 1, "sim-01", ["state", "fault_code"], 0)).await;
    let db = rig.hub.db_path();
    wait_last_state(&db, "sim-01", "down:205").await;
    rig.agent.stop();
    rig.agent.start().await.expect("agent restarts");
    // The link comes up after the first poll's snapshot was handed over, and
    // events reach the hub in order: a second "up" means the restarted
    // agent's first poll is at the hub too.
    eventually("sim-01 up twice", Duration::from_secs(30), || {
        let ups = hub_events(&db)
            .iter()
            .filter(|(k, d)| {
                k == "device_communication_changed" && d["device"] == "sim-01" && d["state"] == "up"
            })
            .count();
        async move { (ups >= 2).then_some(()) }
    })
    .await;
    assert_eq!(states(&db, "sim-01"), ["down:205"], "no duplicate after restart");
    sim.release("sim-01").expect("release");
    wait_last_state(&db, "sim-01", "running:").await;
    sim.shutdown().await;
}

#[tokio::test]
async fn f32_process_values_arrive_as_their_shortest_decimal() {
    let sim = simulator().await;
    let addr = sim.local_addr().to_string();
    let temperature =
        r#"{ name = "temperature", area = "holding_register", address = 4, type = "f32", order = "cdab" },"#;
    let config = device(&addr, 1, "sim-01", ["state", "fault_code"], 0)
        .replacen("tags = [\n", &format!("tags = [\n  {temperature}\n"), 1)
        .replace(
            "offline_after_secs = 0\n",
            "offline_after_secs = 0\nvalues = [\"temperature\"]\n",
        );
    // A running machine warms up to temperatures an f32 cannot hold exactly.
    sim.release("sim-01").expect("run");
    sim.step(37);
    let rig = rig(&config).await;
    let db = rig.hub.db_path();
    let value = eventually("a temperature at the hub", Duration::from_secs(30), || {
        let v = hub_events(&db).iter().find_map(|(k, d)| {
            (k == "process_value_sampled" && d["tag"] == "temperature").then(|| d["value"].clone())
        });
        async move { v }
    })
    .await;
    let stored = value.as_f64().expect("a number");
    let register = stored as f32;
    assert_ne!(
        f64::from(register).to_string(),
        register.to_string(),
        "a value f32 cannot hold exactly"
    );
    assert_eq!(
        stored.to_string(),
        register.to_string(),
        "stored as the f32's shortest decimal, not its f64 widening ({})",
        f64::from(register)
    );
    sim.shutdown().await;
}

//! Modbus RTU over a real serial line: `socat` links two pseudo-terminals,
//! the simulator serves RTU on one end (several machines by unit id, as on
//! an RS-485 multidrop line) and a real agent polls the other.
//! Skipped, with the reason printed, when `socat` is not installed.

use machine_sim::{SimConfig, Simulator};
use mes_tests::{AgentProcess, Binaries, HubProcess, eventually, hub_events};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The states of `equipment` the hub received, as `state:reason`.
fn states(db: &Path, equipment: &str) -> Vec<String> {
    hub_events(db)
        .iter()
        .filter(|(kind, d)| kind == "equipment_state_changed" && d["equipment"] == equipment)
        .map(|(_, d)| {
            format!(
                "{}:{}",
                d["state"].as_str().unwrap_or(""),
                d["reason"].as_str().unwrap_or("")
            )
        })
        .collect()
}

struct Socat(Child);

impl Drop for Socat {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One `[[modbus]]` device on the serial line and its `[[equipment]]`.
fn device_on_line(name: &str, port: &Path, unit_id: u8) -> String {
    format!(
        r#"
[[modbus]]
name = "{name}"
serial = {{ port = "{}", baud = 19200, parity = "even" }}
unit_id = {unit_id}
timeout_ms = 300
reconnect_initial_ms = 200
reconnect_max_secs = 1
[[modbus.poll_groups]]
name = "state"
interval_ms = 200
tags = [
  {{ name = "run", area = "coil", address = 0, type = "bool" }},
  {{ name = "fault_code", area = "holding_register", address = 1, type = "u16" }},
]
[[equipment]]
name = "{name}"
device = "{name}"
offline_after_secs = 0
states = [
  {{ state = "down", tag = "fault_code", op = "ne", value = 0, reason_tag = "fault_code" }},
  {{ state = "running", tag = "run", op = "true" }},
]
"#,
        port.display()
    )
}

#[tokio::test]
async fn rtu_devices_sharing_a_serial_line_each_report_and_a_silent_one_goes_down_alone() {
    if Command::new("socat")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        eprintln!("skipped: socat is not installed (apt-get install socat)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (sim_end, agent_end) = (dir.path().join("sim-tty"), dir.path().join("agent-tty"));
    let socat = Socat(
        Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", sim_end.display()))
            .arg(format!("pty,raw,echo=0,link={}", agent_end.display()))
            .stderr(Stdio::null())
            .spawn()
            .expect("socat starts"),
    );
    eventually("socat's pseudo-terminals", Duration::from_secs(10), || {
        let ready = sim_end.exists() && agent_end.exists();
        async move { ready.then_some(()) }
    })
    .await;

    // Two machines, unit ids 1 and 2; unit id 9 is served by nobody.
    let mut config = SimConfig::with_machines(2, "127.0.0.1:0");
    config.start_paused = true;
    config.behaviour.stops_per_hour = Some(0.0);
    config.behaviour.faults_per_hour = Some(0.0);
    config.behaviour.setups_per_hour = Some(0.0);
    let sim = Simulator::start(config).await.expect("simulator");
    sim.serve_rtu(&sim_end.display().to_string(), 19_200)
        .expect("RTU on the serial line");
    sim.force_stop("sim-01").expect("stop");
    sim.force_stop("sim-02").expect("stop");

    let bins = Binaries {
        hub: env!("CARGO_BIN_EXE_hub").into(),
        agent: env!("CARGO_BIN_EXE_agent").into(),
    };
    let mut hub = HubProcess::new(&bins.hub, dir.path()).expect("hub");
    let creds = hub.provision("acme", "plant-1").expect("provision");
    hub.start().await.expect("hub starts");
    let agent_dir = dir.path().join("agent");
    std::fs::create_dir_all(&agent_dir).expect("dir");
    let extra = [("sim-01", 1), ("sim-02", 2), ("ghost", 9)]
        .map(|(name, unit)| device_on_line(name, &agent_end, unit))
        .concat();
    let mut agent = AgentProcess::new(&bins.agent, &agent_dir, &hub.url(), &creds, &extra).expect("agent");
    agent.start().await.expect("agent starts");
    let db = hub.db_path();
    let wait_for = |equipment: &'static str, state: &'static str| {
        let db = db.clone();
        async move {
            eventually(&format!("{equipment} {state}"), Duration::from_secs(30), || {
                let seen = states(&db, equipment);
                async move { (seen.last().map(String::as_str) == Some(state)).then_some(()) }
            })
            .await
        }
    };
    let communication = |device: &'static str, state: &'static str| {
        let db = db.clone();
        move || {
            hub_events(&db).iter().any(|(k, d)| {
                k == "device_communication_changed" && d["device"] == device && d["state"] == state
            })
        }
    };
    wait_for("sim-01", "idle:").await;
    wait_for("sim-02", "idle:").await;
    let ghost_down = communication("ghost", "down");
    eventually("ghost communication down", Duration::from_secs(30), || {
        let down = ghost_down();
        async move { down.then_some(()) }
    })
    .await;
    // The silent unit keeps timing out (and the bus reopening the port)
    // while the two others keep reporting changes.
    sim.release("sim-01").expect("run");
    wait_for("sim-01", "running:").await;
    sim.force_fault("sim-02", 310).expect("fault");
    wait_for("sim-02", "down:310").await;
    sim.force_fault("sim-01", 205).expect("fault");
    wait_for("sim-01", "down:205").await;
    let ghost_detail = hub_events(&db)
        .iter()
        .find(|(k, d)| k == "device_communication_changed" && d["device"] == "ghost")
        .map(|(_, d)| d["detail"].as_str().unwrap_or("").to_string());
    assert!(
        ghost_detail
            .as_deref()
            .is_some_and(|d| d.contains("no answer within")),
        "the silent unit timed out: {ghost_detail:?}"
    );
    assert!(
        !communication("ghost", "up")(),
        "a unit id nobody serves never came up"
    );
    for device in ["sim-01", "sim-02"] {
        assert!(
            !communication(device, "down")(),
            "{device} never went down because of the silent unit"
        );
    }
    agent.stop();
    sim.shutdown().await;
    drop(socat);
}

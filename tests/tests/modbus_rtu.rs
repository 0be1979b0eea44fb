//! Modbus RTU over a real serial line: `socat` links two pseudo-terminals,
//! the simulator serves RTU on one end and a real agent polls the other.
//! Skipped, with the reason printed, when `socat` is not installed.

use machine_sim::{SimConfig, Simulator};
use mes_tests::{AgentProcess, Binaries, HubProcess, eventually, hub_events};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The equipment states the hub received, as `state:reason`.
fn states(db: &Path) -> Vec<String> {
    hub_events(db)
        .iter()
        .filter(|(kind, _)| kind == "equipment_state_changed")
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

#[tokio::test]
async fn an_rtu_device_on_a_serial_line_reports_its_states() {
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

    let mut config = SimConfig::with_machines(1, "127.0.0.1:0");
    config.start_paused = true;
    config.behaviour.stops_per_hour = Some(0.0);
    config.behaviour.faults_per_hour = Some(0.0);
    config.behaviour.setups_per_hour = Some(0.0);
    let sim = Simulator::start(config).await.expect("simulator");
    sim.serve_rtu(&sim_end.display().to_string(), 19_200)
        .expect("RTU on the serial line");
    sim.force_stop("sim-01").expect("stop");

    let bins = Binaries {
        hub: env!("CARGO_BIN_EXE_hub").into(),
        agent: env!("CARGO_BIN_EXE_agent").into(),
    };
    let mut hub = HubProcess::new(&bins.hub, dir.path()).expect("hub");
    let creds = hub.provision("acme", "plant-1").expect("provision");
    hub.start().await.expect("hub starts");
    let agent_dir = dir.path().join("agent");
    std::fs::create_dir_all(&agent_dir).expect("dir");
    let extra = format!(
        r#"
[[modbus]]
name = "sim-01"
serial = {{ port = "{}", baud = 19200, parity = "even" }}
unit_id = 1
timeout_ms = 500
[[modbus.poll_groups]]
name = "state"
interval_ms = 200
tags = [
  {{ name = "run", area = "coil", address = 0, type = "bool" }},
  {{ name = "fault_code", area = "holding_register", address = 1, type = "u16" }},
]
[[equipment]]
name = "sim-01"
device = "sim-01"
offline_after_secs = 0
states = [
  {{ state = "down", tag = "fault_code", op = "ne", value = 0, reason_tag = "fault_code" }},
  {{ state = "running", tag = "run", op = "true" }},
]
"#,
        agent_end.display()
    );
    let mut agent = AgentProcess::new(&bins.agent, &agent_dir, &hub.url(), &creds, &extra).expect("agent");
    agent.start().await.expect("agent starts");
    let db = hub.db_path();
    let wait_for = |state: &'static str| {
        let db = db.clone();
        async move {
            eventually(state, Duration::from_secs(30), || {
                let seen = states(&db);
                async move { (seen.last().map(String::as_str) == Some(state)).then_some(()) }
            })
            .await
        }
    };
    wait_for("idle:").await;
    sim.release("sim-01").expect("run");
    wait_for("running:").await;
    sim.force_fault("sim-01", 310).expect("fault");
    wait_for("down:310").await;
    agent.stop();
    sim.shutdown().await;
    drop(socat);
}

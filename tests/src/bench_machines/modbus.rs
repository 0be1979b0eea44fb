//! Phase 1: a real agent polling simulated machines over Modbus TCP on
//! loopback. The simulator runs as the `machine-sim` process when that
//! binary is found beside the benchmark, otherwise in this process; the
//! figures (rates, jitter, overruns) come from the agent's own `/metrics`,
//! CPU and memory of the agent from `/proc`.

use super::agent::{BenchAgent, Metrics};
use super::procfs::{self, CpuMark};
use anyhow::{Context, bail};
use clap::ValueEnum;
use machine_sim::config::ListenerConfig;
use machine_sim::{SimConfig, SimHandle, Simulator};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// When the agent reports a polled tag (the tags' `report` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Report {
    /// `report = "on_change"` (the default of the product): only changed values
    /// become observations.
    OnChange,
    /// `report = "every_poll"`: every decoded value becomes an observation.
    EveryPoll,
}

impl Report {
    fn toml(self) -> &'static str {
        match self {
            Report::OnChange => "on_change",
            Report::EveryPoll => "every_poll",
        }
    }
}

/// Where the simulated machines run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimMode {
    /// The `machine-sim` binary if it is beside this one, else in-process.
    Auto,
    /// The `machine-sim` binary (its CPU is then not in the benchmark's).
    Process,
    /// Inside the benchmark process.
    InProcess,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Simulated devices (one `[[modbus]]` device each).
    pub devices: u16,
    /// Holding registers 0..registers polled per device, one u16 tag each.
    pub registers: u16,
    /// Poll interval of the single poll group.
    pub interval: Duration,
    /// Modbus TCP listeners the devices are spread over.
    pub listeners: usize,
    /// Report mode of every tag.
    pub report: Report,
    /// Where the simulator runs.
    pub sim: SimMode,
    /// Time after start before measuring.
    pub warmup: Duration,
    /// The measured window.
    pub window: Duration,
}

/// The measured figures.
#[derive(Debug, Clone)]
pub struct ModbusRun {
    /// Length of the measured window.
    pub window: Duration,
    /// Poll cycles per second.
    pub polls_per_sec: f64,
    /// Read requests per second.
    pub requests_per_sec: f64,
    /// Tags decoded per second.
    pub tags_per_sec: f64,
    /// Overruns (skipped cycles) during the window.
    pub overruns: f64,
    /// Overruns since the agent started (warm-up included).
    pub overruns_total: f64,
    /// Events committed to the agent's buffer per second.
    pub events_per_sec: f64,
    /// Bad inputs counted during the window (all devices).
    pub bad_inputs: f64,
    /// Poll lateness quantiles at the end of the window, seconds.
    pub lateness_p50: f64,
    /// See `lateness_p50`.
    pub lateness_p99: f64,
    /// Agent CPU as a share of one core over the window.
    pub agent_cpu: Option<f64>,
    /// Simulator CPU as a share of one core, and where it ran.
    pub sim_cpu: (Option<f64>, &'static str),
    /// Agent VmRSS at the end, kB.
    pub rss_kb: Option<u64>,
    /// Agent VmHWM at the end, kB.
    pub hwm_kb: Option<u64>,
    /// Equipment states the agent reports at the end (state → count).
    pub states: Vec<(String, usize)>,
}

/// A running simulator, in this process or as a child.
enum Sim {
    InProcess(Box<SimHandle>),
    Process(Child),
}

impl Sim {
    async fn stop(self) {
        match self {
            Sim::InProcess(handle) => handle.shutdown().await,
            Sim::Process(mut child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// One polled device: its name, unit id and listener.
struct Target {
    name: String,
    unit_id: u8,
    address: String,
}

/// Runs the phase: simulator, agent, warm-up, measured window.
pub async fn run(
    agent_bin: &Path,
    sim_bin: Option<PathBuf>,
    dir: &Path,
    plan: &Plan,
) -> anyhow::Result<ModbusRun> {
    let (sim, targets, sim_pid, sim_where) = start_sim(sim_bin, dir, plan).await?;
    let result = measure(agent_bin, dir, plan, &targets, sim_pid, sim_where).await;
    sim.stop().await;
    result
}

async fn start_sim(
    sim_bin: Option<PathBuf>,
    dir: &Path,
    plan: &Plan,
) -> anyhow::Result<(Sim, Vec<Target>, u32, &'static str)> {
    let names: Vec<String> = (1..=plan.devices).map(|n| format!("sim-{n:02}")).collect();
    let listeners = plan.listeners.clamp(1, usize::from(plan.devices));
    let share = |l: usize| -> Vec<String> { names.iter().skip(l).step_by(listeners).cloned().collect() };
    let bin = match plan.sim {
        SimMode::InProcess => None,
        SimMode::Auto => sim_bin,
        SimMode::Process => Some(sim_bin.context(
            "--sim process needs the machine-sim binary beside this one: \
             cargo build --release -p machine-sim --bins",
        )?),
    };
    let Some(bin) = bin else {
        let mut config = SimConfig::with_machines(plan.devices, "127.0.0.1:0");
        config.listeners = (0..listeners)
            .map(|l| ListenerConfig {
                address: "127.0.0.1:0".into(),
                machines: share(l),
            })
            .collect();
        let sim = Simulator::start(config).await.context("starting the simulator")?;
        let targets = sim
            .machines()
            .into_iter()
            .map(|m| Target {
                address: m.modbus.first().map(|a| a.to_string()).unwrap_or_default(),
                name: m.name,
                unit_id: m.unit_id,
            })
            .collect();
        return Ok((
            Sim::InProcess(Box::new(sim)),
            targets,
            std::process::id(),
            "in-process",
        ));
    };
    let ports: Vec<u16> = (0..listeners).map(|_| mes_tests::free_port()).collect();
    let mut toml = format!("[generate]\ncount = {}\n", plan.devices);
    for (l, port) in ports.iter().enumerate() {
        let list = share(l)
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            toml,
            "[[listeners]]\naddress = \"127.0.0.1:{port}\"\nmachines = [{list}]\n"
        );
    }
    let config = dir.join("machine-sim.toml");
    std::fs::write(&config, toml)?;
    let child = Command::new(&bin)
        .arg("--config")
        .arg(&config)
        .stdout(std::fs::File::create(dir.join("machine-sim.out"))?)
        .stderr(std::fs::File::create(dir.join("machine-sim.log"))?)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let pid = child.id();
    let sim = Sim::Process(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    for port in &ports {
        while !mes_tests::service_reachable(&format!("127.0.0.1:{port}")) {
            if Instant::now() > deadline {
                sim.stop().await;
                bail!("machine-sim did not listen on 127.0.0.1:{port} within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let targets = names
        .iter()
        .enumerate()
        .map(|(i, name)| Target {
            name: name.clone(),
            unit_id: (i + 1) as u8,
            address: format!("127.0.0.1:{}", ports[i % listeners]),
        })
        .collect();
    Ok((sim, targets, pid, "machine-sim process"))
}

/// The agent's `[[modbus]]` and `[[equipment]]` tables.
fn agent_config(plan: &Plan, targets: &[Target]) -> String {
    let report = plan.report.toml();
    let tag = |name: &str, address: u16| {
        format!(
            "  {{ name = \"{name}\", area = \"holding_register\", address = {address}, type = \"u16\", \
             report = \"{report}\" }},\n"
        )
    };
    let mut tags = String::new();
    for (address, name) in ["state", "fault_code", "good_count", "scrap_count"]
        .iter()
        .enumerate()
    {
        tags.push_str(&tag(name, address as u16));
    }
    for address in 4..plan.registers {
        tags.push_str(&tag(&format!("r{address:03}"), address));
    }
    let mut out = String::new();
    for t in targets {
        let _ = write!(
            out,
            r#"
[[modbus]]
name = "{name}"
address = "{address}"
unit_id = {unit}
timeout_ms = 1000
[[modbus.poll_groups]]
name = "fast"
interval_ms = {interval}
tags = [
{tags}]
[[equipment]]
name = "{name}"
device = "{name}"
offline_after_secs = 0
states = [
  {{ state = "down", tag = "state", op = "eq", value = 3, reason_tag = "fault_code" }},
  {{ state = "setup", tag = "state", op = "eq", value = 2 }},
  {{ state = "running", tag = "state", op = "eq", value = 1 }},
]
counters = {{ good = {{ tag = "good_count", width = 16 }}, scrap = {{ tag = "scrap_count", width = 16 }} }}
"#,
            name = t.name,
            address = t.address,
            unit = t.unit_id,
            interval = plan.interval.as_millis(),
        );
    }
    out
}

/// Counters read at one instant.
struct Snapshot {
    polls: f64,
    requests: f64,
    tags: f64,
    overruns: f64,
    bad: f64,
    seq: u64,
    at: Instant,
}

async fn snapshot(agent: &BenchAgent) -> anyhow::Result<(Snapshot, Metrics)> {
    let at = Instant::now();
    let m = agent.metrics().await?;
    let seq = agent.last_seq().await?;
    let snap = Snapshot {
        polls: m.get("mes_agent_modbus_polls_total"),
        requests: m.get("mes_agent_modbus_requests_total"),
        tags: m.get("mes_agent_modbus_tags_read_total"),
        overruns: m.get("mes_agent_modbus_overruns_total"),
        bad: m.sum("mes_agent_source_bad_inputs_total"),
        seq,
        at,
    };
    Ok((snap, m))
}

async fn measure(
    agent_bin: &Path,
    dir: &Path,
    plan: &Plan,
    targets: &[Target],
    sim_pid: u32,
    sim_where: &'static str,
) -> anyhow::Result<ModbusRun> {
    let agent = BenchAgent::start(agent_bin, &dir.join("agent-modbus"), &agent_config(plan, targets)).await?;
    let ticks = procfs::clock_ticks_per_sec();
    tokio::time::sleep(plan.warmup).await;
    let (before, _) = snapshot(&agent).await?;
    let agent_mark = CpuMark::start(agent.pid());
    let sim_mark = CpuMark::start(sim_pid);
    tokio::time::sleep(plan.window).await;
    let agent_cpu = agent_mark.and_then(|m| m.share_of_core(ticks));
    let sim_cpu = sim_mark.and_then(|m| m.share_of_core(ticks));
    let (after, metrics) = snapshot(&agent).await?;
    let secs = after.at.duration_since(before.at).as_secs_f64();
    let per_sec = |a: f64, b: f64| (a - b) / secs;
    let health = agent.health().await?;
    let mut states: Vec<(String, usize)> = Vec::new();
    if let Some(map) = health["equipment"].as_object() {
        for status in map.values() {
            let state = status["state"].as_str().unwrap_or("unknown").to_string();
            match states.iter_mut().find(|(s, _)| *s == state) {
                Some((_, n)) => *n += 1,
                None => states.push((state, 1)),
            }
        }
    }
    states.sort();
    Ok(ModbusRun {
        window: after.at.duration_since(before.at),
        polls_per_sec: per_sec(after.polls, before.polls),
        requests_per_sec: per_sec(after.requests, before.requests),
        tags_per_sec: per_sec(after.tags, before.tags),
        overruns: after.overruns - before.overruns,
        overruns_total: after.overruns,
        events_per_sec: (after.seq.saturating_sub(before.seq)) as f64 / secs,
        bad_inputs: after.bad - before.bad,
        lateness_p50: metrics.get("mes_agent_modbus_poll_lateness_p50_seconds"),
        lateness_p99: metrics.get("mes_agent_modbus_poll_lateness_p99_seconds"),
        agent_cpu,
        sim_cpu: (sim_cpu, sim_where),
        rss_kb: procfs::status_kb(agent.pid(), "VmRSS"),
        hwm_kb: procfs::status_kb(agent.pid(), "VmHWM"),
        states,
    })
}

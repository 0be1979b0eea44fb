//! The OPC UA benchmark: many monitored items changing at a rate, served
//! by an independent server (asyncua, Python: `tests/python/
//! opcua_bench_server.py`), subscribed by the real agent binary and turned
//! into `process_value_sampled` events in its SQLite buffer. The server
//! counts, itself, the changes it made and the data-change notifications
//! it sent; those are the reference the agent's figures stand next to.
//!
//! ```text
//! cargo build --release -p mes-tests --bin agent --bin bench-opcua && target/release/bench-opcua
//! target/release/bench-opcua --help       # legs, window, agent settings
//! ```
//!
//! Legs (each a fresh server and a fresh agent): 10,000 items changing
//! once a second, 1,000 items changing ten times a second, and both at
//! once. Per leg, after the agent subscribed every item (the server's own
//! count of monitored items) and a warm-up: over the window, changes/s
//! produced and notified by the server, and delivered into the agent's
//! buffer (`/healthz` `buffer.last_seq`); agent CPU as % of one core
//! (`/proc/<pid>/stat`), the server's CPU likewise, agent VmRSS and VmHWM.
//! Then the server stops changing, the agent drains, and every change
//! produced since the start is checked against the samples in the buffer
//! (counted in the SQLite file). Targets: 100% delivered, < 25% of a core,
//! < 50 MB resident.
//!
//! The interpreter is `MES_TEST_PYTHON` (as for the tests), else
//! `python3`; without asyncua the benchmark prints SKIPPED.

#[path = "../bench_machines/agent.rs"]
#[allow(dead_code)]
mod agent;
#[path = "../bench_machines/procfs.rs"]
#[allow(dead_code)]
mod procfs;

use agent::BenchAgent;
use anyhow::{Context, bail};
use clap::Parser;
use mes_tests::python::{Script, python_with, script};
use mes_tests::report::{table, thousands, verdict};
use procfs::CpuMark;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const URI: &str = "urn:mes:bench";

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(
    about = "Benchmarks OPC UA monitored items into a real edge agent's buffer against an asyncua server"
)]
struct Args {
    /// Items of the slow group (leg "slow" and "both").
    #[arg(long, default_value_t = 10_000)]
    slow: usize,
    /// Changes per second of each slow item.
    #[arg(long, default_value_t = 1.0)]
    slow_hz: f64,
    /// Items of the fast group (leg "fast" and "both").
    #[arg(long, default_value_t = 1_000)]
    fast: usize,
    /// Changes per second of each fast item.
    #[arg(long, default_value_t = 10.0)]
    fast_hz: f64,
    /// Legs to run, in order: slow, fast, both.
    #[arg(long, value_delimiter = ',', default_value = "slow,fast,both")]
    legs: Vec<String>,
    /// Seconds of changes before the window.
    #[arg(long, default_value_t = 5)]
    warmup_secs: u64,
    /// Seconds measured.
    #[arg(long, default_value_t = 30)]
    window_secs: u64,
    /// The agent's publishing interval (`publishing_interval_ms`).
    #[arg(long, default_value_t = 1_000)]
    publishing_ms: u64,
    /// The agent's queue per item (`queue_size`): at least the changes of
    /// an item per publishing interval.
    #[arg(long, default_value_t = 20)]
    queue_size: u32,
    /// Tags per `[[equipment]]` (each its process values).
    #[arg(long, default_value_t = 100)]
    per_equipment: usize,
    /// The agent binary (default: `agent` beside this one).
    #[arg(long)]
    agent: Option<PathBuf>,
    /// Keep the agents' directories (configuration, log, buffer).
    #[arg(long)]
    keep: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let agent_bin = match &args.agent {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("agent"),
    };
    if !agent_bin.exists() {
        bail!(
            "{} not found; build with `cargo build --release -p mes-tests --bin agent --bin bench-opcua` or pass --agent",
            agent_bin.display()
        );
    }
    let Some(python) = python_with("asyncua") else {
        println!("SKIPPED: no Python with asyncua (set MES_TEST_PYTHON)");
        return Ok(());
    };
    let rt = tokio::runtime::Runtime::new()?;
    let dir = tempfile::tempdir()?;
    let mut results = Vec::new();
    for leg in &args.legs {
        let (slow, fast) = match leg.as_str() {
            "slow" => (args.slow, 0),
            "fast" => (0, args.fast),
            "both" => (args.slow, args.fast),
            other => bail!("unknown leg {other:?} (slow, fast, both)"),
        };
        let result = rt.block_on(run_leg(
            &args,
            &python,
            &agent_bin,
            &dir.path().join(leg),
            slow,
            fast,
        ))?;
        results.push((leg.clone(), slow, fast, result));
    }
    print_results(&args, &results);
    if args.keep {
        eprintln!("kept {}", dir.keep().display());
    }
    Ok(())
}

/// What one leg measured.
struct LegResult {
    /// Changes/s the server made over the window.
    produced: f64,
    /// Notifications/s the server sent over the window.
    notified: f64,
    /// Samples/s into the agent's buffer over the window.
    delivered: f64,
    /// Changes made from the start to the pause.
    produced_total: u64,
    /// Samples in the buffer from the start, after the drain.
    delivered_total: u64,
    /// Ticks the server started late (it could not keep its rate).
    late_ticks: u64,
    /// Agent CPU over the window, share of one core.
    agent_cpu: Option<f64>,
    /// Server CPU over the window, share of one core.
    server_cpu: Option<f64>,
    /// Agent VmRSS at the window's end and VmHWM, kB.
    rss_kb: Option<u64>,
    hwm_kb: Option<u64>,
    /// Seconds from the first connect to every item monitored.
    subscribe_secs: f64,
}

/// The server's `report` line.
#[derive(Debug, Default, Clone, Copy)]
struct Report {
    produced: u64,
    notified: u64,
    elapsed: f64,
    late: u64,
    items: usize,
}

async fn report(server: &mut Script) -> anyhow::Result<Report> {
    server.send("report").await?;
    loop {
        let line = server.next_line(Duration::from_secs(30)).await?;
        let Some(rest) = line.strip_prefix("report ") else {
            continue;
        };
        let mut out = Report::default();
        for pair in rest.split_whitespace() {
            let (key, value) = pair.split_once('=').context("key=value")?;
            match key {
                "produced" => out.produced = value.parse()?,
                "notified" => out.notified = value.parse()?,
                "elapsed" => out.elapsed = value.parse()?,
                "late" => out.late = value.parse()?,
                "items" => out.items = value.parse()?,
                _ => {}
            }
        }
        return Ok(out);
    }
}

/// The agent's configuration: one server, every item a tag, the tags
/// spread over equipment as process values.
fn agent_config(args: &Args, port: u16, slow: usize, fast: usize) -> String {
    let names: Vec<(String, String)> = (0..slow)
        .map(|i| (format!("s{i}"), format!("S{i}")))
        .chain((0..fast).map(|i| (format!("f{i}"), format!("F{i}"))))
        .collect();
    let mut out = format!(
        "[[opcua]]\nname = \"bench\"\nendpoint = \"opc.tcp://127.0.0.1:{port}/\"\n\
         publishing_interval_ms = {}\nqueue_size = {}\ntags = [\n",
        args.publishing_ms, args.queue_size
    );
    for (tag, node) in &names {
        out.push_str(&format!(
            "  {{ name = \"{tag}\", node = \"nsu={URI};s=Bench.{node}\" }},\n"
        ));
    }
    out.push_str("]\n");
    for (n, chunk) in names.chunks(args.per_equipment.max(1)).enumerate() {
        let values: Vec<String> = chunk.iter().map(|(t, _)| format!("\"{t}\"")).collect();
        out.push_str(&format!(
            "[[equipment]]\nname = \"m{n}\"\ndevice = \"bench\"\noffline_after_secs = 0\nvalues = [{}]\n",
            values.join(", ")
        ));
    }
    out
}

async fn run_leg(
    args: &Args,
    python: &Path,
    agent_bin: &Path,
    dir: &Path,
    slow: usize,
    fast: usize,
) -> anyhow::Result<LegResult> {
    let items = slow + fast;
    eprintln!(
        "leg: {slow} items at {}/s, {fast} at {}/s",
        args.slow_hz, args.fast_hz
    );
    let port = mes_tests::free_port();
    let mut server = Script::start(
        &python.to_path_buf(),
        script("opcua_bench_server.py"),
        &[
            &port.to_string(),
            URI,
            &slow.to_string(),
            &args.slow_hz.to_string(),
            &fast.to_string(),
            &args.fast_hz.to_string(),
        ],
    )
    .await?;
    let server_pid = server.pid().context("the server's pid")?;
    let connected = Instant::now();
    let agent = BenchAgent::start(agent_bin, dir, &agent_config(args, port, slow, fast)).await?;
    // Subscribed once the server holds a monitored item per tag and the
    // first read of every tag is in the buffer.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let monitored = report(&mut server).await?.items;
        if monitored >= items && agent.last_seq().await? >= items as u64 {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "after 300 s the server monitors {monitored} of {items} items; see {}",
                agent.log().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let subscribe_secs = connected.elapsed().as_secs_f64();
    let base = quiet(&agent).await?;
    // The first read and each monitored item's first notification (the
    // value when it was created) are in the buffer before any change.
    let samples_before = samples_in_buffer(&dir.join("buffer.db"))?;
    server.command("start", "ok").await?;
    tokio::time::sleep(Duration::from_secs(args.warmup_secs)).await;
    let ticks = procfs::clock_ticks_per_sec();
    let (agent_mark, server_mark) = (CpuMark::start(agent.pid()), CpuMark::start(server_pid));
    let (before, seq_before, started) = (
        report(&mut server).await?,
        agent.last_seq().await?,
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(args.window_secs)).await;
    let (after, seq_after) = (report(&mut server).await?, agent.last_seq().await?);
    let window = started.elapsed().as_secs_f64();
    let agent_cpu = agent_mark.and_then(|m| m.share_of_core(ticks));
    let server_cpu = server_mark.and_then(|m| m.share_of_core(ticks));
    let rss_kb = procfs::status_kb(agent.pid(), "VmRSS");
    server.command("pause", "ok").await?;
    let paused = report(&mut server).await?;
    // Every change since the start is a sample after `base`.
    let drained = drain(&agent, base + paused.produced).await?;
    let hwm_kb = procfs::status_kb(agent.pid(), "VmHWM");
    let samples = samples_in_buffer(&dir.join("buffer.db"))?;
    eprintln!(
        "  buffer: seq {base} -> {drained}; samples before the changes {samples_before} (first read and first notification of {items} items), after {samples}"
    );
    server.command("stop", "stopped").await?;
    let server_window = (after.elapsed - before.elapsed).max(1e-9);
    Ok(LegResult {
        produced: (after.produced - before.produced) as f64 / server_window,
        notified: (after.notified - before.notified) as f64 / server_window,
        delivered: (seq_after - seq_before) as f64 / window,
        produced_total: paused.produced,
        delivered_total: samples.saturating_sub(samples_before),
        late_ticks: after.late - before.late,
        agent_cpu,
        server_cpu,
        rss_kb,
        hwm_kb,
        subscribe_secs,
    })
}

/// Waits until the buffer stops growing for two seconds; its last seq.
async fn quiet(agent: &BenchAgent) -> anyhow::Result<u64> {
    let mut seq = agent.last_seq().await?;
    let mut still = 0;
    while still < 4 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = agent.last_seq().await?;
        still = if now == seq { still + 1 } else { 0 };
        seq = now;
    }
    Ok(seq)
}

/// Waits until the buffer reaches `target`, or grew for ten seconds no
/// more (a commit can take seconds on a busy disk: two are not enough to
/// call it drained), or two minutes; its last seq.
async fn drain(agent: &BenchAgent, target: u64) -> anyhow::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut seq, mut grew) = (agent.last_seq().await?, Instant::now());
    while seq < target && grew.elapsed() < Duration::from_secs(10) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = agent.last_seq().await?;
        if now != seq {
            (seq, grew) = (now, Instant::now());
        }
    }
    Ok(seq)
}

/// Process-value samples in the buffer file (read-only, beside the
/// running agent).
fn samples_in_buffer(path: &Path) -> anyhow::Result<u64> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(
        conn.query_row("SELECT count(*) FROM events WHERE droppable = 1", [], |r| {
            r.get(0)
        })?,
    )
}

fn print_results(args: &Args, results: &[(String, usize, usize, LegResult)]) {
    println!(
        "\nOPC UA into the agent's buffer: publishing {} ms, queue {}, {} tags per equipment, window {} s after {} s warm-up",
        args.publishing_ms, args.queue_size, args.per_equipment, args.window_secs, args.warmup_secs
    );
    let columns = [
        ("leg", false),
        ("server changes/s", true),
        ("server notified/s", true),
        ("agent delivered/s", true),
        ("delivered / produced (all)", true),
        ("agent CPU", true),
        ("agent RSS / peak", true),
        ("server CPU", true),
        ("result", false),
    ];
    let pct = |c: Option<f64>| c.map_or_else(|| "n/a".into(), |c| format!("{:.0}%", c * 100.0));
    let mb =
        |kb: Option<u64>| kb.map_or_else(|| "n/a".into(), |kb| format!("{:.1}", kb as f64 * 1024.0 / 1e6));
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|(leg, slow, fast, r)| {
            let all = r.delivered_total == r.produced_total;
            let cpu_ok = r.agent_cpu.map(|c| c < 0.25);
            let mem_ok = r.hwm_kb.map(|kb| (kb as f64 * 1024.0) < 50e6);
            let pass = match (cpu_ok, mem_ok) {
                (Some(c), Some(m)) => Some(all && c && m),
                _ => None,
            };
            vec![
                format!(
                    "{leg} ({slow} at {}/s + {fast} at {}/s)",
                    args.slow_hz, args.fast_hz
                ),
                thousands(r.produced),
                thousands(r.notified),
                thousands(r.delivered),
                format!("{} / {}", r.delivered_total, r.produced_total),
                pct(r.agent_cpu),
                format!("{} / {} MB", mb(r.rss_kb), mb(r.hwm_kb)),
                pct(r.server_cpu),
                verdict(pass).to_string(),
            ]
        })
        .collect();
    print!("{}", table(&columns, &rows));
    for (leg, slow, fast, r) in results {
        let ideal = *slow as f64 * args.slow_hz + *fast as f64 * args.fast_hz;
        println!(
            "{leg}: the server's target {} changes/s, achieved {} ({} ticks late); every item monitored {:.1} s after the agent started",
            thousands(ideal),
            thousands(r.produced),
            r.late_ticks,
            r.subscribe_secs
        );
    }
    println!("targets: 100% delivered, agent CPU < 25% of one core, agent peak RSS < 50 MB");
}

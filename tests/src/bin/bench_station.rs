//! The station benchmark: how long a scan takes from arriving at the agent's
//! TCP scanner port to its answer, the step's event durably committed, while
//! machines feed the agent 5,000 events/s; printed next to references
//! measured in the same run (the same scans with no load, and a raw durable
//! buffer append in this process).
//!
//! ```text
//! cargo build --release -p mes-tests --bins
//! cargo run --release -p mes-tests --bin bench-station
//! ```
//!
//! The scans are badge scans that clock worker W1 in and out in turn (each
//! an accepted step: one event plus the floor state in one transaction).
//! The load is `parts_counted` events posted to the agent's local intake
//! (`POST /local/v1/events`) in batches every 10 ms, each request answered
//! only after commit, while the agent syncs to the hub. Target: p99 < 20 ms.

use anyhow::Context;
use clap::Parser;
use edge_agent::buffer::{Buffer, BufferSettings};
use mes_protocols::event::PartsCounted;
use mes_protocols::{Code, EventBody, EventDraft, Source, Timestamp};
use mes_tests::report::{table, thousands, verdict};
use mes_tests::stations::{Scanner, seed_master_data, station_toml, wait_for_master_data};
use mes_tests::{Binaries, free_port, sample_event, start_rig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(about = "Benchmarks scan-to-answer latency at a station under machine load")]
struct Args {
    /// Scans measured per configuration (after 50 warm-up scans).
    #[arg(long, default_value_t = 2000)]
    scans: usize,
    /// Background machine events per second.
    #[arg(long, default_value_t = 5000)]
    load: u64,
    /// Target p99 in milliseconds.
    #[arg(long, default_value_t = 20.0)]
    target_p99_ms: f64,
}

/// p50, p99 and max of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).saturating_sub(1);
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    (at(0.50), at(0.99), at(1.0))
}

/// Times `n` badge scans on the scanner port, each waited for.
async fn scans(scanner: &mut Scanner, n: usize) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let answer = scanner.scan("B-0001").await?;
        out.push(start.elapsed());
        anyhow::ensure!(answer.starts_with("OK "), "scan rejected: {answer}");
    }
    Ok(out)
}

/// Times `n` single-event durable appends to a fresh buffer in this process.
async fn raw_appends(n: usize) -> anyhow::Result<Vec<Duration>> {
    let dir = tempfile::tempdir()?;
    let (buffer, writer) = Buffer::open(BufferSettings::unbounded(dir.path().join("reference.db")))?;
    let equipment = Code::parse("press-1").map_err(anyhow::Error::msg)?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let draft = EventDraft::new(
            Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
            Source::Device(equipment.clone()),
            EventBody::PartsCounted(PartsCounted {
                equipment: equipment.clone(),
                good: 1,
                scrap: 0,
                good_total: i + 1,
                scrap_total: 0,
            }),
        );
        let start = Instant::now();
        buffer.append(&[draft]).await?;
        out.push(start.elapsed());
    }
    drop(buffer);
    tokio::task::spawn_blocking(move || writer.join()).await?;
    Ok(out)
}

/// Posts `per_sec` events/s to the agent's intake until `stop`; counts the
/// events acknowledged as committed.
async fn machine_load(agent: String, per_sec: u64, committed: Arc<AtomicU64>, stop: Arc<AtomicU64>) {
    const TICK: Duration = Duration::from_millis(10);
    let per_tick = (per_sec / 100).max(1);
    let client = reqwest::Client::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut n = 0u64;
    while stop.load(Ordering::Relaxed) == 0 {
        tick.tick().await;
        let events: Vec<_> = (0..per_tick).map(|i| sample_event(n + i).1).collect();
        n += per_tick;
        let (client, agent, committed) = (client.clone(), agent.clone(), committed.clone());
        // Each batch on its own task: a slow commit never delays the pacing.
        tokio::spawn(async move {
            if let Ok(ids) = mes_tests::post_events(&client, &agent, events).await {
                committed.fetch_add(ids.len() as u64, Ordering::Relaxed);
            }
        });
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bins = Binaries::beside_current_exe()?;
    let port = free_port();
    let rig = start_rig(&bins, &station_toml(Some(port)))
        .await
        .context("starting hub and agent")?;
    seed_master_data(&rig.hub.url(), &rig.creds.api_token).await?;
    wait_for_master_data(&rig.agent.url()).await;
    let mut scanner = Scanner::connect(port).await?;
    scans(&mut scanner, 50).await?;

    let reference = percentiles(raw_appends(args.scans).await?);
    let idle = percentiles(scans(&mut scanner, args.scans).await?);

    let committed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicU64::new(0));
    let load = tokio::spawn(machine_load(
        rig.agent.url(),
        args.load,
        committed.clone(),
        stop.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(1)).await; // the load reaches its rate
    let before = committed.load(Ordering::Relaxed);
    let started = Instant::now();
    let loaded = percentiles(scans(&mut scanner, args.scans).await?);
    let rate = (committed.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
    stop.store(1, Ordering::Relaxed);
    load.await?;

    let ms = |v: f64| format!("{v:.2}");
    let row = |name: &str, (p50, p99, max): (f64, f64, f64), pass: Option<bool>| {
        vec![
            name.to_string(),
            ms(p50),
            ms(p99),
            ms(max),
            verdict(pass).to_string(),
        ]
    };
    let rows = vec![
        row(
            "reference: raw buffer append, 1 event, in process",
            reference,
            None,
        ),
        row("scan -> answer, committed, no load", idle, None),
        row(
            &format!("scan -> answer, committed, {} machine events/s", thousands(rate)),
            loaded,
            Some(loaded.1 < args.target_p99_ms),
        ),
    ];
    println!(
        "\nStation scans ({} per row; TCP scanner port; target p99 < {} ms)\n",
        args.scans, args.target_p99_ms
    );
    print!(
        "{}",
        table(
            &[
                ("figure", false),
                ("p50 ms", true),
                ("p99 ms", true),
                ("max ms", true),
                ("result", false)
            ],
            &rows
        )
    );
    println!(
        "\nload: asked {} events/s, committed {} events/s while the scans ran",
        thousands(args.load as f64),
        thousands(rate)
    );
    Ok(())
}

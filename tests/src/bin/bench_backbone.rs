//! The backbone benchmark: durable buffer appends, end-to-end sync from an
//! agent's buffer into the hub's store, and the agent's memory while it
//! syncs, each printed next to a reference measured in the same run, so the
//! ratio means something on a noisy, shared machine.
//!
//! Build the hub and agent binaries beside this one, in release, then run:
//!
//! ```text
//! cargo build --release -p mes-tests --bins
//! cargo run --release -p mes-tests --bin bench-backbone
//! cargo run --release -p mes-tests --bin bench-backbone -- --help     # flags
//! ```
//!
//! (`cargo run --bin bench-backbone` alone does not rebuild `hub` and
//! `agent`; after changing product code, run the `cargo build` line again.)
//!
//! Figures and their references:
//! 1. `Buffer::append` from 8, 32 and 128 concurrent tokio tasks (single
//!    events and small batches) on a real file, against rusqlite inserting
//!    the same rows into the same table with the same pragmas (WAL,
//!    `synchronous=FULL`) in large transactions. Target: ≥ 50% of raw.
//! 2. Events per second from a prefilled agent buffer (filled while no hub
//!    runs) until the real hub's SQLite holds every event, against a plain
//!    INSERT of the same rows into the hub's table. Target: ≥ 50,000/s.
//! 3. The agent's resident memory during that sync (VmRSS sampled, VmHWM at
//!    the end). Target: under 30 MB.
//!
//! Below the table it prints where the time goes: the group-commit size the
//! buffer reached (and raw SQLite at that same commit size), and the sync
//! pipeline run stage by stage in one process.

#[path = "../bench/mod.rs"]
mod bench;

use anyhow::Context;
use bench::appends;
use bench::stages::{self, StageTimes};
use bench::sync::{self, SyncRun};
use clap::{Parser, ValueEnum};
use mes_tests::Binaries;
use mes_tests::report::{table, thousands, verdict};
use std::path::Path;
use std::time::Duration;

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(about = "Benchmarks the buffer, the sync path and the agent's memory")]
struct Args {
    /// Concurrent producer tasks for the append benchmark.
    #[arg(long, value_delimiter = ',', default_value = "8,32,128")]
    producers: Vec<usize>,
    /// Events per append request (each producer count runs with each).
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    append_batch: Vec<usize>,
    /// Seconds each append configuration runs.
    #[arg(long, default_value_t = 3.0)]
    append_secs: f64,
    /// Rows the raw SQLite ceiling inserts (measured right before each append run).
    #[arg(long, default_value_t = 100_000)]
    ceiling_rows: u64,
    /// Rows per transaction of the raw SQLite ceiling.
    #[arg(long, default_value_t = 10_000)]
    ceiling_txn: usize,
    /// Events prefilled into the agent's buffer and synced end to end.
    #[arg(long, default_value_t = 200_000)]
    events: u64,
    /// The agent's `hub.batch_size` (default: the agent's own default).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Give up on the end-to-end sync after this many seconds.
    #[arg(long, default_value_t = 180)]
    deadline_secs: u64,
    /// Which parts to run.
    #[arg(long, value_delimiter = ',', default_value = "appends,sync")]
    phases: Vec<Phase>,
    /// Keep the run directory (databases, hub and agent logs) and print it.
    #[arg(long)]
    keep: bool,
}

/// A part of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Phase {
    /// Buffer appends against the raw SQLite ceiling.
    Appends,
    /// End-to-end sync, the stage breakdown and the agent's memory.
    Sync,
}

/// Share of the raw ceiling the buffer must reach.
const APPEND_TARGET: f64 = 0.5;
/// End-to-end events per second to reach.
const SYNC_TARGET: f64 = 50_000.0;
/// Most resident memory the agent may use, in bytes (decimal MB).
const RSS_TARGET_BYTES: f64 = 30e6;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bins = if args.phases.contains(&Phase::Sync) {
        Some(binaries()?)
    } else {
        None
    };
    let rt = tokio::runtime::Runtime::new()?;
    let dir = tempfile::Builder::new().prefix("bench-backbone-").tempdir()?;
    println!("bench-backbone: {} CPUs, load {}", cpus(), loadavg());
    let mut table = Vec::new();
    let mut notes = Vec::new();
    if args.phases.contains(&Phase::Appends) {
        append_phase(&args, &rt, dir.path(), &mut table, &mut notes)?;
    }
    if let Some(bins) = &bins {
        sync_phase(&args, &rt, bins, dir.path(), &mut table, &mut notes)?;
    }
    print_table(&table);
    for note in notes {
        println!("{note}");
    }
    println!("\nload at the end: {}", loadavg());
    if args.keep {
        println!("run directory kept: {}", dir.keep().display());
    }
    Ok(())
}

/// The sibling binaries, or an error that says how to build them.
fn binaries() -> anyhow::Result<Binaries> {
    let bins = Binaries::beside_current_exe().context(
        "the `hub` and `agent` binaries must be built beside this benchmark, in the same profile: \
         run `cargo build --release -p mes-tests --bins` first",
    )?;
    for path in [&bins.hub, &bins.agent] {
        let age = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .map_or_else(|| "?".into(), |d| format!("{} min", d.as_secs() / 60));
        println!("using {} (built {age} ago)", path.display());
    }
    Ok(bins)
}

fn append_phase(
    args: &Args,
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    table: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> anyhow::Result<()> {
    let record = bench::draft(0).to_record_json();
    let raw = |txn_rows: usize, max_rows: u64, max_time: Duration| {
        appends::raw_insert(&dir.join("raw.db"), &record, txn_rows, max_rows, max_time)
    };
    notes.push(format!(
        "\nWhere the append time goes (record {} bytes; each buffer run is preceded by its raw ceiling, \
         {} rows in transactions of {}):",
        record.len(),
        thousands(args.ceiling_rows as f64),
        thousands(args.ceiling_txn as f64)
    ));
    notes.push(format!(
        "  {:<28} {:>12} {:>10} {:>10} {:>22} {:>8}",
        "producers x events/append",
        "buffer ev/s",
        "ev/commit",
        "ms/commit",
        "raw at same txn size",
        "buf/raw"
    ));
    for &producers in &args.producers {
        for &batch in &args.append_batch {
            // The reference right before the run it is compared with: the
            // machine is shared, and its speed drifts within a minute.
            let ceiling = raw(args.ceiling_txn, args.ceiling_rows, Duration::from_secs(30))?.rate();
            let run = rt.block_on(appends::buffer_appends(
                dir,
                producers,
                batch,
                Duration::from_secs_f64(args.append_secs),
            ))?;
            eprintln!(
                "buffer, {producers} producers x {batch}: {:.0} events/s (raw ceiling {ceiling:.0})",
                run.rate()
            );
            let ratio = run.rate() / ceiling;
            table.push(Row {
                figure: format!("buffer appends, {producers} producers x {batch} ev"),
                value: format!("{} ev/s", thousands(run.rate())),
                reference: format!("raw SQLite {} ev/s", thousands(ceiling)),
                ratio: percent(ratio),
                target: format!(">= {}", percent(APPEND_TARGET)),
                pass: Some(ratio >= APPEND_TARGET),
            });
            // Raw SQLite committing as often as the buffer did: what the
            // buffer costs beyond its fsyncs.
            let txn = run.events_per_commit().round().max(1.0) as usize;
            let same = raw(txn, u64::MAX, Duration::from_secs(1))?;
            notes.push(format!(
                "  {:<28} {:>12} {:>10.1} {:>10.2} {:>22} {:>8}",
                format!("{producers} x {batch}"),
                thousands(run.rate()),
                run.events_per_commit(),
                run.elapsed.as_secs_f64() * 1000.0 / run.commits.max(1) as f64,
                format!("{} ev/s", thousands(same.rate())),
                percent(run.rate() / same.rate()),
            ));
        }
    }
    Ok(())
}

fn sync_phase(
    args: &Args,
    rt: &tokio::runtime::Runtime,
    bins: &Binaries,
    dir: &Path,
    table: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> anyhow::Result<()> {
    let batch_size = args
        .batch_size
        .unwrap_or_else(|| edge_agent::hub::HubConfig::default().batch_size);
    let mut pair = sync::prepare(bins, &dir.join("e2e"), args.batch_size)?;
    let buffer_file = pair.agent.buffer_path();
    let prefill = rt.block_on(sync::prefill(&buffer_file, args.events))?;
    eprintln!(
        "prefilled {} events in {:.2} s",
        args.events,
        prefill.as_secs_f64()
    );

    // The breakdown runs on a copy, so the agent still finds every event.
    let stages_dir = dir.join("stages");
    std::fs::create_dir_all(&stages_dir)?;
    let copy = stages_dir.join("buffer.db");
    std::fs::copy(&buffer_file, &copy).context("copying the prefilled buffer")?;
    let stage_times = stages::run(rt, &copy, &stages_dir, batch_size)?;
    eprintln!(
        "in-process pipeline: {:.0} events/s",
        bench::rate(stage_times.events, stage_times.pipeline())
    );

    let run = rt.block_on(sync::run(
        &mut pair,
        args.events,
        Duration::from_secs(args.deadline_secs),
    ))?;
    eprintln!("end to end: {:.0} events/s", run.rate());

    let raw_hub = bench::rate(stage_times.events, stage_times.raw_hub_insert);
    table.push(Row {
        figure: format!("end-to-end agent->hub, {} ev", thousands(args.events as f64)),
        value: format!("{} ev/s", thousands(run.rate())),
        reference: format!("raw hub INSERT {} ev/s", thousands(raw_hub)),
        ratio: percent(run.rate() / raw_hub),
        target: format!(">= {} ev/s", thousands(SYNC_TARGET)),
        pass: Some(run.rate() >= SYNC_TARGET),
    });
    let mb = |kb: u64| kb as f64 * 1024.0 / 1e6;
    let hwm = run.hwm_kb.or(run.peak_sample_kb());
    table.push(Row {
        figure: "agent peak RSS while syncing (VmHWM)".into(),
        value: hwm.map_or_else(|| "n/a".into(), |kb| format!("{:.1} MB", mb(kb))),
        reference: run.steady_rss_kb().map_or_else(
            || "steady n/a".into(),
            |kb| format!("steady (median) {:.1} MB", mb(kb)),
        ),
        ratio: "-".into(),
        target: format!("< {:.0} MB", RSS_TARGET_BYTES / 1e6),
        pass: hwm.map(|kb| kb as f64 * 1024.0 < RSS_TARGET_BYTES),
    });
    notes.extend(sync_notes(args, batch_size, prefill, &stage_times, &run));
    Ok(())
}

fn sync_notes(
    args: &Args,
    batch_size: usize,
    prefill: Duration,
    t: &StageTimes,
    run: &SyncRun,
) -> Vec<String> {
    let mb = |kb: u64| kb as f64 * 1024.0 / 1e6;
    let wall = run.elapsed.as_secs_f64();
    let cpu = |c: Option<f64>| {
        c.map_or_else(
            || "n/a".into(),
            |c| format!("{c:.2} s ({:.0}% of one core)", c / wall * 100.0),
        )
    };
    let mut out = vec![
        format!(
            "\nEnd-to-end details ({} events, batch_size {batch_size}, {} batches):",
            thousands(args.events as f64),
            t.batches
        ),
        format!(
            "  prefill through Buffer::append (1000/request): {:.2} s, {} ev/s",
            prefill.as_secs_f64(),
            thousands(bench::rate(args.events, prefill))
        ),
        format!(
            "  agent healthy after {:.0} ms, first event at the hub after {:.0} ms, all after {:.2} s",
            run.agent_ready.as_secs_f64() * 1000.0,
            run.first_row.as_secs_f64() * 1000.0,
            wall
        ),
        format!(
            "  steady rate (10%..90% of the events): {} ev/s",
            thousands(run.steady_rate)
        ),
        format!(
            "  CPU during the sync: agent {}, hub {}",
            cpu(run.agent_cpu),
            cpu(run.hub_cpu)
        ),
        format!(
            "  agent memory: VmHWM {}, largest VmRSS sample {}, median while syncing {} ({} samples)",
            run.hwm_kb
                .map_or_else(|| "n/a".into(), |kb| format!("{:.1} MB", mb(kb))),
            run.peak_sample_kb()
                .map_or_else(|| "n/a".into(), |kb| format!("{:.1} MB", mb(kb))),
            run.steady_rss_kb()
                .map_or_else(|| "n/a".into(), |kb| format!("{:.1} MB", mb(kb))),
            run.rss.rss_kb.len()
        ),
        format!(
            "\nWhere the sync time goes: the same pipeline in one process, stage by stage, no HTTP \
             ({} JSON bytes/event, {} gzip bytes/event):",
            t.json_bytes / t.events.max(1),
            t.gzip_bytes / t.events.max(1)
        ),
        format!(
            "  {:<36} {:>10} {:>14} {:>7}",
            "stage", "ms/batch", "ev/s alone", "share"
        ),
    ];
    let pipeline = t.pipeline();
    for (name, d) in t.named() {
        out.push(format!(
            "  {name:<36} {:>10.2} {:>14} {:>7}",
            d.as_secs_f64() * 1000.0 / t.batches.max(1) as f64,
            thousands(bench::rate(t.events, d)),
            percent(d.as_secs_f64() / pipeline.as_secs_f64())
        ));
    }
    out.push(format!(
        "  {:<36} {:>10.2} {:>14}",
        "sum: one batch after the other",
        pipeline.as_secs_f64() * 1000.0 / t.batches.max(1) as f64,
        thousands(bench::rate(t.events, pipeline))
    ));
    out.push(format!(
        "  {:<36} {:>10.2} {:>14}",
        "end to end through HTTP (measured)",
        run.elapsed.as_secs_f64() * 1000.0 / t.batches.max(1) as f64,
        thousands(run.rate())
    ));
    out.push(format!(
        "  {:<36} {:>10.2} {:>14}",
        "reference: raw hub INSERT",
        t.raw_hub_insert.as_secs_f64() * 1000.0 / t.batches.max(1) as f64,
        thousands(bench::rate(t.events, t.raw_hub_insert))
    ));
    out
}

/// One line of the result table.
struct Row {
    figure: String,
    value: String,
    reference: String,
    ratio: String,
    target: String,
    /// None when the figure could not be measured.
    pass: Option<bool>,
}

fn print_table(rows: &[Row]) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let result = if r.pass.is_none() { "n/a" } else { verdict(r.pass) };
            vec![
                r.figure.clone(),
                r.value.clone(),
                r.reference.clone(),
                r.ratio.clone(),
                r.target.clone(),
                result.into(),
            ]
        })
        .collect();
    let columns = [
        ("figure", false),
        ("value", true),
        ("reference (same run)", false),
        ("ratio", true),
        ("target", false),
        ("result", false),
    ];
    println!();
    print!("{}", table(&columns, &cells));
}

fn percent(share: f64) -> String {
    if share.is_finite() {
        format!("{:.1}%", share * 100.0)
    } else {
        "n/a".into()
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

//! End-to-end sync through the real binaries: a buffer file prefilled while
//! no hub runs, then the hub and the agent started as processes, timed until
//! the hub's database holds every event, with the agent's memory sampled
//! throughout.

use super::procfs::{self, RssSampler, Samples};
use super::{draft, rate};
use anyhow::{Context, bail};
use edge_agent::buffer::{Buffer, BufferSettings};
use mes_tests::{AgentProcess, Binaries, HubProcess, hub_event_rows};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::{Duration, Instant};

/// A provisioned hub (not started) and an agent configured for it.
pub struct Pair {
    /// The hub.
    pub hub: HubProcess,
    /// The agent; its buffer file is [`AgentProcess::buffer_path`].
    pub agent: AgentProcess,
    hub_config: String,
    agent_config: String,
}

/// Creates the hub's database and credentials and the agent's config, in
/// `dir`. `batch_size` overrides the agent's `hub.batch_size` default.
pub fn prepare(bins: &Binaries, dir: &Path, batch_size: Option<usize>) -> anyhow::Result<Pair> {
    let hub_dir = dir.join("hub");
    let agent_dir = dir.join("agent");
    std::fs::create_dir_all(&hub_dir)?;
    std::fs::create_dir_all(&agent_dir)?;
    let hub = HubProcess::new(&bins.hub, &hub_dir)?;
    let creds = hub.provision("bench", "plant-1")?;
    let agent = AgentProcess::new(&bins.agent, &agent_dir, &hub.url(), &creds, "")?;
    let agent_config = agent_dir.join("agent.toml");
    if let Some(size) = batch_size {
        // The harness writes `[hub]` itself; a second `[hub]` table would be
        // invalid TOML, so the key goes into the existing one.
        let text = std::fs::read_to_string(&agent_config)?;
        std::fs::write(
            &agent_config,
            text.replacen("[hub]\n", &format!("[hub]\nbatch_size = {size}\n"), 1),
        )?;
    }
    Ok(Pair {
        hub,
        agent,
        hub_config: hub_dir.join("hub.toml").display().to_string(),
        agent_config: agent_config.display().to_string(),
    })
}

/// Appends `n` events to the buffer file at `path` in requests of 1000, as
/// producers would while the hub is unreachable. Returns the time taken.
pub async fn prefill(path: &Path, n: u64) -> anyhow::Result<Duration> {
    let (buffer, writer) = Buffer::open(BufferSettings::unbounded(path.to_path_buf()))?;
    let started = Instant::now();
    let mut next = 0;
    while next < n {
        let drafts: Vec<_> = (next..(next + 1000).min(n)).map(draft).collect();
        next += drafts.len() as u64;
        buffer.append(&drafts).await?;
    }
    let elapsed = started.elapsed();
    drop(buffer);
    tokio::task::spawn_blocking(move || writer.join()).await?;
    Ok(elapsed)
}

/// What the end-to-end run measured.
#[derive(Debug, Clone)]
pub struct SyncRun {
    /// Events expected and found at the hub.
    pub events: u64,
    /// From starting the agent to the hub holding every event.
    pub elapsed: Duration,
    /// From starting the agent to its `/healthz` answering.
    pub agent_ready: Duration,
    /// From starting the agent to the first event at the hub.
    pub first_row: Duration,
    /// Rate between 10% and 90% of the events arriving (no startup, no tail).
    pub steady_rate: f64,
    /// The agent's VmRSS over time.
    pub rss: Samples,
    /// The agent's VmHWM (peak resident set) when the sync was done, kB.
    pub hwm_kb: Option<u64>,
    /// CPU seconds the agent used, start to finish.
    pub agent_cpu: Option<f64>,
    /// CPU seconds the hub used during the sync.
    pub hub_cpu: Option<f64>,
}

impl SyncRun {
    /// Events per second, agent start to last event stored.
    pub fn rate(&self) -> f64 {
        rate(self.events, self.elapsed)
    }

    /// Median VmRSS (kB) while events were flowing.
    pub fn steady_rss_kb(&self) -> Option<u64> {
        let mut during: Vec<u64> = self
            .rss
            .rss_kb
            .iter()
            .filter(|(t, _)| *t >= self.first_row && *t <= self.elapsed)
            .map(|(_, kb)| *kb)
            .collect();
        during.sort_unstable();
        during.get(during.len() / 2).copied()
    }

    /// Largest VmRSS sample (kB).
    pub fn peak_sample_kb(&self) -> Option<u64> {
        self.rss.rss_kb.iter().map(|(_, kb)| *kb).max()
    }
}

/// Starts the hub, then the agent, and waits (up to `deadline`) until the
/// hub's database holds `n` events.
pub async fn run(pair: &mut Pair, n: u64, deadline: Duration) -> anyhow::Result<SyncRun> {
    pair.hub.start().await.context("starting the hub")?;
    let hub_pid = procfs::find_pid(&pair.hub_config);
    let hub_cpu_before = hub_pid.and_then(procfs::cpu_secs);
    let sampler = RssSampler::start(pair.agent_config.clone(), Duration::from_millis(25));
    let started = Instant::now();
    pair.agent.start().await.context("starting the agent")?;
    let agent_ready = started.elapsed();
    let db = pair.hub.db_path();
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // Row ids are the hub's arrival order and nothing is deleted, so the
    // largest id is the row count without a full scan on every poll.
    let stored = || -> rusqlite::Result<u64> {
        conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))
    };
    let mut progress: Vec<(Duration, u64)> = Vec::new();
    let elapsed = loop {
        let rows = stored()?;
        let now = started.elapsed();
        progress.push((now, rows));
        if rows >= n {
            break now;
        }
        if now > deadline {
            sampler.finish();
            bail!("after {now:?} the hub holds {rows} of {n} events (see the logs in the run directory)");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let agent_pid = procfs::find_pid(&pair.agent_config);
    let hwm_kb = agent_pid.and_then(|p| procfs::status_kb(p, "VmHWM"));
    let agent_cpu = agent_pid.and_then(procfs::cpu_secs);
    let hub_cpu = hub_pid
        .and_then(procfs::cpu_secs)
        .zip(hub_cpu_before)
        .map(|(after, before)| after - before);
    let rss = sampler.finish();
    let total = hub_event_rows(&db)?;
    if total != n {
        bail!("the hub holds {total} event rows, expected exactly {n}");
    }
    pair.agent.stop();
    pair.hub.stop();
    let at = |share: f64| {
        progress
            .iter()
            .find(|(_, rows)| *rows as f64 >= share * n as f64)
            .map_or(elapsed, |(t, _)| *t)
    };
    let first_row = progress
        .iter()
        .find(|(_, rows)| *rows > 0)
        .map_or(elapsed, |(t, _)| *t);
    Ok(SyncRun {
        events: n,
        elapsed,
        agent_ready,
        first_row,
        steady_rate: rate(n * 8 / 10, at(0.9).saturating_sub(at(0.1))),
        rss,
        hwm_kb,
        agent_cpu,
        hub_cpu,
    })
}

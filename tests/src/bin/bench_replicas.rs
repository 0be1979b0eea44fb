//! bench-replicas: end-to-end ingest rate and projection lag with 1, 2
//! and 3 hub replicas on one PostgreSQL, in one run.
//!
//! ```text
//! cargo build --release -p mes-tests --bins
//! target/release/bench-replicas                        # 1,2,3 replicas, 200 sites x 50 ev/s, 20 s each
//! target/release/bench-replicas --replicas 1,3 --seconds 10
//! ```
//!
//! Per replica count, on a fresh database of the server at
//! `MES_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`):
//! `--tenants` tenants with `--sites` sites each and one agent per site
//! (the ledger benchmark's master data and events: `material_consumed` /
//! `output_reported`, one ledger row each); the replicas (release hub
//! binaries, `[cluster]` leases) behind HAProxy when it is installed
//! (round-robin on the client otherwise); every agent posts a batch of
//! `--rate` × `--every-ms` events every `--every-ms` (open loop: a late
//! batch goes at once) through the ingest API with its token, for
//! `--seconds`. Figures: events offered and acknowledged per second, a
//! post's latency (p50/p99), the projection's lag (per tenant every 200 ms:
//! how long the oldest event not yet projected has been stored; p50/p99
//! over tenants and samples), the time to catch up after the load, and a
//! profile: the cores the hubs, PostgreSQL and the simulated agents
//! (this process) used over the load (`/proc`), and what PostgreSQL's
//! sessions waited on (`pg_stat_activity` sampled every 100 ms).

#[path = "../bench_ledger/mod.rs"]
#[allow(dead_code)]
mod bench_ledger;

use anyhow::Context;
use bench_ledger::seed::{self, Batches, Events, Shape};
use clap::Parser;
use cloud_hub::store::{AgentAuth, Store};
use mes_tests::report::{table, thousands};
use mes_tests::{HubProcess, free_port};
use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(about = "Ingest rate and projection lag with 1, 2, 3 hub replicas on one PostgreSQL")]
struct Args {
    /// Replica counts to run, in order.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    replicas: Vec<usize>,
    /// Tenants.
    #[arg(long, default_value_t = 20)]
    tenants: usize,
    /// Sites per tenant (one agent each).
    #[arg(long, default_value_t = 10)]
    sites: usize,
    /// Events per second per site.
    #[arg(long, default_value_t = 50)]
    rate: usize,
    /// An agent's batch interval, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    every_ms: u64,
    /// Seconds of load per replica count.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
}

/// One site's agent.
struct Agent {
    auth: AgentAuth,
    token: String,
}

fn now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

async fn admin(url: &str, sql: &str) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client.batch_execute(sql).await?;
    Ok(())
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// CPU seconds (user + system) of process `pid` so far.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command (which may hold spaces) in parentheses.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds of every process named `postgres`.
fn postgres_cpu() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .map(cpu_seconds)
        .sum()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// What one replica count measured.
struct Run {
    replicas: usize,
    offered: f64,
    acked: f64,
    post_p50: f64,
    post_p99: f64,
    lag_p50: f64,
    lag_p99: f64,
    drain: f64,
    hub_cpu: f64,
    pg_cpu: f64,
    own_cpu: f64,
    waits: Vec<(String, usize)>,
    proxy: bool,
}

fn haproxy() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([std::path::PathBuf::from("/usr/sbin")])
        .map(|d| d.join("haproxy"))
        .find(|p| p.is_file())
}

fn start_proxy(
    bin: &std::path::Path,
    dir: &std::path::Path,
    urls: &[String],
) -> anyhow::Result<(Child, String)> {
    let port = free_port();
    let servers: String = urls
        .iter()
        .enumerate()
        .map(|(i, u)| {
            format!(
                "    server hub-{i} {} check inter 1s\n",
                u.trim_start_matches("http://")
            )
        })
        .collect();
    let config = format!(
        "global\n    maxconn 4096\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n\
         \x20   timeout server 60s\n    retries 2\n    option redispatch\n\
         frontend f\n    bind 127.0.0.1:{port}\n    default_backend b\n\
         backend b\n    balance roundrobin\n    option httpchk GET /healthz\n{servers}"
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config)?;
    let child = Command::new(bin)
        .arg("-f")
        .arg(&path)
        .arg("-db")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok((child, format!("http://127.0.0.1:{port}")))
}

async fn run(args: &Args, hub: &std::path::Path, admin_url: &str, replicas: usize) -> anyhow::Result<Run> {
    let name = format!("bench_replicas_{}", uuid::Uuid::now_v7().simple());
    admin(admin_url, &format!("CREATE DATABASE {name}")).await?;
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b.to_string(), format!("?{q}")),
        None => (admin_url.to_string(), String::new()),
    };
    let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
    let url = format!("{server}/{name}{query}");
    let result = run_on(args, hub, &url, replicas).await;
    let _ = admin(admin_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    result
}

async fn run_on(args: &Args, hub_bin: &std::path::Path, url: &str, replicas: usize) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let mut hubs = Vec::new();
    for i in 1..=replicas {
        let home = dir.path().join(format!("hub-{i}"));
        std::fs::create_dir_all(&home)?;
        let mut hub = HubProcess::with_database(hub_bin, &home, url)?;
        hub.append_config(&format!(
            "[cluster]\nreplica_id = \"hub-{i}\"\n[projection]\ninterval_ms = 100\n"
        ))?;
        hub.start().await?;
        hubs.push(hub);
    }
    let urls: Vec<String> = hubs.iter().map(HubProcess::url).collect();
    let per_batch = (args.rate as u64 * args.every_ms / 1000).max(1) as usize;
    let batches_per_agent = (args.seconds * 1000 / args.every_ms) as usize;
    let events_per_agent = per_batch * batches_per_agent;

    let store = Store::open_postgres(url, 8)?;
    let mut agents = Vec::new();
    let shape = move |events| Shape {
        materials: 12,
        locations: 4,
        stations: 6,
        lots: 3,
        events,
        batch: per_batch,
    };
    for t in 0..args.tenants {
        let slug = format!("t{t}");
        let id = store.create_tenant(&slug)?;
        for s in 0..args.sites {
            let site = if s == 0 {
                seed::SITE.to_string()
            } else {
                format!("plant-{}", s + 1)
            };
            store.create_site(&slug, &site)?;
            let agent = store.create_agent(&slug, &site, "gateway")?;
            let auth = store
                .agent_by_token(&agent.token)
                .await?
                .context("the agent's token")?;
            agents.push(Agent {
                auth,
                token: agent.token,
            });
        }
        seed::master_data(&store, id, &shape(events_per_agent * args.sites)).await?;
    }
    // Leases settle before the load.
    let db = connect(url).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let held: i64 = db
            .query_one(
                "SELECT count(*) FROM tenant_leases WHERE expires_at > clock_timestamp()",
                &[],
            )
            .await?
            .get(0);
        if held as usize == args.tenants || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (proxy, targets) = match haproxy() {
        Some(bin) => {
            let (child, url) = start_proxy(&bin, dir.path(), &urls)?;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            (Some(child), vec![url])
        }
        None => (None, urls.clone()),
    };

    // The profile's samplers.
    let stop = stop::Stop::default();
    let lag_samples: Arc<Mutex<Vec<f64>>> = Arc::default();
    let waits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let sampler = tokio::spawn(sample_lag(connect(url).await?, stop.clone(), lag_samples.clone()));
    let waiter = tokio::spawn(sample_waits(connect(url).await?, stop.clone(), waits.clone()));
    let hub_pids: Vec<u32> = hubs.iter().filter_map(HubProcess::pid).collect();
    let hub_cpu0: f64 = hub_pids.iter().map(|p| cpu_seconds(*p)).sum();
    let pg_cpu0 = postgres_cpu();
    let own_cpu0 = cpu_seconds(std::process::id());

    let started = Instant::now();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(60))
        .build()?;
    let tasks: Vec<_> = agents
        .into_iter()
        .enumerate()
        .map(|(i, agent)| {
            let (client, targets) = (client.clone(), targets.clone());
            let every = Duration::from_millis(args.every_ms);
            tokio::spawn(async move {
                let drafts = Events::new(shape(events_per_agent), 0xbe4c_0000 + i as u64);
                let mut batches = Batches::of(agent.auth.clone(), drafts, per_batch);
                let mut latencies = Vec::new();
                let mut acked = 0usize;
                let mut next = Instant::now() + every.mul_f64((i % 100) as f64 / 100.0);
                let mut turn = i;
                while let Ok(Some(body)) = batches.next_body() {
                    tokio::time::sleep_until(next.into()).await;
                    next += every;
                    loop {
                        turn += 1;
                        let target = &targets[turn % targets.len()];
                        let sent = Instant::now();
                        let reply = client
                            .post(format!("{target}/api/v1/ingest"))
                            .bearer_auth(&agent.token)
                            .header(reqwest::header::CONTENT_TYPE, "application/json")
                            .body(body.clone())
                            .send()
                            .await;
                        if reply.is_ok_and(|r| r.status().is_success()) {
                            latencies.push(sent.elapsed().as_secs_f64());
                            acked += per_batch;
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
                (acked, latencies)
            })
        })
        .collect();
    let mut acked = 0;
    let mut latencies = Vec::new();
    for t in tasks {
        let (a, l) = t.await?;
        acked += a;
        latencies.extend(l);
    }
    let load = started.elapsed().as_secs_f64();
    let hub_cpu = hub_pids.iter().map(|p| cpu_seconds(*p)).sum::<f64>() - hub_cpu0;
    let pg_cpu = postgres_cpu() - pg_cpu0;
    let own_cpu = cpu_seconds(std::process::id()) - own_cpu0;
    // Catch up.
    let caught = Instant::now();
    loop {
        let behind: i64 = db
            .query_one(
                "SELECT count(*) FROM tenants t WHERE COALESCE((SELECT event_row FROM projection_cursors c
                     WHERE c.tenant_id = t.id), 0) < COALESCE((SELECT max(id) FROM events e WHERE e.tenant_id = t.id), 0)",
                &[],
            )
            .await?
            .get(0);
        if behind == 0 || caught.elapsed() > Duration::from_secs(600) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drain = caught.elapsed().as_secs_f64();
    stop.stop();
    let _ = sampler.await;
    let _ = waiter.await;
    if let Some(mut p) = proxy {
        let _ = p.kill();
        let _ = p.wait();
    }
    for hub in &mut hubs {
        hub.stop();
    }
    latencies.sort_by(f64::total_cmp);
    let mut lags = lag_samples.lock().unwrap_or_else(|e| e.into_inner()).clone();
    lags.sort_by(f64::total_cmp);
    let mut waits: Vec<(String, usize)> = waits
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    waits.sort_by_key(|w| std::cmp::Reverse(w.1));
    waits.truncate(5);
    let sites = args.tenants * args.sites;
    Ok(Run {
        replicas,
        offered: (sites * args.rate) as f64,
        acked: acked as f64 / load.max(args.seconds as f64),
        post_p50: percentile(&latencies, 0.5),
        post_p99: percentile(&latencies, 0.99),
        lag_p50: percentile(&lags, 0.5),
        lag_p99: percentile(&lags, 0.99),
        drain,
        hub_cpu: hub_cpu / load,
        pg_cpu: pg_cpu / load,
        own_cpu: own_cpu / load,
        waits,
        proxy: targets.len() == 1,
    })
}

/// Every 200 ms, per tenant: how long the oldest event not yet projected
/// has been stored (0 when caught up), from when each event row was first
/// seen stored.
async fn sample_lag(db: tokio_postgres::Client, stop: stop::Stop, out: Arc<Mutex<Vec<f64>>>) {
    // Per tenant: (time first seen, highest row then), in time order.
    let mut seen: HashMap<uuid::Uuid, Vec<(f64, i64)>> = HashMap::new();
    while !stop.stopped() {
        let rows = db
            .query(
                "SELECT t.id, COALESCE((SELECT max(id) FROM events e WHERE e.tenant_id = t.id), 0),
                        COALESCE((SELECT event_row FROM projection_cursors c WHERE c.tenant_id = t.id), 0)
                 FROM tenants t",
                &[],
            )
            .await;
        let now = now_s();
        if let Ok(rows) = rows {
            let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
            for r in rows {
                let (tenant, last, cursor): (uuid::Uuid, i64, i64) = (r.get(0), r.get(1), r.get(2));
                let history = seen.entry(tenant).or_default();
                if history.last().is_none_or(|(_, l)| *l < last) {
                    history.push((now, last));
                }
                if last == 0 {
                    continue;
                }
                let lag = if cursor >= last {
                    0.0
                } else {
                    // The oldest unprojected row (cursor + 1) was first seen at:
                    history
                        .iter()
                        .find(|(_, l)| *l > cursor)
                        .map_or(0.0, |(t, _)| now - t)
                };
                out.push(lag);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every 100 ms: what each active PostgreSQL session waits on.
async fn sample_waits(db: tokio_postgres::Client, stop: stop::Stop, out: Arc<Mutex<HashMap<String, usize>>>) {
    while !stop.stopped() {
        if let Ok(rows) = db
            .query(
                "SELECT COALESCE(wait_event_type || ':' || wait_event, 'on CPU') FROM pg_stat_activity
                 WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
        {
            let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
            for r in rows {
                *out.entry(r.get::<_, String>(0)).or_default() += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A stop flag shared by the samplers.
mod stop {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[derive(Clone, Default)]
    pub struct Stop(Arc<AtomicBool>);

    impl Stop {
        pub fn stop(&self) {
            self.0.store(true, Ordering::Relaxed);
        }
        pub fn stopped(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The hub binary built beside this one (`cargo build --release -p mes-tests --bins`).
    let exe = std::env::current_exe()?;
    let hub = exe.with_file_name("hub");
    anyhow::ensure!(
        hub.exists(),
        "no hub binary at {}; build with `cargo build --release -p mes-tests --bins`",
        hub.display()
    );
    let admin_url = std::env::var("MES_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    println!(
        "bench-replicas: {} tenants x {} sites, {} ev/s per site (offered {} ev/s), batches every {} ms, {} s per run; {} cores",
        args.tenants,
        args.sites,
        args.rate,
        thousands((args.tenants * args.sites * args.rate) as f64),
        args.every_ms,
        args.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut runs = Vec::new();
    for &n in &args.replicas {
        let r = run(&args, &hub, &admin_url, n).await?;
        println!(
            "  {n} replica(s): {} ev/s acknowledged, lag p99 {:.2} s",
            thousands(r.acked),
            r.lag_p99
        );
        runs.push(r);
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                r.replicas.to_string(),
                if r.proxy {
                    "haproxy".into()
                } else {
                    "client".into()
                },
                thousands(r.offered),
                thousands(r.acked),
                format!("{:.0} / {:.0}", r.post_p50 * 1000.0, r.post_p99 * 1000.0),
                format!("{:.2} / {:.2}", r.lag_p50, r.lag_p99),
                format!("{:.1}", r.drain),
                format!("{:.2}", r.hub_cpu),
                format!("{:.2}", r.pg_cpu),
                format!("{:.2}", r.own_cpu),
            ]
        })
        .collect();
    println!(
        "{}",
        table(
            &[
                ("replicas", false),
                ("via", false),
                ("offered ev/s", true),
                ("acked ev/s", true),
                ("post ms p50/p99", true),
                ("lag s p50/p99", true),
                ("catch-up s", true),
                ("hub CPU cores", true),
                ("PG CPU cores", true),
                ("agents' CPU cores", true),
            ],
            &rows
        )
    );
    for r in &runs {
        let waits: BTreeMap<_, _> = r.waits.iter().cloned().collect();
        println!(
            "  {} replica(s), PostgreSQL sessions sampled: {waits:?}",
            r.replicas
        );
    }
    Ok(())
}

//! The console benchmark (issue 16): how long the planners' console takes
//! to answer its heaviest pages on a factory with a large history, each
//! next to plain JSON API calls measured in the same run, and how long an
//! ingested event takes to reach open boards; on SQLite and PostgreSQL.
//!
//! ```text
//! cargo build --release -p mes-tests --bin hub --bin bench-console
//! target/release/bench-console                   # 1,000,000 ledger rows, both stores
//! target/release/bench-console --quick           # 100,000 ledger rows
//! target/release/bench-console --stores sqlite --calls 50
//! target/release/bench-console --help
//! ```
//!
//! Per store (SQLite: a temporary file; PostgreSQL: a fresh schema in
//! `MES_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`,
//! skipped with the reason when unreachable), generated through the hub's
//! own code before any clock starts:
//! 1. The ledger benchmark's tenant, master data and `--rows` events
//!    (`bench_ledger::seed`, one ledger row each), then the console's
//!    factory (`bench_console::floor`): `--machines` presses with their
//!    stations and workers, `--orders` production orders of mixed status,
//!    and `--days` days of floor events (state changes, parts counts,
//!    shifts' clock events, a run per order that reached the floor, some
//!    running now), all projected; the planner's statistics refreshed.
//! 2. The real hub binary (`hub`, built beside this one) started on that
//!    database; a user with the built-in `planner` role logs in through
//!    `POST /api/v1/auth/login`; every request carries the session cookie.
//! 3. Page times, p50 / p99 / max over `--calls` rounds after `--warmup`
//!    (5) rounds; each round requests, one after the other, the board
//!    `GET /console/sites/plant-1/board` (every press), the order list
//!    `GET /console/orders` (default filter: the open orders, 100 a page),
//!    an order's detail `GET /console/orders/{code}` (a completed order
//!    whose run paused: execution log, materials, cost by element), and
//!    the references `GET /api/v1/production-orders?limit=50` and
//!    `GET /api/v1/sites/plant-1/equipment` (the board's machines and
//!    their latest states as JSON). Timed by the client from sending the
//!    request to the body's last byte over loopback keep-alive
//!    connections. Target: p99 < 100 ms for the three pages.
//! 4. Live: `--streams` open board streams
//!    (`GET /console/sites/plant-1/board/events`), then `--live-events`
//!    batches of one `equipment_state_changed` posted by an agent of the
//!    site one after the other, each timed from the request to its `card`
//!    message on every stream (p50 / p99 / max over events × streams;
//!    measured, no target). The hub reads a site's board once per change
//!    after gathering changes for 50 ms (`cloud_hub::live`).

#[path = "../bench_console/mod.rs"]
mod bench_console;
#[path = "../bench_ledger/mod.rs"]
#[allow(dead_code)]
mod bench_ledger;

use anyhow::Context;
use bench_console::floor::{self, FloorShape};
use bench_console::live::{self, LiveAgent};
use bench_console::web::Session;
use bench_ledger::db::BenchDb;
use bench_ledger::measure::{self, percentiles};
use bench_ledger::seed::{self, Batches, Events, Shape};
use clap::{Parser, ValueEnum};
use cloud_hub::store::access::{NewUser, RoleGrant, UserKind};
use mes_tests::HubProcess;
use mes_tests::report::{table, thousands, verdict};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(about = "Benchmarks the planners' console: board, order list, order detail, live board updates")]
struct Args {
    /// Ledger rows of the ledger benchmark's events (the bulk of the log).
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// A smaller run: 100,000 ledger rows (overrides --rows).
    #[arg(long)]
    quick: bool,
    /// Which stores.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    stores: Vec<Backend>,
    /// Presses on the board (one station each).
    #[arg(long, default_value_t = 200)]
    machines: usize,
    /// Production orders.
    #[arg(long, default_value_t = 10_000)]
    orders: usize,
    /// Days of floor history (state changes, parts, shifts, runs).
    #[arg(long, default_value_t = 7)]
    days: i64,
    /// Timed rounds (each requests every page and reference once).
    #[arg(long, default_value_t = 200)]
    calls: usize,
    /// Untimed rounds first.
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Timed rounds that include the order detail (at most --calls; it is
    /// the slowest page).
    #[arg(long, default_value_t = 200)]
    detail_calls: usize,
    /// Open board streams.
    #[arg(long, default_value_t = 50)]
    streams: usize,
    /// Events posted one at a time for the live figure.
    #[arg(long, default_value_t = 100)]
    live_events: usize,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Seconds to wait once the hub runs on the generated database, before
    /// measuring (it prints the database's and the hub's URLs and the
    /// planner's login), to look at either with other tools.
    #[arg(long, default_value_t = 0)]
    hold_secs: u64,
}

/// A store backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The acceptance criterion's target for the pages.
const TARGET_PAGE_MS: f64 = 100.0;
const TENANT: &str = "bench";
const SITE: &str = seed::SITE;
const PLANNER: &str = "planner";
const PASSWORD: &str = "violet tractor 19 lemons";

fn ms((p50, p99, max): (f64, f64, f64)) -> String {
    format!("{p50:.1} / {p99:.1} / {max:.1} ms")
}

/// The hub binary built beside this one.
fn hub_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let hub = exe.with_file_name("hub");
    anyhow::ensure!(
        hub.exists(),
        "no hub binary at {}; build it with `cargo build --release -p mes-tests --bin hub --bin bench-console`",
        hub.display()
    );
    Ok(hub)
}

/// What was generated, for the notes.
struct Seeded {
    floor: floor::Floor,
    events: usize,
    rows: usize,
    took: Duration,
}

/// Generates the whole factory into `db` and projects it.
async fn generate(db: &BenchDb, args: &Args, rows: usize) -> anyhow::Result<Seeded> {
    let store = &db.store;
    let started = Instant::now();
    let shape = Shape {
        materials: 2000,
        locations: 50,
        stations: 100,
        lots: 20,
        events: rows,
        batch: 2000,
    };
    let tenant = seed::provision(store, TENANT).await?;
    seed::master_data(store, tenant.id, &shape).await?;
    eprintln!("  ingesting {} ledger events", thousands(rows as f64));
    seed::ingest(store, &tenant.agent, Events::new(shape, args.seed)).await?;
    let floor_shape = FloorShape {
        machines: args.machines.max(1),
        orders: args.orders.max(args.machines.max(1)),
        days: args.days.max(1),
        products: 20,
        raws: 40,
    };
    let now = cloud_hub::store::now_ms();
    eprintln!(
        "  the console's factory: master data and {} orders",
        thousands(floor_shape.orders as f64)
    );
    let codes = floor::master_data(store, tenant.id, &floor_shape, args.seed, now).await?;
    let (drafts, floor) = floor::events(&floor_shape, &codes, args.seed, now)?;
    eprintln!("  ingesting {} floor events", thousands(floor.events as f64));
    let agent = seed::add_agent(store, TENANT, "floor-1").await?;
    let mut batches = Batches::of(agent.clone(), drafts.into_iter().map(Ok), 2000);
    while let Some(batch) = batches.next_batch()? {
        seed::send(store, &agent, batch).await?;
    }
    let events = rows + floor.events;
    eprintln!("  projecting {} events", thousands(events as f64));
    let projected =
        measure::project_all(store, tenant.id, cloud_hub::projection::DEFAULT_BATCH, events).await?;
    anyhow::ensure!(
        projected.events == events && projected.issues == 0,
        "projected {} of {} events with {} issues",
        projected.events,
        events,
        projected.issues
    );
    store.refresh_statistics().await?;
    store
        .create_user(
            tenant.id,
            NewUser {
                login: PLANNER.into(),
                display_name: "Planner".into(),
                kind: UserKind::Person,
                password_phc: Some(cloud_hub::access::password::hash(PASSWORD)),
            },
        )
        .await?;
    store
        .set_user_roles(
            tenant.id,
            PLANNER.into(),
            vec![RoleGrant {
                role: "planner".into(),
                sites: None,
            }],
        )
        .await?;
    Ok(Seeded {
        floor,
        events,
        rows: projected.rows,
        took: started.elapsed(),
    })
}

/// Times every page and reference (path, text its answer contains, timed
/// rounds it takes part in), interleaved, after `warmup` rounds; returns
/// one sample list per entry of `targets`.
async fn time_pages(
    session: &Session,
    targets: &[(String, String, usize)],
    warmup: usize,
) -> anyhow::Result<Vec<Vec<Duration>>> {
    let rounds = targets.iter().map(|t| t.2).max().unwrap_or(0);
    let mut samples = vec![Vec::new(); targets.len()];
    for round in 0..warmup + rounds {
        for (i, (path, marker, calls)) in targets.iter().enumerate() {
            if round >= warmup + calls {
                continue;
            }
            let took = session.timed(path, marker).await?;
            if round >= warmup {
                samples[i].push(took);
            }
        }
    }
    Ok(samples)
}

/// Runs every phase on `db`; returns the result rows and notes.
async fn run(db: &BenchDb, args: &Args, rows: usize) -> anyhow::Result<(Vec<Vec<String>>, Vec<String>)> {
    let seeded = generate(db, args, rows).await?;
    let live_agent = {
        let store = db.store.clone();
        let created = store.create_agent(TENANT, SITE, "live-1")?;
        let auth = store
            .agent_by_token(&created.token)
            .await?
            .context("the live agent's token finds it")?;
        LiveAgent::new(auth, created.token)
    };
    let dir = tempfile::tempdir()?;
    let mut hub = HubProcess::with_database(&hub_binary()?, dir.path(), &db.url())?;
    hub.start().await.context("starting the hub")?;
    if args.hold_secs > 0 {
        eprintln!(
            "  holding {} s: database {}, hub {}, login {TENANT} / {PLANNER} / {PASSWORD:?}",
            args.hold_secs,
            db.url(),
            hub.url()
        );
        tokio::time::sleep(Duration::from_secs(args.hold_secs)).await;
    }
    let result = measure_hub(&hub, args, &seeded, live_agent).await;
    hub.stop();
    let (rows, mut notes) = result?;
    let statuses: Vec<String> = seeded
        .floor
        .statuses
        .iter()
        .map(|(s, n)| format!("{} {}", thousands(*n as f64), s.as_str()))
        .collect();
    notes.insert(0, db.describe().await?);
    notes.insert(
        1,
        format!(
            "generated and projected in {:.0} s: {} events, {} ledger rows ({} of them the ledger benchmark's), \
             {:.0} MB on disk; {} presses, {} orders ({}), {} runs ({} running now) over {} days",
            seeded.took.as_secs_f64(),
            thousands(seeded.events as f64),
            thousands(seeded.rows as f64),
            thousands(rows_of_ledger(args) as f64),
            db.size().await? as f64 / 1e6,
            args.machines,
            thousands(args.orders as f64),
            statuses.join(", "),
            thousands(seeded.floor.runs.0 as f64),
            seeded.floor.runs.1,
            args.days,
        ),
    );
    Ok((rows, notes))
}

fn rows_of_ledger(args: &Args) -> usize {
    if args.quick { 100_000 } else { args.rows }
}

/// The measurements against the running hub.
async fn measure_hub(
    hub: &HubProcess,
    args: &Args,
    seeded: &Seeded,
    mut live_agent: LiveAgent,
) -> anyhow::Result<(Vec<Vec<String>>, Vec<String>)> {
    let session = Session::login(&hub.url(), TENANT, PLANNER, PASSWORD).await?;
    let last_machine = format!("EQ-{:03}", args.machines - 1);
    let order = &seeded.floor.detail_order;
    let calls = args.calls.max(1);
    let targets = [
        (
            format!("/console/sites/{SITE}/board"),
            format!("m-{last_machine}"),
            calls,
        ),
        (
            "/console/orders".to_string(),
            "/console/orders/MO-".to_string(),
            calls,
        ),
        (
            format!("/console/orders/{order}"),
            order.clone(),
            args.detail_calls.clamp(1, calls),
        ),
        (
            "/api/v1/production-orders?limit=50".to_string(),
            "\"items\"".to_string(),
            calls,
        ),
        (
            format!("/api/v1/sites/{SITE}/equipment"),
            last_machine.clone(),
            calls,
        ),
    ];
    eprintln!(
        "  pages: {} rounds after {} warm-up rounds",
        args.calls, args.warmup
    );
    let samples = time_pages(&session, &targets, args.warmup).await?;
    let figures: Vec<(f64, f64, f64)> = samples.into_iter().map(percentiles).collect();
    let reference = format!(
        "production-orders?limit=50: {}; sites/{SITE}/equipment: {}",
        ms(figures[3]),
        ms(figures[4])
    );
    let page = |label: String, figure: (f64, f64, f64)| {
        vec![
            label,
            ms(figure),
            reference.clone(),
            format!("p99 < {TARGET_PAGE_MS} ms"),
            verdict(Some(figure.1 < TARGET_PAGE_MS)).into(),
        ]
    };
    let mut rows = vec![
        page(
            format!(
                "board, {} machines (GET /console/sites/{SITE}/board)",
                args.machines
            ),
            figures[0],
        ),
        page(
            format!(
                "order list, {} orders, open ones, 100 a page (GET /console/orders)",
                thousands(args.orders as f64)
            ),
            figures[1],
        ),
        page(
            format!(
                "order detail, ledger at {} rows (GET /console/orders/{order}; {} rounds)",
                thousands(seeded.rows as f64),
                targets[2].2
            ),
            figures[2],
        ),
    ];
    eprintln!(
        "  live: {} open boards, {} events",
        args.streams, args.live_events
    );
    let mut boards = live::open(&session, SITE, args.streams.max(1), args.machines).await?;
    let latencies = live::measure(
        &session,
        &mut boards,
        &mut live_agent,
        args.live_events.max(1),
        args.machines,
        |i| format!("EQ-{i:03}"),
    )
    .await?;
    drop(boards);
    let to_card = percentiles(latencies.to_card.clone());
    let ingest = percentiles(latencies.ingest.clone());
    rows.push(vec![
        format!(
            "ingest → card on each of {} open boards ({} events)",
            args.streams, args.live_events
        ),
        ms(to_card),
        format!("the ingest request alone: {}", ms(ingest)),
        "measured".into(),
        if latencies.missed == 0 {
            verdict(None).into()
        } else {
            format!("{} cards missed (> 10 s)", latencies.missed)
        },
    ]);
    let notes = vec![
        format!(
            "pages and references: p50 / p99 / max of {} rounds after {} warm-up rounds, client-timed over loopback \
             (request sent → last byte), one planner session, the hub binary on the same cores",
            args.calls, args.warmup
        ),
        format!(
            "live: {} card messages timed; the hub gathers changes for 50 ms before reading the board once per site",
            latencies.to_card.len()
        ),
    ];
    Ok((rows, notes))
}

/// A fresh database on `backend`, or why there is none.
async fn open(backend: Backend) -> anyhow::Result<Result<BenchDb, String>> {
    Ok(match backend {
        Backend::Sqlite => Ok(BenchDb::sqlite()?),
        Backend::Postgres => BenchDb::postgres().await,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rows = rows_of_ledger(&args);
    hub_binary()?;
    for backend in &args.stores {
        let name = match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        };
        eprintln!("{name}: {} ledger rows", thousands(rows as f64));
        let db = match open(*backend).await? {
            Ok(db) => db,
            Err(reason) => {
                println!("\n{name}: SKIPPED: {reason}");
                continue;
            }
        };
        let result = run(&db, &args, rows).await;
        db.remove().await.context("removing the benchmark database")?;
        let (table_rows, notes) = result.with_context(|| format!("{name} run"))?;
        println!("\n{name} store\n");
        print!(
            "{}",
            table(
                &[
                    ("figure", false),
                    ("p50 / p99 / max", true),
                    ("reference, same run (p50 / p99 / max)", false),
                    ("target", false),
                    ("result", false),
                ],
                &table_rows,
            )
        );
        for note in notes {
            println!("  {note}");
        }
    }
    Ok(())
}

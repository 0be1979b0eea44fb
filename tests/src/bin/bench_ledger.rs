//! The stock-ledger benchmark: how fast the hub projects shop-floor events
//! into the stock ledger, and how long a material's on hand and a stock
//! list page take with the ledger at 1 million rows, on SQLite and on
//! PostgreSQL; what ingest and the projection do when several agents of
//! one tenant send at once; each figure printed next to a reference
//! measured on the same database in the same run.
//!
//! ```text
//! cargo run --release -p mes-tests --bin bench-ledger              # 1,000,000 rows per store
//! cargo run --release -p mes-tests --bin bench-ledger -- --quick   # 100,000 rows
//! cargo run --release -p mes-tests --bin bench-ledger -- --agents 0  # without the concurrent-agents section
//! cargo run --release -p mes-tests --bin bench-ledger -- --help
//! ```
//!
//! Per store (SQLite: a temporary file; PostgreSQL: a fresh schema in
//! `MES_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`,
//! skipped with the reason when unreachable):
//! 1. A tenant, site and agent; master data (2,000 materials, 50 locations,
//!    100 stations, the site's production location).
//! 2. The events (`material_consumed` / `output_reported`, lots, one ledger
//!    row each) ingested through `Store::ingest` in batches of 2,000.
//! 3. Projection: `project_step` in steps of `--step` events (the hub's
//!    default, 10,000) until caught up; events/s over the whole run and
//!    over the last tenth (ledger at 90-100% of its size). Reference: the
//!    same rows copied with a plain prepared INSERT per row, `--step` per
//!    transaction, into a table of the same shape. Target ≥ 20,000
//!    events/s.
//! 4. Reads, p50/p99 over `--calls` calls after 20 warm-up calls: a
//!    material's position now (`inventory::position::position`: on hand,
//!    reserved, available; target p99 < 10 ms), the first stock list page
//!    of 100 and a page of 100 after a key in the middle of the list
//!    (`Store::balances`; target p99 < 50 ms), and a material's rows
//!    (`Store::movements_of`, what `position` replays; no target).
//!    Reference: a primary-key lookup of one balance and a plain read of a
//!    material's row bodies on a raw connection.
//! 5. Concurrent agents (`--agents`, default 8; 0 leaves it out), each
//!    run on a fresh database of its own: `--agent-events` events
//!    (default 100,000) sent by that many agents of one tenant at once,
//!    each through `Store::ingest` (on PostgreSQL through a store and pool
//!    of its own, as several hubs on one database), while the projection
//!    steps as the hub's task does. Reference: one agent sending as many
//!    events the same way in the same run. Figures: ingest events/s, a
//!    batch's latency, projection events/s while ingesting, its lag when
//!    the last batch committed; then `check_books` and the ledger rows:
//!    every event booked exactly once, else the benchmark fails (non-zero
//!    exit) after printing.
//!    See `bench_ledger/concurrent.rs`.

#[path = "../bench_ledger/mod.rs"]
mod bench_ledger;

use anyhow::Context;
use bench_ledger::concurrent;
use bench_ledger::db::BenchDb;
use bench_ledger::measure::{self, percentiles};
use bench_ledger::reference;
use bench_ledger::seed::{self, Events, Shape, material_code};
use clap::{Parser, ValueEnum};
use mes_tests::report::{table, thousands, verdict};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(about = "Benchmarks the stock ledger: projection rate, on-hand and stock-list latency")]
struct Args {
    /// Ledger rows (= events) per store.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// A smaller run: 100,000 rows (overrides --rows).
    #[arg(long)]
    quick: bool,
    /// Which stores.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    stores: Vec<Backend>,
    /// Materials.
    #[arg(long, default_value_t = 2000)]
    materials: usize,
    /// Stock locations.
    #[arg(long, default_value_t = 50)]
    locations: usize,
    /// Events per ingested batch (an agent's batch).
    #[arg(long, default_value_t = 2000)]
    batch: usize,
    /// Events per projection step (and rows per transaction of the raw
    /// insert reference); the hub's default unless given.
    #[arg(long, default_value_t = cloud_hub::projection::DEFAULT_BATCH)]
    step: usize,
    /// Timed calls per read figure.
    #[arg(long, default_value_t = 200)]
    calls: usize,
    /// Rows copied for the raw insert reference (at most the ledger's).
    #[arg(long, default_value_t = 200_000)]
    reference_rows: usize,
    /// Seed of the generated events.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Agents of one tenant ingesting at once while the projection runs
    /// (the concurrent-agents section, after the ledger figures), next to
    /// one agent sending as many events in the same run; fails if any
    /// event is not booked exactly once. 0 leaves the section out.
    #[arg(long, default_value_t = 8)]
    agents: usize,
    /// Events sent in each run of the concurrent-agents section (split
    /// evenly between the agents).
    #[arg(long, default_value_t = 100_000)]
    agent_events: usize,
}

/// A store backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Targets from the acceptance criteria.
const TARGET_EVENTS_PER_S: f64 = 20_000.0;
const TARGET_ON_HAND_MS: f64 = 10.0;
const TARGET_PAGE_MS: f64 = 50.0;
const PAGE: usize = 100;

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn ms((p50, p99, _): (f64, f64, f64)) -> String {
    format!("{p50:.2} / {p99:.2} ms")
}

/// Runs every phase on `db`; returns the result rows and notes.
async fn run(db: &BenchDb, args: &Args, shape: Shape) -> anyhow::Result<(Vec<Vec<String>>, Vec<String>)> {
    let store = &db.store;
    let started = Instant::now();
    let tenant = seed::provision(store, "bench").await?;
    seed::master_data(store, tenant.id, &shape).await?;
    let master = started.elapsed();
    eprintln!(
        "  master data in {:.1} s; ingesting {} events",
        master.as_secs_f64(),
        thousands(shape.events as f64)
    );
    let ingest = seed::ingest(store, &tenant.agent, Events::new(shape, args.seed)).await?;
    eprintln!("  ingested in {:.1} s; projecting", ingest.as_secs_f64());
    let projected = measure::project_all(store, tenant.id, args.step.max(1), shape.events).await?;
    anyhow::ensure!(
        projected.events == shape.events && projected.issues == 0,
        "projected {} of {} events with {} issues",
        projected.events,
        shape.events,
        projected.issues
    );
    // The ledger grew from nothing within seconds: refresh the planner's
    // statistics as `cloud-hub rebuild` does after rewriting it (and as
    // PostgreSQL's autovacuum would within minutes), so the reads below
    // are planned for the tables as they are.
    store.refresh_statistics().await?;

    eprintln!("  raw insert reference");
    let mut raw = db.raw().await?;
    let (ref_rows, ref_took) = reference::insert_rate(
        &mut raw,
        args.reference_rows.min(projected.rows),
        args.step.max(1),
    )
    .await?;

    eprintln!("  reads");
    let mut rng = StdRng::seed_from_u64(args.seed + 1);
    let materials: Vec<String> = (0..args.calls)
        .map(|_| material_code(rng.random_range(0..shape.materials)))
        .collect();
    let later: Vec<Option<String>> = (0..args.calls)
        .map(|_| {
            Some(material_code(
                rng.random_range(shape.materials / 10..shape.materials * 9 / 10),
            ))
        })
        .collect();
    let first: Vec<Option<String>> = vec![None; args.calls];
    let on_hand = percentiles(measure::positions(store, tenant.id, &materials).await?);
    let first_page = percentiles(measure::list_pages(store, tenant.id, &first, PAGE).await?);
    let later_page = percentiles(measure::list_pages(store, tenant.id, &later, PAGE).await?);
    let rows_of = percentiles(measure::material_rows(store, tenant.id, &materials).await?);
    let keys = reference::balance_keys(&mut raw, &tenant.id.to_string(), args.calls).await?;
    let pk = percentiles(reference::balance_lookups(&mut raw, &tenant.id.to_string(), &keys).await?);
    let raw_rows =
        percentiles(reference::material_reads(&mut raw, &tenant.id.to_string(), &materials).await?);
    let raw_first = percentiles(reference::pages(&mut raw, &tenant.id.to_string(), &first, PAGE).await?);
    let raw_later = percentiles(reference::pages(&mut raw, &tenant.id.to_string(), &later, PAGE).await?);
    drop(raw);

    let projection_rate = rate(projected.events, projected.elapsed);
    let tail_rate = rate(projected.tail.0, projected.tail.1);
    let reference_rate = format!(
        "raw INSERT, same rows: {} rows/s",
        thousands(rate(ref_rows, ref_took))
    );
    let target_rate = format!("≥ {} events/s", thousands(TARGET_EVENTS_PER_S));
    let pk_ref = format!("PK lookup of 1 balance: {}", ms(pk));
    let rows = vec![
        vec![
            format!(
                "events projected (project_step, {} per step)",
                thousands(args.step as f64)
            ),
            format!("{} events/s", thousands(projection_rate)),
            reference_rate.clone(),
            target_rate.clone(),
            verdict(Some(projection_rate >= TARGET_EVENTS_PER_S)).into(),
        ],
        vec![
            "  of which the last tenth (ledger 90-100% full)".into(),
            format!("{} events/s", thousands(tail_rate)),
            reference_rate,
            target_rate,
            verdict(Some(tail_rate >= TARGET_EVENTS_PER_S)).into(),
        ],
        vec![
            "on hand of 1 material (position), p50 / p99".into(),
            ms(on_hand),
            pk_ref,
            format!("p99 < {TARGET_ON_HAND_MS} ms"),
            verdict(Some(on_hand.1 < TARGET_ON_HAND_MS)).into(),
        ],
        vec![
            format!("stock list, first page of {PAGE} (balances), p50 / p99"),
            ms(first_page),
            format!("raw page in key order: {}", ms(raw_first)),
            format!("p99 < {TARGET_PAGE_MS} ms"),
            verdict(Some(first_page.1 < TARGET_PAGE_MS)).into(),
        ],
        vec![
            format!("stock list, a later page of {PAGE} (after a key), p50 / p99"),
            ms(later_page),
            format!("raw page in key order: {}", ms(raw_later)),
            format!("p99 < {TARGET_PAGE_MS} ms"),
            verdict(Some(later_page.1 < TARGET_PAGE_MS)).into(),
        ],
        vec![
            "rows of 1 material (movements_of), p50 / p99".into(),
            ms(rows_of),
            format!("raw SELECT of the bodies: {}", ms(raw_rows)),
            "-".into(),
            verdict(None).into(),
        ],
    ];
    let balances = store
        .balances(
            tenant.id,
            cloud_hub::store::ledger::BalanceQuery {
                include_zero: true,
                limit: usize::MAX,
                ..Default::default()
            },
        )
        .await?
        .len();
    let notes = vec![
        db.describe().await?,
        format!(
            "ledger: {} rows, {} balances (material x lot x location), {} materials, {:.0} MB on disk",
            thousands(projected.rows as f64),
            thousands(balances as f64),
            thousands(shape.materials as f64),
            db.size().await? as f64 / 1e6
        ),
        format!(
            "ingest through Store::ingest: {} events/s ({} per batch); projection of all {} events took {:.1} s",
            thousands(rate(shape.events, ingest)),
            thousands(shape.batch as f64),
            thousands(projected.events as f64),
            projected.elapsed.as_secs_f64()
        ),
        format!(
            "raw insert reference: {} rows copied in {:.1} s; the projection also writes balances, operation facts and its cursor",
            thousands(ref_rows as f64),
            ref_took.as_secs_f64()
        ),
        "reads measured after Store::refresh_statistics (what `cloud-hub rebuild` runs at its end)"
            .to_string(),
    ];
    Ok((rows, notes))
}

/// One run of the concurrent-agents section on a fresh database of its
/// own (fresh as the ledger section's was when it projected, whatever an
/// earlier run left in the planner's statistics), removed after.
async fn run_fresh(
    backend: Backend,
    agents: usize,
    shape: Shape,
    step: usize,
    seed: u64,
) -> anyhow::Result<concurrent::Run> {
    let db = open(backend).await?.map_err(anyhow::Error::msg)?;
    let result = concurrent::run(&db, agents, shape, step, seed).await;
    db.remove().await.context("removing the benchmark database")?;
    result
}

/// The concurrent-agents section: one agent, then `args.agents` at once;
/// returns the table rows, notes, and what is wrong with the books
/// (empty: nothing).
async fn run_agents(
    backend: Backend,
    args: &Args,
    shape: Shape,
) -> anyhow::Result<(Vec<Vec<String>>, Vec<String>, Vec<String>)> {
    let shape = Shape {
        events: args.agent_events.max(1),
        ..shape
    };
    let step = args.step.max(1);
    let n = args.agents.max(1);
    eprintln!(
        "  concurrent agents: 1 agent, {} events",
        thousands(shape.events as f64)
    );
    let one = run_fresh(backend, 1, shape, step, args.seed + 100).await?;
    eprintln!(
        "  concurrent agents: {n} agents, {} events",
        thousands(shape.events as f64)
    );
    let many = run_fresh(backend, n, shape, step, args.seed + 200).await?;
    let rows = concurrent::table_rows(&many, &one, shape.batch, step);
    let through = if backend == Backend::Sqlite {
        "every agent and the projection through the one store (its writer thread commits each batch and step in turn)"
    } else {
        "each agent through a store with a pool of its own (4 connections), the projection through the benchmark's; \
         a tenant's batches commit one at a time (ingest holds the tenant's event-log lock from insert to commit)"
    };
    let notes = vec![
        format!(
            "each run: {} events on a fresh database of its own, generated before the clock \
             starts; {n} agents send {} each, one batch after the other per agent; the reference is 1 agent sending all \
             of them, run first",
            thousands(shape.events as f64),
            thousands((shape.events / n) as f64),
        ),
        through.to_string(),
        format!(
            "projection: project_step back to back while it finds events, {} ms idle when caught up (the hub's task); \
             lag = events stored and not yet projected when the last batch committed",
            cloud_hub::projection::ProjectionConfig::default().interval_ms
        ),
    ];
    let problems = [(&one, "1 agent".to_string()), (&many, format!("{n} agents"))]
        .into_iter()
        .flat_map(|(run, label)| run.problems().into_iter().map(move |p| format!("{label}: {p}")))
        .collect();
    Ok((rows, notes, problems))
}

/// Prints a section's table and notes.
fn print_section(title: &str, columns: &[(&str, bool)], rows: &[Vec<String>], notes: &[String]) {
    println!("\n{title}\n");
    print!("{}", table(columns, rows));
    for note in notes {
        println!("  {note}");
    }
}

/// A fresh database on `backend`, or why there is none (PostgreSQL
/// unreachable).
async fn open(backend: Backend) -> anyhow::Result<Result<BenchDb, String>> {
    Ok(match backend {
        Backend::Sqlite => Ok(BenchDb::sqlite()?),
        Backend::Postgres => BenchDb::postgres().await,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let events = if args.quick { 100_000 } else { args.rows };
    let shape = Shape {
        materials: args.materials.max(1),
        locations: args.locations.max(1),
        stations: 100,
        lots: 20,
        events,
        batch: args.batch.max(1),
    };
    let mut failures = Vec::new();
    for backend in &args.stores {
        let name = match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        };
        eprintln!("{name}: {} ledger rows", thousands(events as f64));
        let db = match open(*backend).await? {
            Ok(db) => db,
            Err(reason) => {
                println!("\n{name}: SKIPPED: {reason}");
                continue;
            }
        };
        let result = run(&db, &args, shape).await;
        db.remove().await.context("removing the benchmark database")?;
        let (rows, notes) = result.with_context(|| format!("{name} run"))?;
        print_section(
            &format!(
                "{name} store, {} ledger rows ({} calls per latency after 20 warm-up calls)",
                thousands(events as f64),
                args.calls
            ),
            &[
                ("figure", false),
                ("measured", true),
                ("reference, same run", false),
                ("target", false),
                ("result", false),
            ],
            &rows,
            &notes,
        );
        if args.agents == 0 {
            continue;
        }
        let (rows, notes, problems) = run_agents(*backend, &args, shape)
            .await
            .with_context(|| format!("{name} concurrent agents"))?;
        let agents = format!("{} agents", args.agents);
        print_section(
            &format!(
                "{name} store, {} agents of one tenant ingesting at once while the projection runs",
                args.agents
            ),
            &[
                ("figure", false),
                (&agents, true),
                ("reference: 1 agent, same run", true),
                ("ratio / result", false),
            ],
            &rows,
            &notes,
        );
        failures.extend(problems.into_iter().map(|p| format!("{name}: {p}")));
    }
    anyhow::ensure!(
        failures.is_empty(),
        "events not booked exactly once:\n  {}",
        failures.join("\n  ")
    );
    Ok(())
}

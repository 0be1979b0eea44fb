//! `jssp-bench`: measures plan quality on classic job-shop instances.
//!
//! Reads each instance file, converts it into a model (no calendars, no due
//! dates: the objective reduces to makespan), solves it under the time limit,
//! validates the plan and prints makespan / best known per instance and the
//! mean ratio. The solver is not told anything about the instance beyond the
//! model. `scripts/jssp_compare.py` runs it next to OR-Tools CP-SAT.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use mes_scheduler::jssp::JobShop;
use mes_scheduler::{SolveOptions, solve, validate};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "Benchmark the scheduler on job-shop instances")]
struct Args {
    /// Wall-clock limit per instance, in seconds.
    #[arg(long, default_value_t = 10.0)]
    time_limit_secs: f64,
    /// Iteration limit per search thread (for reproducible runs).
    #[arg(long)]
    iterations: Option<u64>,
    /// Folder holding the instance files (`<name>.txt`).
    #[arg(long, env = "MES_JSSP_DIR", default_value = "../shared/jssp")]
    dir: PathBuf,
    /// Search threads (on these instances they share an elite pool).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seed of the search.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Instance names (e.g. `ft06`) or paths; default: every `.txt` in the folder.
    instances: Vec<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let files = instance_files(&args)?;
    println!(
        "{:<8} {:>8} {:>8} {:>7} {:>8} {:>10}  valid",
        "instance", "makespan", "best", "ratio", "time_s", "iterations"
    );
    let mut ratios = Vec::new();
    let mut invalid = 0;
    for file in &files {
        let (ratio, valid) = run_one(&args, file)?;
        ratios.extend(ratio);
        invalid += usize::from(!valid);
    }
    if !ratios.is_empty() {
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        println!(
            "mean ratio over {} instances: {mean:.4} (time limit {} s)",
            ratios.len(),
            args.time_limit_secs
        );
    }
    if invalid > 0 {
        bail!("{invalid} plan(s) failed validation");
    }
    Ok(())
}

/// Solves one instance and prints its line; returns its ratio and validity.
fn run_one(args: &Args, file: &Path) -> Result<(Option<f64>, bool)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let instance = JobShop::parse(&text).with_context(|| format!("parsing {}", file.display()))?;
    let model = instance
        .to_model()
        .with_context(|| format!("converting {}", file.display()))?;
    let options = SolveOptions {
        seed: args.seed,
        time_limit: Some(Duration::from_secs_f64(args.time_limit_secs.max(0.0))),
        iteration_limit: args.iterations,
        threads: args.threads,
    };
    let started = Instant::now();
    let solution = solve(&model, &options).with_context(|| format!("solving {}", file.display()))?;
    let elapsed = started.elapsed().as_secs_f64();
    let violations = validate(&model, &solution.plan);
    for v in &violations {
        eprintln!("{}: {v}", file.display());
    }
    let name = file
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let best = instance.best_known();
    let ratio = best
        .filter(|b| *b > 0)
        .map(|b| solution.cost.makespan as f64 / b as f64);
    println!(
        "{:<8} {:>8} {:>8} {:>7} {:>8.2} {:>10}  {}",
        name,
        solution.cost.makespan,
        best.map_or_else(|| "?".into(), |b| b.to_string()),
        ratio.map_or_else(|| "?".into(), |r| format!("{r:.4}")),
        elapsed,
        solution.iterations,
        if violations.is_empty() { "yes" } else { "NO" },
    );
    Ok((ratio, violations.is_empty()))
}

/// The files to run: the named instances, or every `.txt` file in the folder.
fn instance_files(args: &Args) -> Result<Vec<PathBuf>> {
    let dir = resolve_dir(&args.dir);
    if !args.instances.is_empty() {
        return args
            .instances
            .iter()
            .map(|name| {
                let as_path = PathBuf::from(name);
                let file = if as_path.is_file() {
                    as_path
                } else {
                    dir.join(format!("{}.txt", name.trim_end_matches(".txt")))
                };
                if !file.is_file() {
                    bail!(
                        "instance {name:?} not found at {} (set --dir or MES_JSSP_DIR)",
                        file.display()
                    );
                }
                Ok(file)
            })
            .collect();
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("listing {} (set --dir or MES_JSSP_DIR)", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    Ok(files)
}

/// The folder as given, or, when that does not exist (run from elsewhere than
/// the repository root), the same relative path from the repository root.
fn resolve_dir(dir: &Path) -> PathBuf {
    if dir.is_dir() || dir.is_absolute() {
        return dir.to_path_buf();
    }
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidate = repo_root.join(dir);
    if candidate.is_dir() {
        candidate
    } else {
        dir.to_path_buf()
    }
}

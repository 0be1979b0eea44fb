//! The solver's entry point: construction, then tabu search, on one or
//! several threads.
//!
//! A model that is a plain job shop (`Shop::from_model`) goes to the
//! job-shop search (`shop/`), where the threads cooperate through an elite
//! pool; every other model to the general tabu search (`tabu.rs`), one
//! independent search per thread.
//!
//! Determinism: with an iteration limit and no time limit, the plan depends
//! only on the model, the seed and the thread count. Thread `i` searches with
//! its own seed derived from the options' seed (thread 0 uses it unchanged,
//! so one thread is the single-threaded mode). In the general search the best
//! plan wins, ties going to the lower thread index; in the job-shop search the
//! threads exchange solutions only at round barriers, merged in thread order,
//! so no result depends on which thread ran faster. With a time limit, both
//! follow the same trajectory and the clock only decides where it is cut.

use std::time::{Duration, Instant};

use crate::bounds::lower_bound;
use crate::construct::{RULES, construct};
use crate::decode::{DecodeError, Decoder, Sequencing, Timing};
use crate::error::SolveError;
use crate::model::Model;
use crate::plan::{Cost, Plan};
use crate::shop::{Budget, Shop, evolve};
use crate::tabu::{Limits, Outcome, search};

/// Iterations run when neither a time nor an iteration limit is given.
pub const DEFAULT_ITERATIONS: u64 = 20_000;

/// How long and how the solver searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolveOptions {
    /// Seed of the random choices (tie-breaking, tenure, restarts).
    pub seed: u64,
    /// Wall-clock limit of the whole solve, measured from the call (the
    /// construction always completes; the search stops at the limit).
    pub time_limit: Option<Duration>,
    /// Limit on improvement iterations per thread; use it (without a time
    /// limit) for reproducible plans.
    pub iteration_limit: Option<u64>,
    /// Search threads (0 and 1 both mean one, on the calling thread):
    /// independent searches, or on a plain job shop, cooperating ones.
    pub threads: usize,
}

impl Default for SolveOptions {
    /// Seed 0, ten seconds, one thread.
    fn default() -> Self {
        Self {
            seed: 0,
            time_limit: Some(Duration::from_secs(10)),
            iteration_limit: None,
            threads: 1,
        }
    }
}

impl SolveOptions {
    /// Single-threaded and reproducible: `iterations` tabu iterations, no time limit.
    pub fn deterministic(seed: u64, iterations: u64) -> Self {
        Self {
            seed,
            time_limit: None,
            iteration_limit: Some(iterations),
            threads: 1,
        }
    }
}

/// A solved plan and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// The plan: one entry per operation, in operation order.
    pub plan: Plan,
    /// Its objective value.
    pub cost: Cost,
    /// Objective value of the best constructed plan, before improvement.
    pub construction_cost: Cost,
    /// Improvement iterations made (summed over threads).
    pub iterations: u64,
}

/// Schedules every operation of `model`.
pub fn solve(model: &Model, options: &SolveOptions) -> Result<Solution, SolveError> {
    let started = Instant::now();
    let (seq, timing) = best_construction(model)?;
    let construction_cost = timing.cost;
    let iteration_limit = match (options.time_limit, options.iteration_limit) {
        (None, None) => Some(DEFAULT_ITERATIONS),
        (_, limit) => limit,
    };
    let limits = Limits {
        deadline: options.time_limit.map(|t| started + t),
        max_iterations: iteration_limit,
        lower_bound: lower_bound(model),
    };
    let threads = options.threads.max(1);
    if let Some(shop) = Shop::from_model(model) {
        let budget = Budget {
            deadline: limits.deadline,
            max_iterations: limits.max_iterations,
            lower_bound: limits.lower_bound.map(|lb| lb.makespan),
        };
        let seeds: Vec<u64> = (0..threads).map(|i| thread_seed(options.seed, i)).collect();
        let (seqs, iterations) = evolve(&shop, shop.seqs_of(&seq), budget, &seeds);
        let seq = shop.sequencing(&seqs);
        let mut timing = Timing::default();
        Decoder::new(model)
            .decode(model, &seq, &mut timing)
            .map_err(|e| decode_error(model, e))?;
        return Ok(Solution {
            plan: timing.to_plan(&seq),
            cost: timing.cost,
            construction_cost,
            iterations,
        });
    }
    let outcomes: Vec<Outcome> = if threads == 1 {
        vec![search(model, seq, timing, limits, options.seed)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|i| {
                    let (seq, timing) = (seq.clone(), timing.clone());
                    let seed = thread_seed(options.seed, i);
                    scope.spawn(move || search(model, seq, timing, limits, seed))
                })
                .collect();
            // A search thread only panics on a broken internal invariant; pass it on.
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    let iterations = outcomes.iter().map(|o| o.iterations).sum();
    let best = outcomes
        .into_iter()
        .enumerate()
        .min_by_key(|(i, o)| (o.timing.cost, *i))
        .map(|(_, o)| o)
        .expect("at least one search ran, since threads >= 1");
    Ok(Solution {
        plan: best.timing.to_plan(&best.seq),
        cost: best.timing.cost,
        construction_cost,
        iterations,
    })
}

/// Seed of search thread `i`: thread 0 keeps the caller's seed.
fn thread_seed(seed: u64, i: usize) -> u64 {
    seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Runs every dispatch rule and keeps the best decoded result.
pub(crate) fn best_construction(model: &Model) -> Result<(Sequencing, Timing), SolveError> {
    let mut decoder = Decoder::new(model);
    let mut best: Option<(Sequencing, Timing)> = None;
    let mut first_error = None;
    for rule in RULES {
        let seq = match construct(model, rule) {
            Ok(seq) => seq,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        let mut timing = Timing::default();
        if let Err(e) = decoder.decode(model, &seq, &mut timing) {
            first_error.get_or_insert(decode_error(model, e));
            continue;
        }
        if best.as_ref().is_none_or(|(_, t)| timing.cost < t.cost) {
            best = Some((seq, timing));
        }
    }
    match (best, first_error) {
        (Some(best), _) => Ok(best),
        (None, Some(e)) => Err(e),
        (None, None) => Err(SolveError::Unschedulable { op: String::new() }),
    }
}

/// The caller-facing form of a decoding failure.
pub(crate) fn decode_error(model: &Model, e: DecodeError) -> SolveError {
    match e {
        DecodeError::NoFit(op) => SolveError::Unschedulable {
            op: model.ops[op.index()].name.clone(),
        },
        DecodeError::Cycle => SolveError::SequenceCycle,
    }
}

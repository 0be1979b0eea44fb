//! The elite pool, recombination, and threads that cooperate through it.
//!
//! The search runs in rounds. In each round every worker thread takes a
//! start (while the pool fills: the constructed plan or a random one; after
//! that: a child of two pool members) and improves it by one tabu episode of
//! a fixed number of iterations (`local.rs`). At the end of a round the
//! threads meet at a barrier; the episodes' results enter the pool in thread
//! order (a result replaces the worst member when it is better and not
//! already there), and every thread reads the same pool for the next round.
//! When the pool's best has not improved for a number of rounds, the pool
//! has converged: it keeps its best member and fills up again from random
//! starts (this is what gets the 10x10 instances out of their traps).
//!
//! A child keeps the relative order of a random half of the jobs from one
//! parent (at their positions in that parent's start-time order) and takes the
//! other jobs' operations in the other parent's order (job-based order
//! crossover); machine sequences follow that list, so the child is acyclic.
//!
//! Determinism: a round's pool, and so every thread's next start, depends
//! only on the seed, the thread count and the previous rounds, never on which
//! thread finished first. With an iteration limit and no deadline the result
//! is therefore reproducible. With a deadline, the trajectory is the same
//! and only where it is cut depends on the clock.

use std::sync::{Barrier, Mutex};
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Shop;
use super::graph::Schedule;
use super::local::{Found, Local};

/// Members kept in the elite pool.
const POOL: usize = 6;
/// Members the pool holds before children replace random starts.
const POOL_TO_RECOMBINE: usize = 4;
/// Rounds without a better pool best after which the pool is refilled.
const STALE_ROUNDS: u64 = 30;

/// When the search stops.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// Wall-clock deadline.
    pub(crate) deadline: Option<Instant>,
    /// Most tabu iterations per thread.
    pub(crate) max_iterations: Option<u64>,
    /// A makespan that cannot be beaten.
    pub(crate) lower_bound: Option<i64>,
}

#[derive(Debug, Clone)]
struct Member {
    seqs: Vec<Vec<u32>>,
    makespan: i64,
}

/// What the threads share: the pool and each thread's result of the round.
#[derive(Debug)]
struct Shared {
    pool: Vec<Member>,
    results: Vec<Option<Found>>,
    iterations: Vec<u64>,
    stop: bool,
    /// Rounds since the pool's best makespan last improved.
    stale: u64,
}

/// Searches from `start` (acyclic machine sequences) on `threads` threads;
/// returns the best sequences found and the iterations made in all.
pub(crate) fn evolve(
    shop: &Shop,
    start: Vec<Vec<u32>>,
    budget: Budget,
    seeds: &[u64],
) -> (Vec<Vec<u32>>, u64) {
    let threads = seeds.len().max(1);
    let makespan = Schedule::new(shop, start.clone())
        .expect("the start sequences are acyclic")
        .makespan;
    let shared = Mutex::new(Shared {
        pool: Vec::new(),
        results: vec![None; threads],
        iterations: vec![0; threads],
        stale: 0,
        stop: budget.lower_bound.is_some_and(|lb| makespan <= lb),
    });
    let barrier = Barrier::new(threads);
    let start_member = Member {
        seqs: start,
        makespan,
    };
    if threads == 1 {
        worker(shop, &start_member, budget, seeds[0], 0, &shared, &barrier);
    } else {
        std::thread::scope(|scope| {
            for (i, &seed) in seeds.iter().enumerate() {
                let (shared, barrier, start_member) = (&shared, &barrier, &start_member);
                scope.spawn(move || worker(shop, start_member, budget, seed, i, shared, barrier));
            }
        });
    }
    let shared = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    let iterations = shared.iterations.iter().sum();
    let best = shared.pool.into_iter().fold(
        start_member,
        |best, m| if m.makespan < best.makespan { m } else { best },
    );
    (best.seqs, iterations)
}

/// Iterations of one episode: long enough for the tabu search to settle.
/// (Longer episodes, up to whole runs, and shorter ones down to a third,
/// measured no better on the 30x20 and SWV instances; nor did pools of 4 or 10.)
fn episode_length(shop: &Shop) -> u64 {
    (10 * shop.len() as u64).clamp(5_000, 30_000)
}

fn worker(
    shop: &Shop,
    start: &Member,
    budget: Budget,
    seed: u64,
    index: usize,
    shared: &Mutex<Shared>,
    barrier: &Barrier,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut local = Local::new(shop);
    let mut done = 0u64;
    let mut round = 0u64;
    loop {
        let seqs = {
            let sh = shared.lock().unwrap_or_else(|e| e.into_inner());
            if sh.stop {
                return;
            }
            if round == 0 && index == 0 {
                start.seqs.clone()
            } else if sh.pool.len() < POOL_TO_RECOMBINE {
                random_seqs(shop, &mut rng)
            } else {
                let a = rng.random_range(0..sh.pool.len());
                let b = (a + rng.random_range(1..sh.pool.len())) % sh.pool.len();
                crossover(shop, &sh.pool[a].seqs, &sh.pool[b].seqs, &mut rng)
            }
        };
        let mut s = Schedule::new(shop, seqs).expect("starts are acyclic by construction");
        let length = budget.max_iterations.map_or(episode_length(shop), |m| {
            episode_length(shop).min(m.saturating_sub(done))
        });
        let found = local.run(shop, &mut s, length, budget.deadline, &mut rng);
        done += found.iterations;
        {
            let mut sh = shared.lock().unwrap_or_else(|e| e.into_inner());
            sh.iterations[index] = done;
            sh.results[index] = Some(found);
        }
        if barrier.wait().is_leader() {
            let mut sh = shared.lock().unwrap_or_else(|e| e.into_inner());
            merge(&mut sh, budget);
        }
        barrier.wait();
        round += 1;
    }
}

/// Takes the round's results into the pool in thread order and decides
/// whether to go on.
fn merge(sh: &mut Shared, budget: Budget) {
    let mut stop = false;
    let before = sh.pool.iter().map(|m| m.makespan).min();
    for k in 0..sh.results.len() {
        let Some(found) = sh.results[k].take() else {
            continue;
        };
        stop |= found.timed_out || found.optimal;
        stop |= budget.max_iterations.is_some_and(|m| sh.iterations[k] >= m);
        stop |= budget.lower_bound.is_some_and(|lb| found.makespan <= lb);
        if sh
            .pool
            .iter()
            .any(|m| m.makespan == found.makespan && m.seqs == found.seqs)
        {
            continue;
        }
        let member = Member {
            seqs: found.seqs,
            makespan: found.makespan,
        };
        if sh.pool.len() < POOL {
            sh.pool.push(member);
        } else if let Some(worst) = (0..sh.pool.len()).max_by_key(|&i| (sh.pool[i].makespan, i))
            && member.makespan < sh.pool[worst].makespan
        {
            sh.pool[worst] = member;
        }
    }
    sh.stop = stop;
    let after = sh.pool.iter().map(|m| m.makespan).min();
    sh.stale = if after < before || before.is_none() {
        0
    } else {
        sh.stale + 1
    };
    if sh.stale > STALE_ROUNDS {
        // The pool has converged: keep its best, refill it from fresh starts.
        sh.stale = 0;
        let best = (0..sh.pool.len()).min_by_key(|&i| (sh.pool[i].makespan, i));
        if let Some(best) = best {
            let keep = sh.pool.swap_remove(best);
            sh.pool.clear();
            sh.pool.push(keep);
        }
    }
}

/// Operations in start-time order of `seqs` (a topological order).
fn start_order(shop: &Shop, seqs: &[Vec<u32>]) -> Vec<u32> {
    let s = Schedule::new(shop, seqs.to_vec()).expect("pool members are acyclic");
    let mut order = s.order.clone();
    let rank: Vec<usize> = {
        let mut r = vec![0; shop.len()];
        for (k, &op) in s.order.iter().enumerate() {
            r[op as usize] = k;
        }
        r
    };
    order.sort_by_key(|&op| (s.head[op as usize], rank[op as usize]));
    order
}

/// Machine sequences that follow the operation list `list` (which must keep
/// every job's order).
fn seqs_from_list(shop: &Shop, list: &[u32]) -> Vec<Vec<u32>> {
    let mut seqs: Vec<Vec<u32>> = shop.machine_len.iter().map(|&k| Vec::with_capacity(k)).collect();
    for &op in list {
        seqs[shop.machine[op as usize] as usize].push(op);
    }
    seqs
}

/// Job-based order crossover of two parents (see the module comment).
fn crossover(shop: &Shop, a: &[Vec<u32>], b: &[Vec<u32>], rng: &mut ChaCha8Rng) -> Vec<Vec<u32>> {
    let keep: Vec<bool> = (0..shop.jobs).map(|_| rng.random_bool(0.5)).collect();
    let from_a = start_order(shop, a);
    let from_b = start_order(shop, b);
    let mut others = from_b.iter().filter(|&&op| !keep[shop.job[op as usize] as usize]);
    let list: Vec<u32> = from_a
        .iter()
        .map(|&op| {
            if keep[shop.job[op as usize] as usize] {
                op
            } else {
                *others.next().expect("both parents hold the same operations")
            }
        })
        .collect();
    seqs_from_list(shop, &list)
}

/// A random acyclic start: jobs advance one operation at a time in random order.
fn random_seqs(shop: &Shop, rng: &mut ChaCha8Rng) -> Vec<Vec<u32>> {
    let mut tickets: Vec<u32> = (0..shop.len()).map(|op| shop.job[op]).collect();
    tickets.shuffle(rng);
    let mut next: Vec<u32> = shop.job_first.clone();
    let list: Vec<u32> = tickets
        .into_iter()
        .map(|job| {
            let op = next[job as usize];
            next[job as usize] = shop.js[op as usize];
            op
        })
        .collect();
    seqs_from_list(shop, &list)
}

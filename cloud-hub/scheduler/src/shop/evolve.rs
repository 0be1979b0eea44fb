//! Threads that cooperate through one elite pool.
//!
//! The search runs in rounds. In each round every worker thread takes a
//! start (while the pool fills: the constructed plan or a random one; after
//! that: a schedule on the path between two pool members, `relink.rs`) and
//! improves it by one tabu episode of a fixed number of iterations
//! (`local.rs`). At the end of a round the threads meet at a barrier; the
//! episodes' results are offered to the pool in thread order (`pool.rs`
//! decides, by makespan and distance, what stays), and every thread reads the
//! same pool for the next round. The pool's rule for diversity takes the
//! place of restarts: a pool that kept only its best and refilled from random
//! starts after 30 rounds without progress measured worse on the 30x20
//! Taillard instances, with or without it the 10x10 ones reach their optima.
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
use super::pool::{Member, POOL_SIZE, Pool};
use super::relink::relink;

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

/// What the threads share: the pool and each thread's result of the round.
#[derive(Debug)]
struct Shared {
    pool: Pool,
    results: Vec<Option<Found>>,
    iterations: Vec<u64>,
    stop: bool,
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
        pool: Pool::new(POOL_SIZE),
        results: vec![None; threads],
        iterations: vec![0; threads],
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
    let best = match shared.pool.best() {
        Some(m) if m.makespan < start_member.makespan => m.seqs.clone(),
        _ => start_member.seqs,
    };
    (best, iterations)
}

/// Iterations of one episode: long enough for the tabu search to settle.
/// (Half or twice as long, or ending an episode after 3n iterations without
/// improvement instead, measured no better on the 30x20 Taillard instances.)
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
            let members = sh.pool.members();
            if round == 0 && index == 0 {
                start.seqs.clone()
            } else if !sh.pool.is_full() {
                random_seqs(shop, &mut rng)
            } else {
                let a = rng.random_range(0..members.len());
                let b = (a + rng.random_range(1..members.len())) % members.len();
                relink(shop, &members[a].seqs, &members[b].seqs, &mut rng)
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

/// Offers the round's results to the pool in thread order and decides
/// whether to go on.
fn merge(sh: &mut Shared, budget: Budget) {
    let mut stop = false;
    for k in 0..sh.results.len() {
        let Some(found) = sh.results[k].take() else {
            continue;
        };
        stop |= found.timed_out || found.optimal;
        stop |= budget.max_iterations.is_some_and(|m| sh.iterations[k] >= m);
        stop |= budget.lower_bound.is_some_and(|lb| found.makespan <= lb);
        sh.pool.offer(Member {
            seqs: found.seqs,
            makespan: found.makespan,
        });
    }
    sh.stop = stop;
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

/// A random acyclic start: jobs advance one operation at a time in random order.
pub(super) fn random_seqs(shop: &Shop, rng: &mut ChaCha8Rng) -> Vec<Vec<u32>> {
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

//! One tabu-search episode on the N7 neighbourhood of a job shop.
//!
//! Each iteration takes one critical path, estimates every N7 move on it
//! (`moves.rs`), makes the best estimated move that is not tabu (a tabu move
//! is allowed when its estimate beats the best makespan: aspiration; when
//! every move is tabu, a random one is made) and re-times the schedule
//! exactly. A move forbids, for a random tenure, re-creating the machine
//! orders it reversed. Ties go through the episode's seeded generator, so an
//! episode is a function of its start, its length and the generator's state.

use std::time::Instant;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::Shop;
use super::graph::Schedule;
use super::moves::{Move, estimate, n7_moves};

/// How often (in iterations) the wall-clock deadline is read.
const CLOCK_EVERY: u64 = 16;

/// The best schedule an episode found.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Its machine sequences.
    pub(crate) seqs: Vec<Vec<u32>>,
    /// Its makespan.
    pub(crate) makespan: i64,
    /// Iterations made.
    pub(crate) iterations: u64,
    /// Whether the deadline stopped the episode.
    pub(crate) timed_out: bool,
    /// Whether a critical path without blocks proved the schedule optimal.
    pub(crate) optimal: bool,
}

/// A tabu search's memory, kept across the episodes of one worker.
#[derive(Debug)]
pub(crate) struct Local {
    /// Per machine pair `(a, b)`: the iteration until which "`a` before `b`" is forbidden.
    tabu: Vec<u64>,
    offset: Vec<usize>,
    iter: u64,
    tenure: (u64, u64),
    path: Vec<u32>,
    moves: Vec<Move>,
    heads: Vec<i64>,
    pairs: Vec<(u32, u32)>,
}

impl Local {
    /// Empty memory for `shop`.
    pub(crate) fn new(shop: &Shop) -> Self {
        let mut offset = Vec::with_capacity(shop.machine_len.len());
        let mut total = 0;
        for &k in &shop.machine_len {
            offset.push(total);
            total += k * k;
        }
        let machines = shop.machine_len.len().max(1) as u64;
        // Zhang et al.'s tenure has the form c + jobs / machines; c = 6 did
        // better than their 10 (and than 3 or 15) at a fixed iteration budget
        // on the 30x20 Taillard and the SWV instances. Drawn up to half again.
        let base = 6 + shop.jobs as u64 / machines;
        let span = base / 2;
        Local {
            tabu: vec![0; total],
            offset,
            iter: 0,
            tenure: (base, base + span),
            path: Vec::new(),
            moves: Vec::new(),
            heads: Vec::new(),
            pairs: Vec::new(),
        }
    }

    fn key(&self, shop: &Shop, a: u32, b: u32) -> usize {
        let m = shop.machine[a as usize] as usize;
        self.offset[m] + shop.lid[a as usize] as usize * shop.machine_len[m] + shop.lid[b as usize] as usize
    }

    fn is_tabu(&self, shop: &Shop, s: &Schedule, mv: Move) -> bool {
        mv.created_pairs(s)
            .any(|(a, b)| self.tabu[self.key(shop, a, b)] > self.iter)
    }

    /// Runs `iterations` iterations from `s` (or fewer: the deadline, or a
    /// path without blocks, which proves the schedule optimal).
    pub(crate) fn run(
        &mut self,
        shop: &Shop,
        s: &mut Schedule,
        iterations: u64,
        deadline: Option<Instant>,
        rng: &mut ChaCha8Rng,
    ) -> Found {
        // A new episode starts with nothing forbidden.
        self.iter += self.tenure.1 + 1;
        let mut found = Found {
            seqs: s.seqs.clone(),
            makespan: s.makespan,
            iterations: 0,
            timed_out: false,
            optimal: false,
        };
        while found.iterations < iterations {
            if found.iterations.is_multiple_of(CLOCK_EVERY) && deadline.is_some_and(|d| Instant::now() >= d) {
                found.timed_out = true;
                break;
            }
            found.iterations += 1;
            self.iter += 1;
            let Some(mv) = self.choose(shop, s, found.makespan, rng) else {
                // The critical path is one job's chain from a release time:
                // no schedule can end earlier.
                found.optimal = true;
                break;
            };
            self.make(shop, s, mv, rng);
            if s.makespan < found.makespan {
                found.makespan = s.makespan;
                found.seqs.clone_from(&s.seqs);
            }
        }
        found
    }

    /// The move to make, or `None` when the critical path has no block.
    fn choose(&mut self, shop: &Shop, s: &Schedule, best: i64, rng: &mut ChaCha8Rng) -> Option<Move> {
        s.critical_path(shop, &mut self.path);
        let mut moves = std::mem::take(&mut self.moves);
        n7_moves(shop, s, &self.path, &mut moves);
        let mut chosen: Option<(Move, i64)> = None;
        let mut ties = 0u32;
        for &mv in &moves {
            let est = estimate(shop, s, mv, &mut self.heads);
            if est >= best && self.is_tabu(shop, s, mv) {
                continue;
            }
            match chosen {
                Some((_, c)) if est > c => {}
                Some((_, c)) if est == c => {
                    ties += 1;
                    if rng.random_range(0..=ties) == 0 {
                        chosen = Some((mv, est));
                    }
                }
                _ => {
                    ties = 0;
                    chosen = Some((mv, est));
                }
            }
        }
        let pick = match chosen {
            Some((mv, _)) => Some(mv),
            None if moves.is_empty() => None,
            None => Some(moves[rng.random_range(0..moves.len())]),
        };
        self.moves = moves;
        pick
    }

    /// Makes `mv` on `s`, forbidding its reversal for a random tenure.
    fn make(&mut self, shop: &Shop, s: &mut Schedule, mv: Move, rng: &mut ChaCha8Rng) {
        let until = self.iter + rng.random_range(self.tenure.0..=self.tenure.1);
        let mut pairs = std::mem::take(&mut self.pairs);
        pairs.clear();
        pairs.extend(mv.created_pairs(s));
        for &(a, b) in &pairs {
            let key = self.key(shop, b, a);
            self.tabu[key] = until;
        }
        self.pairs = pairs;
        let (m, from, to) = (mv.m as usize, mv.from as usize, mv.to as usize);
        // The acyclicity test is a proof for positive durations only; with
        // zero-length operations a move can close a cycle, which `shift`
        // refuses. The move stays tabu and the search goes on.
        s.shift(shop, m, from, to);
    }
}

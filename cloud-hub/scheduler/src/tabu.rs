//! Improvement: tabu search over critical-block moves.
//!
//! Each iteration evaluates every move of the [`neighbourhood`] (a random
//! sample of them on large models) by applying it, re-decoding what it
//! affects and undoing it, then takes the best move
//! that is not tabu (or is tabu but beats the best solution found: the
//! aspiration rule). A move forbids, for a random tenure, the machine orders
//! it reversed (and an operation's return to the machine it left). After too
//! many iterations without improvement the search jumps back to the best
//! solution, shakes it with a few random moves and goes on.
//!
//! Everything random comes from one seeded ChaCha generator and ties are
//! broken through it, so a run is reproducible for a given seed and
//! iteration limit.

use std::collections::HashMap;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::decode::{Decoder, Sequencing, Timing, positions};
use crate::model::{MachineId, Model, OpId};
use crate::neighbourhood::{Move, neighbourhood};
use crate::plan::Cost;

/// Most moves evaluated per iteration; larger neighbourhoods are sampled.
const MAX_EVALUATED: usize = 64;

/// When the search stops.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Wall-clock deadline.
    pub(crate) deadline: Option<Instant>,
    /// Maximum number of iterations (moves made).
    pub(crate) max_iterations: Option<u64>,
    /// A cost that cannot be beaten: reaching it ends the search.
    pub(crate) lower_bound: Option<Cost>,
}

/// The best solution a search found.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) seq: Sequencing,
    pub(crate) timing: Timing,
    pub(crate) iterations: u64,
}

/// Forbidden machine orders and machine returns, each with its expiry iteration.
#[derive(Debug, Default)]
struct TabuList {
    pairs: HashMap<(OpId, OpId), u64>,
    returns: HashMap<(OpId, MachineId), u64>,
}

impl TabuList {
    fn is_tabu(&self, mv: Move, seq: &Sequencing, iter: u64) -> bool {
        let active = |expiry: Option<&u64>| expiry.is_some_and(|&e| e > iter);
        match mv {
            Move::Reassign { op, machine, .. } => active(self.returns.get(&(op, machine))),
            Move::Shift { .. } => mv.created_pairs(seq).any(|pair| active(self.pairs.get(&pair))),
        }
    }

    /// Records the reverse of what `mv` creates; call before applying it.
    fn record(&mut self, mv: Move, seq: &Sequencing, until: u64) {
        match mv {
            Move::Reassign { op, from_machine, .. } => {
                self.returns.insert((op, from_machine), until);
            }
            Move::Shift { .. } => {
                for (a, b) in mv.created_pairs(seq) {
                    self.pairs.insert((b, a), until);
                }
            }
        }
    }

    fn clear(&mut self) {
        self.pairs.clear();
        self.returns.clear();
    }
}

struct Search<'a> {
    model: &'a Model,
    decoder: Decoder,
    rng: ChaCha8Rng,
    tabu: TabuList,
    cur: Sequencing,
    cur_t: Timing,
    best: Sequencing,
    best_t: Timing,
    cand_t: Timing,
    scratch: Timing,
    pos: Vec<usize>,
    roots: Vec<OpId>,
    iter: u64,
    tenure: (u64, u64),
}

/// Improves `start` (which must decode) until a limit is reached.
pub(crate) fn search(
    model: &Model,
    start: Sequencing,
    start_t: Timing,
    limits: Limits,
    seed: u64,
) -> Outcome {
    let n = model.ops.len() as u64;
    let base = (n as f64).sqrt().round() as u64;
    let base = base.clamp(6, 40);
    let mut s = Search {
        model,
        decoder: Decoder::new(model),
        rng: ChaCha8Rng::seed_from_u64(seed),
        tabu: TabuList::default(),
        best: start.clone(),
        best_t: start_t.clone(),
        cur: start,
        cur_t: start_t,
        cand_t: Timing::default(),
        scratch: Timing::default(),
        pos: Vec::new(),
        roots: Vec::new(),
        iter: 0,
        tenure: (base, base + base / 2),
    };
    let stall_limit = (20 * n).max(2_500);
    let mut stalled = 0u64;
    let mut just_restarted = false;
    while !s.done(&limits) {
        s.iter += 1;
        if !s.step() {
            // No move anywhere around the best solution: nothing left to try.
            if just_restarted {
                break;
            }
            s.restart();
            just_restarted = true;
            continue;
        }
        just_restarted = false;
        if s.cur_t.cost < s.best_t.cost {
            s.best.clone_from(&s.cur);
            s.best_t.clone_from(&s.cur_t);
            stalled = 0;
        } else {
            stalled += 1;
            if stalled > stall_limit {
                stalled = 0;
                s.restart();
            }
        }
    }
    Outcome {
        seq: s.best,
        timing: s.best_t,
        iterations: s.iter,
    }
}

impl Search<'_> {
    fn done(&self, limits: &Limits) -> bool {
        limits.max_iterations.is_some_and(|m| self.iter >= m)
            || limits.lower_bound.is_some_and(|lb| self.best_t.cost <= lb)
            || limits.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Makes one move; false when the neighbourhood is empty or all of it fails to decode.
    fn step(&mut self) -> bool {
        positions(&self.cur, &mut self.pos);
        let mut moves = neighbourhood(self.model, &self.cur, &self.cur_t, &self.pos);
        if moves.len() > MAX_EVALUATED {
            // Large models: evaluate a random sample rather than every move.
            for i in 0..MAX_EVALUATED {
                let j = self.rng.random_range(i..moves.len());
                moves.swap(i, j);
            }
            moves.truncate(MAX_EVALUATED);
        }
        let best_cost = self.best_t.cost;
        let mut chosen: Option<(Move, Cost)> = None;
        let mut ties = 0u32;
        let mut fallback: Option<(Move, Cost)> = None;
        for mv in moves {
            let tabu = self.tabu.is_tabu(mv, &self.cur, self.iter);
            let Some(cost) = self.evaluate(mv) else { continue };
            if tabu && cost >= best_cost {
                if fallback.is_none_or(|(_, c)| cost < c) {
                    fallback = Some((mv, cost));
                }
                continue;
            }
            let better = match chosen {
                None => true,
                Some((_, c)) if cost < c => true,
                Some((_, c)) if cost == c => {
                    ties += 1;
                    self.rng.random_range(0..=ties) == 0
                }
                Some(_) => false,
            };
            if better {
                if chosen.is_none_or(|(_, c)| cost < c) {
                    ties = 0;
                }
                chosen = Some((mv, cost));
                std::mem::swap(&mut self.cand_t, &mut self.scratch);
            }
        }
        let Some((mv, _)) = chosen.or(fallback) else {
            return false;
        };
        if chosen.is_none() && self.evaluate(mv).is_some() {
            std::mem::swap(&mut self.cand_t, &mut self.scratch);
        }
        let until = self.iter + self.rng.random_range(self.tenure.0..=self.tenure.1);
        self.tabu.record(mv, &self.cur, until);
        mv.apply(&mut self.cur);
        std::mem::swap(&mut self.cur_t, &mut self.cand_t);
        true
    }

    /// Cost of the current sequencing with `mv` applied (times left in `scratch`).
    fn evaluate(&mut self, mv: Move) -> Option<Cost> {
        mv.apply(&mut self.cur);
        mv.roots(&self.cur, &mut self.roots);
        let ok = self
            .decoder
            .redecode(self.model, &self.cur, &self.cur_t, &self.roots, &mut self.scratch)
            .is_ok();
        #[cfg(debug_assertions)]
        self.assert_same_as_full_decode(ok);
        mv.undo(&mut self.cur);
        ok.then_some(self.scratch.cost)
    }

    /// Debug builds (and so every test) check incremental against full decoding.
    #[cfg(debug_assertions)]
    fn assert_same_as_full_decode(&mut self, incremental_ok: bool) {
        let mut full = Timing::default();
        let full_ok = Decoder::new(self.model)
            .decode(self.model, &self.cur, &mut full)
            .is_ok();
        assert_eq!(
            incremental_ok, full_ok,
            "incremental and full decoding disagree on feasibility"
        );
        if full_ok {
            assert_eq!(self.scratch.start, full.start, "start times differ");
            assert_eq!(self.scratch.end, full.end, "end times differ");
            assert_eq!(self.scratch.setup, full.setup, "setups differ");
            assert_eq!(self.scratch.link, full.link, "links differ");
            assert_eq!(self.scratch.cost, full.cost, "costs differ");
        }
    }

    /// Back to the best solution, shaken by a few random decodable moves.
    fn restart(&mut self) {
        self.cur.clone_from(&self.best);
        self.cur_t.clone_from(&self.best_t);
        self.tabu.clear();
        let kicks = self.rng.random_range(1..=4);
        for _ in 0..kicks {
            positions(&self.cur, &mut self.pos);
            let moves = neighbourhood(self.model, &self.cur, &self.cur_t, &self.pos);
            if moves.is_empty() {
                return;
            }
            let mv = moves[self.rng.random_range(0..moves.len())];
            if self.evaluate(mv).is_some() {
                mv.apply(&mut self.cur);
                std::mem::swap(&mut self.cur_t, &mut self.scratch);
            }
        }
    }
}

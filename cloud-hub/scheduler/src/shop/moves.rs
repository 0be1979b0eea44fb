//! Critical blocks, the N7 moves on them and their estimated makespans.
//!
//! A block is a maximal run of a critical path's operations that follow each
//! other directly on one machine. Only moves inside blocks can shorten that
//! path. From each block of length `k` the neighbourhood (Zhang et al.'s
//! N7, which extends Nowicki & Smutnicki's N5 and Balas & Vazacopoulos' N6)
//! moves the first operation behind each later one, the last before each
//! earlier one, and every interior operation to the front or the back.
//!
//! A move is kept only when Balas & Vazacopoulos' sufficient condition says it
//! cannot create a cycle: moving `u` right after `v` needs
//! `tail(v) + dur(v) >= tail(JS[u]) + dur(JS[u])`, moving `v` right before
//! `u` needs `head(u) + dur(u) >= head(JP[v]) + dur(JP[v])`.
//!
//! Its makespan is estimated from the current heads and tails: the new heads
//! of the moved segment are recomputed along it from the (unchanged) job
//! predecessors and the operation before the segment, the new tails likewise
//! backwards, and the estimate is the longest `head + dur + tail` in the
//! segment. That costs time in the segment's length only; the search then
//! re-times the chosen move exactly.

use super::graph::Schedule;
use super::{NONE, Shop};

/// Moving the operation at position `from` of machine `m` to position `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Move {
    pub(crate) m: u32,
    pub(crate) from: u32,
    pub(crate) to: u32,
}

impl Move {
    /// The same move written as a swap of adjacent operations when it is one.
    fn new(m: usize, from: usize, to: usize) -> Self {
        Move {
            m: m as u32,
            from: from as u32,
            to: to as u32,
        }
    }

    /// Machine-order pairs `(a, b)` ("`a` before `b`") the move creates.
    pub(crate) fn created_pairs<'a>(self, s: &'a Schedule) -> impl Iterator<Item = (u32, u32)> + 'a {
        let list = &s.seqs[self.m as usize];
        let (from, to) = (self.from as usize, self.to as usize);
        let op = list[from];
        let (range, forward) = if from < to {
            (from + 1..to + 1, true)
        } else {
            (to..from, false)
        };
        list[range]
            .iter()
            .map(move |&x| if forward { (x, op) } else { (op, x) })
    }
}

/// Every N7 move around the critical `path` that passes the acyclicity test.
pub(crate) fn n7_moves(shop: &Shop, s: &Schedule, path: &[u32], out: &mut Vec<Move>) {
    out.clear();
    let mut start = 0;
    while start < path.len() {
        let mut end = start + 1;
        while end < path.len() && s.ms[path[end - 1] as usize] == path[end] {
            end += 1;
        }
        if end - start >= 2 {
            block_moves(shop, s, &path[start..end], out);
        }
        start = end;
    }
}

fn block_moves(shop: &Shop, s: &Schedule, block: &[u32], out: &mut Vec<Move>) {
    let k = block.len();
    let m = shop.machine[block[0] as usize] as usize;
    let p = s.pos[block[0] as usize] as usize;
    // `u` may go right after `v` (both in the block, `u` earlier).
    let after_ok = |u: u32, v: u32| {
        let js = shop.js[u as usize];
        js == NONE || s.to_end(shop, v) >= s.to_end(shop, js)
    };
    // `v` may go right before `u` (both in the block, `u` earlier).
    let before_ok = |u: u32, v: u32| {
        let jp = shop.jp[v as usize];
        jp == NONE || s.end(shop, u) >= s.end(shop, jp)
    };
    let (first, last) = (block[0], block[k - 1]);
    for (j, &v) in block.iter().enumerate().skip(1) {
        if after_ok(first, v) {
            out.push(Move::new(m, p, p + j));
        }
    }
    // For k = 2 the last-before-first move is the swap just added.
    for (j, &u) in block.iter().enumerate().take(k.saturating_sub(2)) {
        if before_ok(u, last) {
            out.push(Move::new(m, p + k - 1, p + j));
        }
    }
    for (j, &x) in block.iter().enumerate().take(k - 1).skip(1) {
        // j = 1 to the front and j = k - 2 to the back repeat moves above.
        if j > 1 && before_ok(first, x) {
            out.push(Move::new(m, p + j, p));
        }
        if j < k - 2 && after_ok(x, last) {
            out.push(Move::new(m, p + j, p + k - 1));
        }
    }
}

/// Estimated makespan of `s` after `mv` (see the module comment); `heads`
/// is scratch space.
pub(crate) fn estimate(shop: &Shop, s: &Schedule, mv: Move, heads: &mut Vec<i64>) -> i64 {
    let list = &s.seqs[mv.m as usize];
    let (from, to) = (mv.from as usize, mv.to as usize);
    let (lo, hi) = (from.min(to), from.max(to));
    let moved = list[from];
    // The operation at position `idx` of the segment after the move.
    let at = |idx: usize| -> u32 {
        if idx == to {
            moved
        } else if from < to {
            list[idx + 1]
        } else {
            list[idx - 1]
        }
    };
    heads.clear();
    let mut ready = if lo > 0 {
        s.end(shop, list[lo - 1])
    } else {
        i64::MIN
    };
    for idx in lo..=hi {
        let x = at(idx);
        let i = x as usize;
        let h = shop.rel[i].max(s.end(shop, shop.jp[i])).max(ready);
        heads.push(h);
        ready = h + shop.dur[i];
    }
    let mut after = list.get(hi + 1).map_or(0, |&nx| s.to_end(shop, nx)).max(0);
    let mut longest = i64::MIN;
    for idx in (lo..=hi).rev() {
        let x = at(idx);
        let i = x as usize;
        let t = after.max(s.to_end(shop, shop.js[i])).max(0);
        longest = longest.max(heads[idx - lo] + shop.dur[i] + t);
        after = t + shop.dur[i];
    }
    longest
}

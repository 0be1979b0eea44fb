//! Keeping a schedule's topological order, heads and tails up to date after
//! one move, in time that grows with what the move changes rather than with
//! the size of the shop.
//!
//! A move on one machine adds exactly one machine arc that runs against the
//! current topological order (for `u` moved behind `v`: `v -> u`; for `v`
//! moved before `u`: `v -> u`). Pearce & Kelly's dynamic topological sort
//! repairs the order for that arc by reordering only the operations between
//! its two ends that are reachable from its head or reach its tail (and
//! finds a cycle if there is one). Heads are then recomputed in that order
//! from the moved segment on, tails backwards from it: no in-degree counting,
//! and only the part of the order the move can influence. The makespan is the
//! latest end of a job's last operation.

use super::graph::Schedule;
use super::work::Work;
use super::{NONE, Shop};

impl Schedule {
    /// Repairs the topological order for the new arc `x -> y` (all other arcs
    /// already respect it); false when the arc closes a cycle (order unchanged).
    pub(super) fn reorder(&mut self, shop: &Shop, x: u32, y: u32) -> bool {
        let (lb, ub) = (self.rank[y as usize], self.rank[x as usize]);
        if lb > ub {
            return true;
        }
        let stamp = self.work.next_stamp();
        let mut w = std::mem::replace(&mut self.work, Work::new(0));
        // Operations reachable from y with rank below x's.
        w.forward.clear();
        w.stack.clear();
        w.stack.push(y);
        w.seen[y as usize] = stamp;
        let mut cycle = false;
        while let Some(a) = w.stack.pop() {
            w.forward.push(a);
            for s in [shop.js[a as usize], self.ms[a as usize]] {
                if s == NONE {
                    continue;
                }
                let r = self.rank[s as usize];
                if s == x {
                    cycle = true;
                } else if r < ub && w.seen[s as usize] != stamp {
                    w.seen[s as usize] = stamp;
                    w.stack.push(s);
                }
            }
        }
        if cycle {
            self.work = w;
            return false;
        }
        // Operations reaching x with rank above y's.
        w.backward.clear();
        w.stack.push(x);
        w.seen[x as usize] = stamp;
        while let Some(a) = w.stack.pop() {
            w.backward.push(a);
            for p in [shop.jp[a as usize], self.mp[a as usize]] {
                if p != NONE && self.rank[p as usize] > lb && w.seen[p as usize] != stamp {
                    w.seen[p as usize] = stamp;
                    w.stack.push(p);
                }
            }
        }
        let rank = &self.rank;
        w.forward.sort_unstable_by_key(|&a| rank[a as usize]);
        w.backward.sort_unstable_by_key(|&a| rank[a as usize]);
        w.ranks.clear();
        w.ranks
            .extend(w.backward.iter().chain(&w.forward).map(|&a| rank[a as usize]));
        w.ranks.sort_unstable();
        for (&a, &r) in w.backward.iter().chain(&w.forward).zip(&w.ranks) {
            self.rank[a as usize] = r;
            self.order[r as usize] = a;
        }
        self.work = w;
        true
    }

    /// Recomputes heads forwards in topological order from the first
    /// operation at positions `lo..` of machine `m` (every operation whose
    /// machine predecessor changed is there, and only their descendants can
    /// get a new head), and tails backwards from the last at positions
    /// `..=hi` likewise. A plain scan of that part of the order costs less
    /// than tracking which times really change, since most of them do.
    pub(super) fn update_times(&mut self, shop: &Shop, m: usize, lo: usize, hi: usize) {
        let list = &self.seqs[m];
        let first = list[lo..=(hi + 1).min(list.len() - 1)]
            .iter()
            .map(|&a| self.rank[a as usize])
            .min()
            .expect("the moved segment is not empty") as usize;
        let last = list[lo.saturating_sub(1)..=hi]
            .iter()
            .map(|&a| self.rank[a as usize])
            .max()
            .expect("the moved segment is not empty") as usize;
        for k in first..self.order.len() {
            let i = self.order[k] as usize;
            self.head[i] = shop.rel[i]
                .max(self.end(shop, shop.jp[i]))
                .max(self.end(shop, self.mp[i]));
        }
        for k in (0..=last).rev() {
            let i = self.order[k] as usize;
            self.tail[i] = self
                .to_end(shop, shop.js[i])
                .max(self.to_end(shop, self.ms[i]))
                .max(0);
        }
        self.makespan = shop
            .job_last
            .iter()
            .map(|&x| self.end(shop, x))
            .max()
            .unwrap_or(0);
    }
}

//! A job-shop schedule as machine sequences, with the heads and tails of its
//! disjunctive graph.
//!
//! The head of an operation is its earliest start (longest path from the
//! source, release times included); its tail is the longest path from its end
//! to the sink. `head + dur + tail` is the length of the longest path through
//! it, so the makespan is the maximum of that sum, and an operation is
//! critical when its sum equals the makespan. A full re-timing is one pass of
//! Kahn's algorithm over the graph, made when a schedule is created; after a
//! move only what it changes is re-timed (`retime.rs`), and candidate moves
//! are only estimated (`moves.rs`).

use super::{NONE, Shop};

/// Machine sequences with their positions, machine links, heads and tails.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    /// Operations of each machine in processing order.
    pub(crate) seqs: Vec<Vec<u32>>,
    /// Position of each operation in its machine's sequence.
    pub(crate) pos: Vec<u32>,
    /// Machine predecessor and successor of each operation (or [`NONE`]).
    pub(crate) mp: Vec<u32>,
    pub(crate) ms: Vec<u32>,
    /// Earliest start of each operation.
    pub(crate) head: Vec<i64>,
    /// Longest path from each operation's end to the end of the schedule.
    pub(crate) tail: Vec<i64>,
    /// Length of the longest path: the makespan.
    pub(crate) makespan: i64,
    /// Operations in a topological order of the graph.
    pub(crate) order: Vec<u32>,
    /// Index of each operation in `order`.
    pub(crate) rank: Vec<u32>,
    pub(super) indeg: Vec<u32>,
    pub(super) stack: Vec<u32>,
    /// Scratch space of the incremental re-timing.
    pub(super) work: super::work::Work,
}

impl Schedule {
    /// The schedule of `seqs`; `None` when the sequences contradict the jobs
    /// (a cycle).
    pub(crate) fn new(shop: &Shop, seqs: Vec<Vec<u32>>) -> Option<Self> {
        let n = shop.len();
        let mut s = Schedule {
            seqs,
            pos: vec![0; n],
            mp: vec![NONE; n],
            ms: vec![NONE; n],
            head: vec![0; n],
            tail: vec![0; n],
            makespan: 0,
            order: Vec::with_capacity(n),
            rank: vec![0; n],
            indeg: vec![0; n],
            stack: Vec::with_capacity(n),
            work: super::work::Work::new(n),
        };
        for m in 0..s.seqs.len() {
            s.relink(m, 0, s.seqs[m].len());
        }
        s.retime(shop).then_some(s)
    }

    /// Sets positions and machine links of machine `m` for positions `lo..hi`
    /// (and the links into them from their neighbours).
    pub(crate) fn relink(&mut self, m: usize, lo: usize, hi: usize) {
        let list = &self.seqs[m];
        for k in lo..hi {
            let op = list[k] as usize;
            self.pos[op] = k as u32;
            self.mp[op] = if k > 0 { list[k - 1] } else { NONE };
            self.ms[op] = list.get(k + 1).copied().unwrap_or(NONE);
        }
        if lo > 0 && lo <= list.len() {
            self.ms[list[lo - 1] as usize] = list.get(lo).copied().unwrap_or(NONE);
        }
        if hi < list.len() && hi > 0 {
            self.mp[list[hi] as usize] = list[hi - 1];
        }
    }

    /// Recomputes heads, tails and the makespan; false on a cycle (then the
    /// times are meaningless until the sequences are repaired).
    pub(crate) fn retime(&mut self, shop: &Shop) -> bool {
        let n = shop.len();
        self.stack.clear();
        self.order.clear();
        for i in 0..n {
            self.indeg[i] = u32::from(shop.jp[i] != NONE) + u32::from(self.mp[i] != NONE);
            if self.indeg[i] == 0 {
                self.stack.push(i as u32);
            }
        }
        while let Some(x) = self.stack.pop() {
            let i = x as usize;
            self.order.push(x);
            let mut h = shop.rel[i];
            for p in [shop.jp[i], self.mp[i]] {
                if p != NONE {
                    h = h.max(self.head[p as usize] + shop.dur[p as usize]);
                }
            }
            self.head[i] = h;
            for s in [shop.js[i], self.ms[i]] {
                if s != NONE {
                    let d = &mut self.indeg[s as usize];
                    *d -= 1;
                    if *d == 0 {
                        self.stack.push(s);
                    }
                }
            }
        }
        if self.order.len() < n {
            return false;
        }
        for (k, &x) in self.order.iter().enumerate() {
            self.rank[x as usize] = k as u32;
        }
        let mut makespan = i64::MIN;
        for &x in self.order.iter().rev() {
            let i = x as usize;
            let mut t = 0;
            for s in [shop.js[i], self.ms[i]] {
                if s != NONE {
                    t = t.max(self.tail[s as usize] + shop.dur[s as usize]);
                }
            }
            self.tail[i] = t;
            makespan = makespan.max(self.head[i] + shop.dur[i] + t);
        }
        self.makespan = makespan;
        true
    }

    /// End of `op` (head plus duration), or `i64::MIN` for [`NONE`].
    pub(crate) fn end(&self, shop: &Shop, op: u32) -> i64 {
        if op == NONE {
            i64::MIN
        } else {
            self.head[op as usize] + shop.dur[op as usize]
        }
    }

    /// Tail plus duration of `op` (the longest path from its start to the
    /// end), or `i64::MIN` for [`NONE`].
    pub(crate) fn to_end(&self, shop: &Shop, op: u32) -> i64 {
        if op == NONE {
            i64::MIN
        } else {
            self.tail[op as usize] + shop.dur[op as usize]
        }
    }

    /// A critical path, as its operations from the first to the last. Among
    /// equally long predecessors the machine one is taken (longer blocks).
    pub(crate) fn critical_path(&self, shop: &Shop, path: &mut Vec<u32>) {
        path.clear();
        let mut cur = *shop
            .job_last
            .iter()
            .find(|&&x| self.end(shop, x) == self.makespan)
            .expect("some job ends at the makespan");
        loop {
            path.push(cur);
            let i = cur as usize;
            let h = self.head[i];
            let (m, j) = (self.mp[i], shop.jp[i]);
            cur = if m != NONE && self.end(shop, m) == h {
                m
            } else if j != NONE && self.end(shop, j) == h {
                j
            } else {
                break;
            };
        }
        path.reverse();
    }

    /// Moves the operation at position `from` of machine `m` to position `to`
    /// and re-times what that changes. Returns false, leaving the schedule
    /// as it was, when the move would make a cycle.
    pub(crate) fn shift(&mut self, shop: &Shop, m: usize, from: usize, to: usize) -> bool {
        let list = &mut self.seqs[m];
        let op = list.remove(from);
        list.insert(to, op);
        let (lo, hi) = (from.min(to), from.max(to));
        self.relink(m, lo, hi + 1);
        // The one new machine arc that goes against the topological order.
        let (x, y) = if from < to {
            (self.seqs[m][hi - 1], op)
        } else {
            (op, self.seqs[m][lo + 1])
        };
        if !self.reorder(shop, x, y) {
            let list = &mut self.seqs[m];
            let op = list.remove(to);
            list.insert(from, op);
            self.relink(m, lo, hi + 1);
            return false;
        }
        self.update_times(shop, m, lo, hi);
        #[cfg(debug_assertions)]
        self.assert_same_as_full_retime(shop);
        true
    }

    /// Debug builds (and so every test) check incremental against full re-timing.
    #[cfg(debug_assertions)]
    fn assert_same_as_full_retime(&self, shop: &Shop) {
        let mut full = self.clone();
        assert!(full.retime(shop), "the incrementally kept schedule is acyclic");
        assert_eq!(self.head, full.head, "heads differ");
        assert_eq!(self.tail, full.tail, "tails differ");
        assert_eq!(self.makespan, full.makespan, "makespans differ");
        for x in 0..shop.len() {
            for s in [shop.js[x], self.ms[x]] {
                if s != NONE {
                    assert!(self.rank[x] < self.rank[s as usize], "order is not topological");
                }
            }
        }
    }
}

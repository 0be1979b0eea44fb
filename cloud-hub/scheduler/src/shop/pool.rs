//! The elite pool: good schedules that differ from each other.
//!
//! A pool that keeps only the best makespans fills up with near copies of
//! one schedule, and recombining copies leads back to the same trap (this is
//! what kept the 30x20 Taillard instances 3-4 % above their best known). So
//! a new schedule is judged by its makespan and by its distance to the pool,
//! as in Peng, Lü & Cheng's TS/PR (2015): when the pool is full, the member
//! with the lowest goodness score leaves, where the score weighs the rank of
//! its makespan (`QUALITY_WEIGHT`) and of its distance to the nearest other
//! member (the rest). The best member never leaves, and a schedule already in
//! the pool is not added again.
//!
//! The distance of two schedules is the number of machine positions that
//! hold different operations (each path-relinking swap removes at least one).

/// Weight of the makespan in the goodness score (the rest is distance).
const QUALITY_WEIGHT: f64 = 0.6;

/// Members kept. TS/PR keeps 30; with the episodes of a 10 s run, 10 did
/// better on the 30x20 Taillard instances than 6, 15 or 30.
pub(crate) const POOL_SIZE: usize = 10;

/// A schedule in the pool.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    /// Machine sequences.
    pub(crate) seqs: Vec<Vec<u32>>,
    /// Their makespan.
    pub(crate) makespan: i64,
}

/// Schedules kept for recombination, at most `capacity`.
#[derive(Debug)]
pub(crate) struct Pool {
    members: Vec<Member>,
    capacity: usize,
}

/// Machine positions at which `a` and `b` hold different operations.
pub(crate) fn distance(a: &[Vec<u32>], b: &[Vec<u32>]) -> usize {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.iter().zip(y).filter(|(p, q)| p != q).count())
        .sum()
}

impl Pool {
    /// An empty pool for at most `capacity` members.
    pub(crate) fn new(capacity: usize) -> Self {
        Pool {
            members: Vec::with_capacity(capacity + 1),
            capacity: capacity.max(1),
        }
    }

    /// The members.
    pub(crate) fn members(&self) -> &[Member] {
        &self.members
    }

    /// Whether the pool holds as many members as it may.
    pub(crate) fn is_full(&self) -> bool {
        self.members.len() >= self.capacity
    }

    /// The best member (lowest makespan, earliest added among equals).
    pub(crate) fn best(&self) -> Option<&Member> {
        self.members
            .iter()
            .enumerate()
            .min_by_key(|(i, m)| (m.makespan, *i))
            .map(|(_, m)| m)
    }

    /// Offers `candidate`; returns whether it stayed in the pool.
    pub(crate) fn offer(&mut self, candidate: Member) -> bool {
        if self
            .members
            .iter()
            .any(|m| m.makespan == candidate.makespan && m.seqs == candidate.seqs)
        {
            return false;
        }
        self.members.push(candidate);
        if self.members.len() <= self.capacity {
            return true;
        }
        let leaving = self.least_good();
        self.members.remove(leaving);
        leaving != self.members.len()
    }

    /// Index of the member with the lowest goodness score (never the best).
    fn least_good(&self) -> usize {
        let n = self.members.len();
        let mut nearest = vec![usize::MAX; n];
        for i in 0..n {
            for j in i + 1..n {
                let d = distance(&self.members[i].seqs, &self.members[j].seqs);
                nearest[i] = nearest[i].min(d);
                nearest[j] = nearest[j].min(d);
            }
        }
        let (f_min, f_max) = min_max(self.members.iter().map(|m| m.makespan));
        let (d_min, d_max) = min_max(nearest.iter().map(|&d| d as i64));
        let score = |i: usize| {
            let quality = (f_max - self.members[i].makespan) as f64 / (f_max - f_min + 1) as f64;
            let spread = (nearest[i] as i64 - d_min) as f64 / (d_max - d_min + 1) as f64;
            QUALITY_WEIGHT * quality + (1.0 - QUALITY_WEIGHT) * spread
        };
        let best = (0..n)
            .min_by_key(|&i| (self.members[i].makespan, i))
            .expect("the pool is not empty");
        (0..n)
            .filter(|&i| i != best)
            // Lowest score; among equals the worse makespan, then the later one.
            .min_by(|&a, &b| {
                score(a)
                    .total_cmp(&score(b))
                    .then(self.members[b].makespan.cmp(&self.members[a].makespan))
                    .then(b.cmp(&a))
            })
            .expect("a full pool holds more than the best")
    }
}

fn min_max(values: impl Iterator<Item = i64>) -> (i64, i64) {
    values.fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(makespan: i64, seqs: &[&[u32]]) -> Member {
        Member {
            seqs: seqs.iter().map(|s| s.to_vec()).collect(),
            makespan,
        }
    }

    #[test]
    fn distance_counts_differing_positions() {
        let a = [vec![0, 1, 2], vec![3, 4]];
        let b = [vec![1, 0, 2], vec![3, 4]];
        assert_eq!(distance(&a, &a), 0);
        assert_eq!(distance(&a, &b), 2);
    }

    #[test]
    fn a_copy_is_refused_and_the_best_always_stays() {
        let mut pool = Pool::new(2);
        assert!(pool.offer(member(10, &[&[0, 1, 2, 3]])));
        assert!(!pool.offer(member(10, &[&[0, 1, 2, 3]])), "a copy is not added");
        assert!(pool.offer(member(12, &[&[3, 2, 1, 0]])));
        // Far from both but worst: the score decides between it and the 12.
        pool.offer(member(14, &[&[1, 0, 3, 2]]));
        assert_eq!(pool.members().len(), 2);
        assert_eq!(pool.best().map(|m| m.makespan), Some(10));
    }

    #[test]
    fn a_near_copy_of_a_good_member_loses_to_a_distant_one() {
        let mut pool = Pool::new(3);
        pool.offer(member(10, &[&[0, 1, 2, 3, 4, 5]]));
        pool.offer(member(11, &[&[5, 4, 3, 2, 1, 0]]));
        pool.offer(member(12, &[&[2, 3, 0, 1, 5, 4]]));
        // As good as the second member but one swap from the best.
        let stayed = pool.offer(member(11, &[&[1, 0, 2, 3, 4, 5]]));
        assert!(!stayed, "the near copy leaves");
        let makespans: Vec<i64> = pool.members().iter().map(|m| m.makespan).collect();
        assert_eq!(makespans, vec![10, 11, 12]);
    }
}

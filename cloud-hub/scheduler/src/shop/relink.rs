//! Path relinking: a start between two pool members.
//!
//! From the initiating schedule, each step takes a random machine position at
//! which it differs from the guiding schedule and swaps in the operation the
//! guide has there (two shifts on that machine; a swap that would close a
//! cycle is skipped). Each step brings the schedule one position or more
//! closer to the guide. Of the schedules passed between a quarter and a half
//! of the way, the one with the lowest makespan is the next start: far enough
//! from the initiating schedule to leave its valley, near enough to keep much
//! of what both parents share (Peng, Lü & Cheng 2015).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::Shop;
use super::graph::Schedule;

/// Machine positions where two schedules differ, below which relinking is
/// pointless and a few random swaps are made instead.
const TOO_CLOSE: usize = 8;

/// A start on the path from `from` towards `guide` (both acyclic).
pub(crate) fn relink(
    shop: &Shop,
    from: &[Vec<u32>],
    guide: &[Vec<u32>],
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<u32>> {
    let mut s = Schedule::new(shop, from.to_vec()).expect("pool members are acyclic");
    let mut differ: Vec<(u32, u32)> = Vec::new();
    for (m, (mine, theirs)) in from.iter().zip(guide).enumerate() {
        for (p, (a, b)) in mine.iter().zip(theirs).enumerate() {
            if a != b {
                differ.push((m as u32, p as u32));
            }
        }
    }
    let total = differ.len();
    if total < TOO_CLOSE {
        return perturb(shop, s, rng);
    }
    let (first, last) = (total / 4, total / 2);
    let mut best: Option<(i64, Vec<Vec<u32>>)> = None;
    let mut steps = 0;
    while steps < last && !differ.is_empty() {
        let k = rng.random_range(0..differ.len());
        let (m, p) = differ.swap_remove(k);
        let (m, p) = (m as usize, p as usize);
        let wanted = guide[m][p];
        if s.seqs[m][p] == wanted {
            continue;
        }
        let q = s.pos[wanted as usize] as usize;
        if !swap(shop, &mut s, m, p.min(q), p.max(q)) {
            continue;
        }
        steps += 1;
        if steps >= first && best.as_ref().is_none_or(|(b, _)| s.makespan < *b) {
            best = Some((s.makespan, s.seqs.clone()));
        }
    }
    best.map_or(s.seqs, |(_, seqs)| seqs)
}

/// Swaps the operations at positions `i < j` of machine `m`; false (schedule
/// unchanged) when that would close a cycle.
fn swap(shop: &Shop, s: &mut Schedule, m: usize, i: usize, j: usize) -> bool {
    if !s.shift(shop, m, j, i) {
        return false;
    }
    if j == i + 1 || s.shift(shop, m, i + 1, j) {
        return true;
    }
    let undone = s.shift(shop, m, i, j);
    debug_assert!(undone, "moving an operation back restores an acyclic schedule");
    false
}

/// A few random adjacent swaps, for two members too close to relink.
fn perturb(shop: &Shop, mut s: Schedule, rng: &mut ChaCha8Rng) -> Vec<Vec<u32>> {
    for _ in 0..TOO_CLOSE {
        let m = rng.random_range(0..s.seqs.len());
        let len = s.seqs[m].len();
        if len >= 2 {
            let i = rng.random_range(0..len - 1);
            swap(shop, &mut s, m, i, i + 1);
        }
    }
    s.seqs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jssp::JobShop;
    use crate::shop::pool::distance;
    use rand::SeedableRng;

    /// Fisher & Thompson's 6x6 instance.
    const FT06: &str = "6 6
2 1 0 3 1 6 3 7 5 3 4 6
1 8 2 5 4 10 5 10 0 10 3 4
2 5 3 4 5 8 0 9 1 1 4 7
1 5 0 5 2 5 3 3 4 8 5 9
2 9 1 3 4 5 5 4 0 3 3 1
1 3 3 3 5 9 0 10 4 4 2 1
";

    fn ft06() -> Shop {
        let model = JobShop::parse(FT06).expect("valid").to_model().expect("model");
        Shop::from_model(&model).expect("a job shop")
    }

    #[test]
    fn the_start_lies_between_its_parents() {
        let shop = ft06();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let a = super::super::evolve::random_seqs(&shop, &mut rng);
        let b = super::super::evolve::random_seqs(&shop, &mut rng);
        let d = distance(&a, &b);
        assert!(d >= TOO_CLOSE, "two random schedules of ft06 differ ({d})");
        let c = relink(&shop, &a, &b, &mut rng);
        assert!(Schedule::new(&shop, c.clone()).is_some(), "the start is acyclic");
        assert!(distance(&c, &b) < d, "closer to the guide than the parent was");
        assert!(distance(&a, &c) > 0, "not the initiating parent itself");
    }
}

//! How many tenants each replica does: the pure rule the lease keeper
//! follows every round.
//!
//! With `t` tenants and `r` live replicas each replica holds at most
//! `ceil(t / r)` leases: it takes free ones while under that share and
//! gives the extra up while over it (a replica that joins makes the
//! others' share smaller; one that dies makes it larger, and its leases
//! expire for the others to take). The shares add up to at least `t`, so
//! every tenant finds a holder; no replica does all tenants while others
//! are alive (for `t > 1`).

/// The most leases one of `replicas` live replicas holds of `tenants`.
pub fn share(tenants: usize, replicas: usize) -> usize {
    tenants.div_ceil(replicas.max(1))
}

/// What a replica holding `held` leases does this round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjust {
    /// Take up to this many free leases.
    Take(usize),
    /// Give this many leases up.
    Release(usize),
    /// Hold what it holds.
    Keep,
}

/// The round's decision for a replica holding `held` of `tenants`
/// tenants, `replicas` replicas alive (itself included).
pub fn adjust(held: usize, tenants: usize, replicas: usize) -> Adjust {
    let share = share(tenants, replicas);
    match held.cmp(&share) {
        std::cmp::Ordering::Less => Adjust::Take(share - held),
        std::cmp::Ordering::Greater => Adjust::Release(held - share),
        std::cmp::Ordering::Equal => Adjust::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_every_tenant_and_none_does_all_while_others_live() {
        for tenants in 0..40 {
            for replicas in 1..8 {
                let s = share(tenants, replicas);
                assert!(s * replicas >= tenants, "{tenants} tenants, {replicas} replicas");
                assert!(s <= tenants.div_ceil(replicas));
                if tenants > 1 && replicas > 1 {
                    assert!(
                        s < tenants,
                        "{tenants} tenants, {replicas} replicas: one would do all"
                    );
                }
            }
        }
    }

    #[test]
    fn a_replica_takes_up_to_its_share_and_gives_the_extra_up() {
        assert_eq!(adjust(0, 6, 3), Adjust::Take(2));
        assert_eq!(adjust(6, 6, 3), Adjust::Release(4));
        assert_eq!(adjust(2, 6, 3), Adjust::Keep);
        // One of three died: the two left take its tenants.
        assert_eq!(adjust(2, 6, 2), Adjust::Take(1));
        assert_eq!(adjust(0, 0, 1), Adjust::Keep);
    }
}

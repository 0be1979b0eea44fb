//! The request planner: examples at the limits, and properties over random
//! tag sets (coverage, limits, no needless splits).

use super::*;
use proptest::prelude::*;

const HR: Area = Area::HoldingRegister;

fn span(area: Area, start: u16, count: u16) -> Span {
    Span { area, start, count }
}

fn limits(max_registers: u16, max_register_gap: u16) -> PlanLimits {
    PlanLimits::new(
        max_registers,
        MAX_READ_BITS,
        max_register_gap,
        DEFAULT_MAX_BIT_GAP,
    )
    .expect("valid limits")
}

fn plan(tags: &[Span], limits: &PlanLimits) -> ReadPlan {
    plan_reads(tags, limits).unwrap_or_else(|e| panic!("{tags:?} should plan: {e}"))
}

fn blocks(tags: &[Span], limits: &PlanLimits) -> Vec<(Area, u16, u16)> {
    plan(tags, limits)
        .blocks
        .iter()
        .map(|b| (b.area, b.start, b.count))
        .collect()
}

#[test]
fn no_tags_need_no_requests() {
    assert_eq!(
        plan(&[], &PlanLimits::default()),
        ReadPlan {
            blocks: vec![],
            placements: vec![]
        }
    );
}

#[test]
fn gaps_up_to_the_limit_are_bridged() {
    let d = PlanLimits::default();
    assert_eq!(blocks(&[span(HR, 0, 2), span(HR, 10, 2)], &d), vec![(HR, 0, 12)]);
    assert_eq!(
        blocks(&[span(HR, 0, 2), span(HR, 11, 2)], &d),
        vec![(HR, 0, 2), (HR, 11, 2)]
    );
    assert_eq!(
        blocks(&[span(HR, 0, 2), span(HR, 3, 2)], &limits(125, 0)),
        vec![(HR, 0, 2), (HR, 3, 2)]
    );
    assert_eq!(
        blocks(&[span(HR, 0, 2), span(HR, 2, 2)], &limits(125, 0)),
        vec![(HR, 0, 4)]
    );
    let coils = [
        span(Area::Coil, 0, 1),
        span(Area::Coil, 33, 1),
        span(Area::Coil, 67, 1),
    ];
    assert_eq!(blocks(&coils, &d), vec![(Area::Coil, 0, 34), (Area::Coil, 67, 1)]);
}

#[test]
fn blocks_stop_at_the_request_limit() {
    let wide = limits(125, 200);
    assert_eq!(
        blocks(&[span(HR, 0, 1), span(HR, 124, 1)], &wide),
        vec![(HR, 0, 125)]
    );
    assert_eq!(
        blocks(&[span(HR, 0, 1), span(HR, 124, 2)], &wide),
        vec![(HR, 0, 1), (HR, 124, 2)]
    );
    assert_eq!(
        blocks(&[span(HR, 0, 1), span(HR, 9, 1)], &limits(9, 8)),
        vec![(HR, 0, 1), (HR, 9, 1)]
    );
    let bits: Vec<Span> = (0..2001).map(|i| span(Area::DiscreteInput, i, 1)).collect();
    assert_eq!(
        blocks(&bits, &PlanLimits::default()),
        vec![(Area::DiscreteInput, 0, 2000), (Area::DiscreteInput, 2000, 1)]
    );
}

#[test]
fn areas_are_never_merged() {
    let tags = [
        span(Area::InputRegister, 0, 2),
        span(HR, 0, 2),
        span(Area::Coil, 0, 1),
        span(HR, 2, 2),
    ];
    assert_eq!(
        blocks(&tags, &PlanLimits::default()),
        vec![(Area::Coil, 0, 1), (HR, 0, 4), (Area::InputRegister, 0, 2)]
    );
}

#[test]
fn placements_follow_input_order_and_slice_replies() {
    let tags = [
        span(HR, 104, 2),
        span(HR, 100, 1),
        span(HR, 100, 1),
        span(Area::Coil, 7, 1),
    ];
    let plan = plan(&tags, &PlanLimits::default());
    assert_eq!(
        plan.blocks,
        vec![
            ReadBlock {
                area: Area::Coil,
                start: 7,
                count: 1
            },
            ReadBlock {
                area: HR,
                start: 100,
                count: 6
            },
        ]
    );
    assert_eq!(
        plan.placements,
        vec![
            Placement {
                block: 1,
                offset: 4,
                count: 2
            },
            Placement {
                block: 1,
                offset: 0,
                count: 1
            },
            Placement {
                block: 1,
                offset: 0,
                count: 1
            },
            Placement {
                block: 0,
                offset: 0,
                count: 1
            },
        ]
    );
    let reply = [10_u16, 11, 12, 13, 14, 15];
    assert_eq!(
        plan.placements.first().and_then(|p| p.slice(&reply)),
        Some(&[14_u16, 15][..])
    );
    assert_eq!(
        plan.placements.first().and_then(|p| p.slice(&reply[..5])),
        None,
        "short reply"
    );
}

#[test]
fn the_last_address_is_reachable_but_not_passed() {
    assert_eq!(
        blocks(&[span(HR, 65534, 2), span(HR, 65530, 1)], &PlanLimits::default()),
        vec![(HR, 65530, 6)]
    );
    let err =
        plan_reads(&[span(HR, 1, 1), span(HR, 65535, 2)], &PlanLimits::default()).expect_err("past end");
    assert_eq!(
        err.to_string(),
        "tag #1: 2 registers from holding register 65535 run past the last address 65535"
    );
}

#[test]
fn tags_the_planner_cannot_place_are_named() {
    let err = plan_reads(&[span(HR, 10, 100)], &limits(64, 8)).expect_err("too long");
    assert_eq!(
        err.to_string(),
        "tag #0: 100 registers from holding register 10 exceed the limit of 64 per request"
    );
    let err = plan_reads(&[span(Area::Coil, 3, 0)], &PlanLimits::default()).expect_err("empty");
    assert_eq!(err.to_string(), "tag #0 at coil 3 occupies no addresses");
}

fn arb_area() -> impl Strategy<Value = Area> {
    prop::sample::select(Area::ALL.to_vec())
}

/// Tags clustered in a small address range so that merging is exercised,
/// sometimes near the end of the address space.
fn arb_tags() -> impl Strategy<Value = Vec<Span>> {
    let base = prop_oneof![Just(0_u32), Just(65536 - 600), 0_u32..65000];
    (
        base,
        prop::collection::vec((arb_area(), 0_u32..600, 1_u32..=130), 0..40),
    )
        .prop_map(|(base, raw)| {
            raw.into_iter()
                .filter_map(|(area, at, count)| {
                    let count = if area.is_bits() {
                        count * 15
                    } else {
                        count.min(125)
                    };
                    let start = (base + at).min(65535);
                    let count = count.min(65536 - start);
                    Some(Span {
                        area,
                        start: u16::try_from(start).ok()?,
                        count: u16::try_from(count).ok()?,
                    })
                })
                .collect()
        })
}

/// Full-size requests (so every generated tag fits) with random gaps.
fn arb_limits() -> impl Strategy<Value = PlanLimits> {
    (0_u16..40, 0_u16..100).prop_map(|(rg, bg)| {
        PlanLimits::new(MAX_READ_REGISTERS, MAX_READ_BITS, rg, bg).expect("within protocol maxima")
    })
}

fn arb_small_limits() -> impl Strategy<Value = PlanLimits> {
    (1_u16..=125, 1_u16..=2000, 0_u16..40, 0_u16..100)
        .prop_map(|(r, b, rg, bg)| PlanLimits::new(r, b, rg, bg).expect("within protocol maxima"))
}

/// Checks every guarantee `plan_reads` documents, given that all tags fit
/// the limits.
fn check_plan(tags: &[Span], limits: &PlanLimits, plan: &ReadPlan) -> Result<(), TestCaseError> {
    prop_assert_eq!(plan.placements.len(), tags.len());
    for (tag, placement) in tags.iter().zip(&plan.placements) {
        let block = plan
            .blocks
            .get(placement.block)
            .ok_or_else(|| TestCaseError::fail("no such block"))?;
        prop_assert_eq!(block.area, tag.area);
        prop_assert_eq!(
            u32::from(block.start) + u32::from(placement.offset),
            u32::from(tag.start)
        );
        prop_assert_eq!(placement.count, tag.count);
        prop_assert!(tag.end() <= block.end(), "{:?} not inside {:?}", tag, block);
    }
    for (index, block) in plan.blocks.iter().enumerate() {
        prop_assert!(
            block.count >= 1 && block.count <= limits.max_count(block.area),
            "{:?}",
            block
        );
        prop_assert!(block.end() <= 65536);
        // The tags of this block cover it, with no unused run above the gap.
        let mut members: Vec<&Span> = tags
            .iter()
            .zip(&plan.placements)
            .filter(|(_, p)| p.block == index)
            .map(|(t, _)| t)
            .collect();
        members.sort_by_key(|t| t.start);
        prop_assert_eq!(members.first().map(|t| t.start), Some(block.start));
        let mut covered = u32::from(block.start);
        for tag in members {
            let gap = u32::from(tag.start).saturating_sub(covered);
            prop_assert!(
                gap <= u32::from(limits.max_gap(block.area)),
                "gap {} in {:?}",
                gap,
                block
            );
            covered = covered.max(tag.end());
        }
        prop_assert_eq!(covered, block.end());
    }
    for pair in plan.blocks.windows(2) {
        let [a, b] = pair else { continue };
        prop_assert!((a.area, a.start) <= (b.area, b.start), "blocks out of order");
        if a.area == b.area {
            let gap = u32::from(b.start).saturating_sub(a.end());
            let merged = a.end().max(b.end()) - u32::from(a.start);
            prop_assert!(
                gap > u32::from(limits.max_gap(a.area)) || merged > u32::from(limits.max_count(a.area)),
                "{:?} and {:?} could have been one request",
                a,
                b
            );
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn plans_cover_every_tag_within_limits_without_needless_splits(tags in arb_tags(), limits in arb_limits()) {
        let plan = plan_reads(&tags, &limits).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_plan(&tags, &limits, &plan)?;
    }

    #[test]
    fn plans_with_small_limits_are_sound_or_name_the_oversized_tag(
        tags in arb_tags(),
        limits in arb_small_limits(),
    ) {
        match plan_reads(&tags, &limits) {
            Ok(plan) => check_plan(&tags, &limits, &plan)?,
            Err(PlanError::TooLong { index, tag, max }) => {
                prop_assert_eq!(tags.get(index), Some(&tag));
                prop_assert!(tag.count > max);
            }
            Err(other) => prop_assert!(false, "unexpected {}", other),
        }
    }

    #[test]
    fn disjoint_tags_give_disjoint_blocks(
        area in arb_area(),
        layout in prop::collection::vec((0_u16..20, 1_u16..5), 1..60),
    ) {
        let mut next = 0_u16;
        let tags: Vec<Span> = layout
            .into_iter()
            .map(|(gap, count)| {
                let tag = Span { area, start: next + gap, count };
                next = next + gap + count;
                tag
            })
            .collect();
        let plan = plan_reads(&tags, &PlanLimits::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for pair in plan.blocks.windows(2) {
            let [a, b] = pair else { continue };
            prop_assert!(a.end() <= u32::from(b.start), "{:?} overlaps {:?}", a, b);
        }
    }

    #[test]
    fn tags_within_one_request_with_small_gaps_make_one_block(
        area in arb_area(),
        window in 0_u16..65000,
        layout in prop::collection::vec((0_u16..=8, 1_u16..=4), 1..40),
        shuffle in any::<prop::sample::Index>(),
    ) {
        let limits = PlanLimits::default();
        let mut tags = Vec::new();
        let mut next = u32::from(window);
        for (gap, count) in layout {
            let start = next + u32::from(gap);
            let end = start + u32::from(count);
            if end - u32::from(window) > u32::from(MAX_READ_REGISTERS) || end > 65536 {
                break;
            }
            tags.push(Span { area, start: u16::try_from(start).map_err(|e| TestCaseError::fail(e.to_string()))?, count });
            next = end;
        }
        prop_assume!(!tags.is_empty());
        let len = tags.len();
        tags.rotate_left(shuffle.index(len));
        let plan = plan_reads(&tags, &limits).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(plan.blocks.len(), 1, "{:?}", plan.blocks);
    }
}

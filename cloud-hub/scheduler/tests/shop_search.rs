//! The job-shop search (models that are plain job shops take the fast path
//! in `src/shop/`): its plans pass the validator, it is reproducible for a
//! seed and thread count, and it still finds the best known makespans of the
//! small classic instances.

use std::path::PathBuf;

use mes_scheduler::jssp::JobShop;
use mes_scheduler::{Model, OpId, SolveOptions, solve, validate};
use proptest::prelude::*;

/// Per job, its operations as (machine, duration).
type Jobs = Vec<Vec<(usize, i64)>>;

/// A job shop: machines, jobs, and release times of the jobs.
fn job_shop() -> impl Strategy<Value = (usize, Jobs, Vec<i64>)> {
    (2usize..6).prop_flat_map(|machines| {
        let job = proptest::collection::vec((0..machines, 0i64..25), 1..=machines);
        let jobs = proptest::collection::vec(job, 2..9);
        (
            Just(machines),
            jobs.clone(),
            proptest::collection::vec(0i64..40, 9),
        )
    })
}

/// The model of a job shop, its first operations released at the given times.
fn model_of(machines: usize, jobs: &[Vec<(usize, i64)>], releases: &[i64]) -> Model {
    let text = JobShop {
        machines,
        jobs: jobs.to_vec(),
        optimum: None,
        upper_bound: None,
        lower_bound: None,
    };
    let plain = text.to_model().expect("valid job shop");
    let ids: Vec<OpId> = plain.op_ids().collect();
    let mut b = plain.to_builder();
    let firsts: Vec<usize> = jobs
        .iter()
        .scan(0, |next, job| {
            let first = *next;
            *next += job.len();
            Some(first)
        })
        .collect();
    for (first, release) in firsts.into_iter().zip(releases) {
        if let Some(op) = b.operation_mut(ids[first]) {
            op.earliest_start = *release;
        }
    }
    b.build().expect("valid model")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn job_shop_plans_pass_the_validator((machines, jobs, releases) in job_shop(), seed in 0u64..4, threads in 1usize..3) {
        let model = model_of(machines, &jobs, &releases);
        let options = SolveOptions { threads, ..SolveOptions::deterministic(seed, 400) };
        let solution = solve(&model, &options).expect("a job shop is schedulable");
        prop_assert_eq!(validate(&model, &solution.plan), vec![]);
        prop_assert_eq!(solution.plan.cost(&model), solution.cost);
        prop_assert!(solution.cost <= solution.construction_cost);
    }

    #[test]
    fn job_shop_search_is_reproducible_per_seed_and_thread_count((machines, jobs, releases) in job_shop(), seed in any::<u64>(), threads in 1usize..4) {
        let model = model_of(machines, &jobs, &releases);
        let options = SolveOptions { threads, ..SolveOptions::deterministic(seed, 3_000) };
        let first = solve(&model, &options).expect("a job shop is schedulable");
        let second = solve(&model, &options).expect("a job shop is schedulable");
        prop_assert_eq!(first, second);
    }
}

/// A 10-job, 10-machine job shop from a fixed linear congruential generator.
fn generated_shop() -> Model {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let jobs: Jobs = (0..10)
        .map(|_| {
            let mut machines: Vec<usize> = (0..10).collect();
            for k in (1..machines.len()).rev() {
                machines.swap(k, next(k as u64 + 1) as usize);
            }
            machines.into_iter().map(|m| (m, 1 + next(60) as i64)).collect()
        })
        .collect();
    model_of(10, &jobs, &[])
}

#[test]
fn cooperating_threads_give_the_same_plan_for_the_same_seed() {
    let model = generated_shop();
    for threads in [2, 3] {
        // Several episodes per thread, so the shared pool takes part.
        let options = SolveOptions {
            threads,
            ..SolveOptions::deterministic(7, 16_000)
        };
        let first = solve(&model, &options).expect("schedulable");
        let second = solve(&model, &options).expect("schedulable");
        assert_eq!(first, second, "{threads} threads");
        assert_eq!(validate(&model, &first.plan), vec![]);
    }
}

/// Where the benchmark instances are: `MES_JSSP_DIR`, else `../shared/jssp`
/// beside the repository.
fn instance_dir() -> PathBuf {
    std::env::var_os("MES_JSSP_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/jssp"),
        PathBuf::from,
    )
}

/// The small instances whose optimum the search reaches and proves (by the
/// lower bound) within a short deterministic run, even in a debug build.
const SMALL: [&str; 12] = [
    "ft06", "la01", "la02", "la05", "la06", "la08", "la09", "la10", "la11", "la12", "la13", "la14",
];

#[test]
fn small_classic_instances_reach_their_best_known_makespan() {
    let dir = instance_dir();
    if !dir.is_dir() {
        eprintln!("skipped: no instances at {} (set MES_JSSP_DIR)", dir.display());
        return;
    }
    for name in SMALL {
        let path = dir.join(format!("{name}.txt"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let instance = JobShop::parse(&text).expect("valid instance");
        let model = instance.to_model().expect("valid model");
        let options = SolveOptions {
            threads: 2,
            ..SolveOptions::deterministic(1, 50_000)
        };
        let solution = solve(&model, &options).expect("schedulable");
        assert_eq!(
            validate(&model, &solution.plan),
            vec![],
            "{name}: the plan is valid"
        );
        assert_eq!(
            Some(solution.cost.makespan),
            instance.best_known(),
            "{name} reaches its best known makespan"
        );
    }
}

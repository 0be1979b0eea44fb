//! Pure: which quantities a machine produced, each with its planned run
//! time per item, from the runs on it (operators' `output_reported`) and
//! its own counter (`parts_counted`). The rule, also in `oee/mod.rs`:
//!
//! - Operators' output reports are the quantities of record: they name
//!   the run (so its order's operation, whose run minutes per unit are the
//!   planned run time per item), they are in the order's unit, they carry
//!   the scrap found at inspection, and stock and costing book the same
//!   figures.
//! - A run without any report takes its machine's counted parts instead:
//!   those counted while it was open (its first start to its finish, or
//!   now), attributed to the latest-started such run of the machine.
//! - Counted parts during a run that has reports are not added (the
//!   reports count them); counted parts outside every run have no planned
//!   run time and are *unrated*: shown, but left out of performance and
//!   quality.
//! - Each quantity counts at the instant it was reported or counted.

use super::compute::Produced;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

/// One run of an operation on the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineRun {
    /// Its execution id.
    pub execution: String,
    /// From its first start to its finish (or now), unix ms; none when no
    /// start is known.
    pub span: Option<(i64, i64)>,
    /// Planned run time per item, ms (none: no planned run time).
    pub run_ms_per_unit: Option<Decimal>,
}

/// An operator's output report on a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The run.
    pub execution: String,
    /// When, unix ms.
    pub at: i64,
    /// Good quantity.
    pub good: Decimal,
    /// Scrap quantity.
    pub scrap: Decimal,
}

/// The quantities the machine produced (see the module rule). `reports`
/// of runs not in `runs` are not this machine's.
pub fn produced(runs: &[MachineRun], reports: &[Report], counted: &[(i64, u64, u64)]) -> Vec<Produced> {
    let by_id: HashMap<&str, &MachineRun> = runs.iter().map(|r| (r.execution.as_str(), r)).collect();
    let reported: HashSet<&str> = reports.iter().map(|r| r.execution.as_str()).collect();
    let mut out: Vec<Produced> = reports
        .iter()
        .filter_map(|r| {
            by_id.get(r.execution.as_str()).map(|run| Produced {
                at: r.at,
                good: r.good,
                scrap: r.scrap,
                run_ms_per_unit: run.run_ms_per_unit,
            })
        })
        .collect();
    for &(at, good, scrap) in counted {
        let open = runs
            .iter()
            .filter_map(|r| r.span.map(|span| (span, r)))
            .filter(|((from, to), _)| *from <= at && at <= *to)
            .max_by(|((a, _), x), ((b, _), y)| a.cmp(b).then_with(|| x.execution.cmp(&y.execution)));
        let rate = match open {
            Some((_, r)) if reported.contains(r.execution.as_str()) => continue,
            Some((_, r)) => r.run_ms_per_unit,
            None => None,
        };
        out.push(Produced {
            at,
            good: Decimal::from(good),
            scrap: Decimal::from(scrap),
            run_ms_per_unit: rate,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(execution: &str, span: (i64, i64), pri: i64) -> MachineRun {
        MachineRun {
            execution: execution.into(),
            span: Some(span),
            run_ms_per_unit: Some(Decimal::from(pri)),
        }
    }

    #[test]
    fn reports_win_counts_fill_in_and_the_rest_is_unrated() {
        let runs = [run("a", (0, 100), 10), run("b", (200, 300), 20)];
        let reports = [Report {
            execution: "a".into(),
            at: 100,
            good: Decimal::from(9),
            scrap: Decimal::ONE,
        }];
        let counted = [(50, 10, 0), (250, 4, 1), (400, 7, 0)];
        let got: Vec<(i64, Decimal, Option<Decimal>)> = produced(&runs, &reports, &counted)
            .into_iter()
            .map(|p| (p.at, p.good + p.scrap, p.run_ms_per_unit))
            .collect();
        assert_eq!(
            got,
            [
                (100, Decimal::from(10), Some(Decimal::from(10))),
                (250, Decimal::from(5), Some(Decimal::from(20))),
                (400, Decimal::from(7), None),
            ],
            "run a's count is in its report; b has none, so its count; 400 is in no run"
        );
    }
}

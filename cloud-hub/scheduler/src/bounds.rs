//! Lower bounds on the objective, so the search can stop when it has proven
//! its plan optimal (classic job-shop instances often reach the bound).

use crate::model::Model;
use crate::plan::Cost;

/// A cost no plan can beat, when one is cheap to know: only for models without
/// setup matrices (then total setup is the same for every plan), with zero
/// tardiness and the larger of the longest-path and machine-load makespan bounds.
pub(crate) fn lower_bound(model: &Model) -> Option<Cost> {
    if model.machines.iter().any(|m| m.setup_matrix.is_some()) {
        return None;
    }
    let duration: Vec<i64> = model
        .ops
        .iter()
        .zip(&model.runs)
        .map(|(op, runs)| op.setup + runs.iter().map(|(_, r)| *r).min().unwrap_or(0))
        .collect();
    // Earliest possible finish along precedence paths (calendars only delay).
    let mut finish = vec![0i64; model.ops.len()];
    let mut head = vec![0i64; model.ops.len()];
    for &op in &model.topo {
        let i = op.index();
        head[i] = model.preds[i]
            .iter()
            .map(|p| finish[p.index()])
            .fold(model.ops[i].earliest_start, i64::max);
        finish[i] = match model.pinned_span[i] {
            Some(span) => span.end,
            None => head[i] + duration[i],
        };
    }
    let mut makespan = finish.iter().copied().fold(0, i64::max);
    // Work that can only run on one always-open machine must run there in series.
    for (m, machine) in model.machines.iter().enumerate() {
        if machine.calendar != crate::calendar::Calendar::always() {
            continue;
        }
        let only_here = (0..model.ops.len()).filter(|&i| {
            model.pinned_span[i].is_none() && model.runs[i].len() == 1 && model.runs[i][0].0.index() == m
        });
        let (first, load) = only_here.fold((i64::MAX, 0i64), |(f, l), i| (f.min(head[i]), l + duration[i]));
        if load > 0 {
            makespan = makespan.max(first + load);
        }
    }
    let setup = model.ops.iter().map(|o| o.setup).sum();
    Some(Cost {
        weighted_tardiness: 0,
        makespan,
        setup,
    })
}

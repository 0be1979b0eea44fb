//! The plan per machine as a dispatch list (issue 17, item 5): for each
//! machine its operations in the order they run, with times, setup, and
//! what they wait for; for stations without screens (printed) and for
//! spreadsheets (CSV). Pure: read from a stored plan.

use super::report::iso;
use super::stored::StoredPlan;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One operation on a machine's dispatch list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DispatchRow {
    /// The machine.
    pub equipment: String,
    /// Its place in the machine's sequence (1, 2, …).
    pub seq: usize,
    /// The production order.
    pub order: String,
    /// The operation number.
    pub operation: String,
    /// Start of its setup (or run), RFC 3339.
    pub start: String,
    /// When it is done, RFC 3339.
    pub end: String,
    /// Setup minutes.
    pub setup_minutes: i64,
    /// Minutes from start to end (calendar breaks included).
    pub span_minutes: i64,
    /// Whether it runs on the floor now.
    pub in_progress: bool,
    /// Whether a planner fixed it there.
    pub fixed: bool,
    /// The material it waits for and when that is expected, if any.
    pub waits_for: Option<String>,
}

/// The dispatch list of every machine of `stored` (or only `equipment`),
/// machines by code, operations by start.
pub fn dispatch(stored: &StoredPlan, equipment: Option<&str>) -> Vec<DispatchRow> {
    let waits: HashMap<&str, String> = stored
        .material_waits
        .iter()
        .map(|w| (w.op.as_str(), format!("{} {}", w.material, iso(w.available_at))))
        .collect();
    let mut rows: Vec<(String, i64, DispatchRow)> = stored
        .placed()
        .filter_map(|(s, op, machine)| {
            if equipment.is_some_and(|e| e != machine.name) {
                return None;
            }
            let (order, operation) = op.name.rsplit_once('/').unwrap_or((op.name.as_str(), ""));
            Some((
                machine.name.clone(),
                s.start,
                DispatchRow {
                    equipment: machine.name.clone(),
                    seq: 0,
                    order: order.to_string(),
                    operation: operation.to_string(),
                    start: iso(s.start),
                    end: iso(s.end),
                    setup_minutes: s.setup,
                    span_minutes: s.end - s.start,
                    in_progress: op.pin.is_some(),
                    fixed: stored.steering.fixed.contains_key(&op.name),
                    waits_for: waits.get(op.name.as_str()).cloned(),
                },
            ))
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, a.1, &a.2.order).cmp(&(&b.0, b.1, &b.2.order)));
    let mut out: Vec<DispatchRow> = Vec::with_capacity(rows.len());
    for (_, _, mut row) in rows {
        row.seq = match out.last() {
            Some(prev) if prev.equipment == row.equipment => prev.seq + 1,
            _ => 1,
        };
        out.push(row);
    }
    out
}

//! The processing execution log of a production order: each run of each
//! operation as the floor reported it, with its start, pauses (and their
//! reasons), finish, equipment, workers and each worker's time on it,
//! the lots consumed, the output (lots, good and scrap with reasons).
//!
//! Pure: built from the order's operation facts (the projection's rows of
//! `operation_*`, `material_consumed` and `output_reported` events) and
//! the run times the costing computes (`costing::time::run_times`: a
//! worker's time is their clocked-in time while the run was active,
//! shared between runs in parallel), so the log and the cost agree.

use crate::costing::time::RunTime;
use crate::store::ledger::OperationFact;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A pause of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pause {
    /// When it paused, unix ms.
    pub from: i64,
    /// When it resumed or finished (none: still paused).
    pub until: Option<i64>,
    /// The reason given.
    pub reason: Option<String>,
}

/// A lot (or unlotted quantity) consumed by a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consumed {
    /// The material.
    pub material: String,
    /// The lot, if lot-tracked.
    pub lot: Option<String>,
    /// The quantity, as entered.
    pub quantity: Decimal,
    /// Its unit.
    pub unit: String,
    /// When, unix ms.
    pub at: i64,
}

/// Output reported on a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Output {
    /// The material made.
    pub material: String,
    /// The output lot.
    pub lot: Option<String>,
    /// Good quantity.
    pub good: Decimal,
    /// Scrap quantity.
    pub scrap: Decimal,
    /// The unit.
    pub unit: String,
    /// Why scrap was scrapped.
    pub scrap_reason: Option<String>,
    /// When, unix ms.
    pub at: i64,
}

/// A worker's time on a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerTime {
    /// The worker.
    pub worker: String,
    /// Minutes on the run (see the module doc).
    pub minutes: Decimal,
}

/// One run of one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunLog {
    /// The run's id.
    pub execution: String,
    /// The operation.
    pub operation: String,
    /// The station it ran at.
    pub station: Option<String>,
    /// The equipment it ran on.
    pub equipment: Option<String>,
    /// Its start, unix ms.
    pub started_at: Option<i64>,
    /// Its finish, unix ms (none: still open).
    pub finished_at: Option<i64>,
    /// Its pauses.
    pub pauses: Vec<Pause>,
    /// Active minutes (start to finish less pauses; open runs until the
    /// log's instant), as the costing counts them.
    pub active_minutes: Decimal,
    /// Machine minutes (equipment running while active).
    pub machine_minutes: Decimal,
    /// The workers and their time.
    pub workers: Vec<WorkerTime>,
    /// Material consumed.
    pub consumed: Vec<Consumed>,
    /// Output reported.
    pub outputs: Vec<Output>,
}

fn text(data: &Value, key: &str) -> Option<String> {
    data.get(key).and_then(Value::as_str).map(str::to_string)
}

fn decimal(value: &Value) -> Decimal {
    value.as_str().and_then(|v| v.parse().ok()).unwrap_or_default()
}

fn minutes(ms: Decimal) -> Decimal {
    (ms / Decimal::from(60_000)).round_dp(1)
}

/// The runs of an order in order of their start (then id), from its
/// `facts` (oldest first) and the costing's `times` per run.
pub fn execution_log(facts: &[OperationFact], times: &BTreeMap<String, RunTime>) -> Vec<RunLog> {
    let mut runs: BTreeMap<String, RunLog> = BTreeMap::new();
    for fact in facts {
        let data: Value = serde_json::from_str(&fact.body).unwrap_or_default();
        let run = runs.entry(fact.execution.clone()).or_insert_with(|| RunLog {
            execution: fact.execution.clone(),
            operation: fact.operation.clone(),
            station: None,
            equipment: None,
            started_at: None,
            finished_at: None,
            pauses: Vec::new(),
            active_minutes: Decimal::ZERO,
            machine_minutes: Decimal::ZERO,
            workers: Vec::new(),
            consumed: Vec::new(),
            outputs: Vec::new(),
        });
        if run.station.is_none() {
            run.station = data.get("run").and_then(|r| text(r, "station"));
        }
        let at = fact.occurred_at;
        match fact.kind.as_str() {
            "operation_started" => {
                run.started_at = Some(run.started_at.map_or(at, |s| s.min(at)));
                run.equipment = text(&data, "equipment").or(run.equipment.take());
                if run.workers.is_empty()
                    && let Some(workers) = data.get("workers").and_then(Value::as_array)
                {
                    run.workers = workers
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|w| WorkerTime {
                            worker: w.to_string(),
                            minutes: Decimal::ZERO,
                        })
                        .collect();
                }
            }
            "operation_paused" => run.pauses.push(Pause {
                from: at,
                until: None,
                reason: text(&data, "reason"),
            }),
            "operation_resumed" | "operation_finished" => {
                if let Some(open) = run.pauses.iter_mut().rev().find(|p| p.until.is_none()) {
                    open.until = Some(at);
                }
                if fact.kind == "operation_finished" {
                    run.finished_at = Some(at);
                }
            }
            "material_consumed" => run.consumed.push(Consumed {
                material: text(&data, "material").unwrap_or_default(),
                lot: text(&data, "lot"),
                quantity: decimal(&data["quantity"]["value"]),
                unit: data["quantity"]["unit"].as_str().unwrap_or_default().to_string(),
                at,
            }),
            "output_reported" => run.outputs.push(Output {
                material: text(&data, "material").unwrap_or_default(),
                lot: text(&data, "lot"),
                good: decimal(&data["good"]),
                scrap: decimal(&data["scrap"]),
                unit: text(&data, "unit").unwrap_or_default(),
                scrap_reason: text(&data, "scrap_reason"),
                at,
            }),
            _ => {}
        }
    }
    let mut out: Vec<RunLog> = runs
        .into_values()
        .map(|mut run| {
            if let Some(time) = times.get(&run.execution) {
                run.active_minutes = minutes(time.active_ms);
                run.machine_minutes = minutes(time.machine_ms);
                for (worker, ms) in &time.labour_ms {
                    match run.workers.iter_mut().find(|w| w.worker == worker.as_str()) {
                        Some(known) => known.minutes = minutes(*ms),
                        None => run.workers.push(WorkerTime {
                            worker: worker.to_string(),
                            minutes: minutes(*ms),
                        }),
                    }
                }
            }
            run
        })
        .collect();
    out.sort_by(|a, b| {
        (a.started_at.unwrap_or(i64::MAX), &a.operation, &a.execution).cmp(&(
            b.started_at.unwrap_or(i64::MAX),
            &b.operation,
            &b.execution,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mes_protocols::Code;

    fn fact(row: i64, execution: &str, kind: &str, at: i64, body: Value) -> OperationFact {
        OperationFact {
            event_row: row,
            execution: execution.into(),
            order: "PO-1".into(),
            operation: "10".into(),
            kind: kind.into(),
            occurred_at: at,
            body: body.to_string(),
        }
    }

    #[test]
    fn a_run_lists_its_pauses_lots_output_and_worker_time() {
        let run = json_run("E1");
        let facts = vec![
            fact(
                1,
                "E1",
                "operation_started",
                0,
                serde_json::json!({"run": run, "equipment": "P-1", "workers": ["W-1"]}),
            ),
            fact(
                2,
                "E1",
                "material_consumed",
                1_000,
                serde_json::json!({"run": run, "material": "STEEL", "lot": "L-7", "quantity": {"value": "2.5", "unit": "kg"}}),
            ),
            fact(
                3,
                "E1",
                "operation_paused",
                600_000,
                serde_json::json!({"run": run, "reason": "JAM"}),
            ),
            fact(4, "E1", "operation_resumed", 900_000, serde_json::json!(run)),
            fact(
                5,
                "E1",
                "output_reported",
                1_700_000,
                serde_json::json!({"run": run, "material": "BRACKET", "good": "40", "scrap": "2", "unit": "pcs", "scrap_reason": "BURR", "lot": "OUT-1"}),
            ),
            fact(6, "E1", "operation_finished", 1_800_000, serde_json::json!(run)),
        ];
        let mut times = BTreeMap::new();
        times.insert(
            "E1".to_string(),
            RunTime {
                labour_ms: BTreeMap::from([(Code::parse("W-1").expect("code"), Decimal::from(1_500_000))]),
                machine_ms: Decimal::from(1_200_000),
                active_ms: Decimal::from(1_500_000),
            },
        );
        let log = execution_log(&facts, &times);
        assert_eq!(log.len(), 1);
        let r = &log[0];
        assert_eq!(r.equipment.as_deref(), Some("P-1"));
        assert_eq!(r.station.as_deref(), Some("ST-1"));
        assert_eq!((r.started_at, r.finished_at), (Some(0), Some(1_800_000)));
        assert_eq!(
            r.pauses,
            vec![Pause {
                from: 600_000,
                until: Some(900_000),
                reason: Some("JAM".into())
            }]
        );
        assert_eq!(r.active_minutes, Decimal::from(25));
        assert_eq!(r.machine_minutes, Decimal::from(20));
        assert_eq!(
            r.workers,
            vec![WorkerTime {
                worker: "W-1".into(),
                minutes: Decimal::from(25)
            }]
        );
        assert_eq!(r.consumed[0].lot.as_deref(), Some("L-7"));
        assert_eq!(r.consumed[0].quantity, "2.5".parse::<Decimal>().expect("decimal"));
        assert_eq!(r.outputs[0].scrap_reason.as_deref(), Some("BURR"));
        assert_eq!(r.outputs[0].good, Decimal::from(40));
    }

    #[test]
    fn runs_are_listed_by_start_and_an_open_pause_stays_open() {
        let (a, b) = (json_run("A"), json_run("B"));
        let facts = vec![
            fact(
                1,
                "B",
                "operation_started",
                5,
                serde_json::json!({"run": b, "equipment": "P-2"}),
            ),
            fact(
                2,
                "A",
                "operation_started",
                9,
                serde_json::json!({"run": a, "equipment": "P-1"}),
            ),
            fact(3, "B", "operation_paused", 20, serde_json::json!({"run": b})),
        ];
        let log = execution_log(&facts, &BTreeMap::new());
        assert_eq!(
            log.iter().map(|r| r.execution.as_str()).collect::<Vec<_>>(),
            ["B", "A"]
        );
        assert_eq!(log[0].pauses[0].until, None);
        assert_eq!(log[0].finished_at, None);
    }

    fn json_run(execution: &str) -> Value {
        serde_json::json!({"execution": execution, "order": "PO-1", "operation": "10", "station": "ST-1"})
    }
}

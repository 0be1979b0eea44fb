//! The order list follows the site's live plan: orders planned on the
//! station's machines first, by planned start; then those planned only
//! elsewhere; then the unplanned by number. A new plan revision re-sorts.

use super::{code, dec, master_data};
use crate::downlink::MasterData;
use crate::station::state::Floor;
use crate::station::view::{ViewSources, build_view};
use mes_protocols::Timestamp;
use mes_protocols::downlink::*;
use std::collections::BTreeMap;

fn order(number: &str) -> Record {
    let op = |operation: &str, equipment_type: &str| OrderOperation {
        operation: code(operation),
        name: format!("op {operation}"),
        equipment_type: code(equipment_type),
        worker_type: None,
        setup_minutes: dec("5"),
        run_minutes_per_unit: dec("1"),
        inputs: vec![],
        output: None,
    };
    Record::Order(OrderRecord {
        code: code(number),
        material: code("BRACKET"),
        quantity: dec("10"),
        unit: code("pcs"),
        due: None,
        customer: None,
        status: OrderStatus::Released,
        operations: vec![op("10", "PRESS"), op("20", "LATHE")],
    })
}

/// A plan of `revision` from (order, operation, machine, start minute).
fn plan(revision: u64, ops: &[(&str, &str, &str, i64)]) -> Record {
    let at = |minute: i64| Timestamp::from_unix_millis(1_780_300_800_000 + minute * 60_000);
    Record::Plan(PlanRecord {
        site: code("plant-1"),
        revision,
        made_at: at(0),
        operations: ops
            .iter()
            .map(|(o, op, m, start)| PlannedOperation {
                order: code(o),
                operation: code(op),
                equipment: code(m),
                start: at(*start),
                end: at(start + 30),
            })
            .collect(),
    })
}

/// Order numbers as listed, each with its planned (operation, machine,
/// here).
type Listed = Vec<(String, Option<(String, String, bool)>)>;

fn listed(data: &MasterData, station: &str) -> Listed {
    let floor = Floor::default();
    let board = BTreeMap::new();
    let station = code(station);
    let view = build_view(&ViewSources {
        station: &station,
        sound: false,
        data,
        floor: &floor,
        board: &board,
        downlink: Default::default(),
    });
    view.orders
        .into_iter()
        .map(|o| {
            (
                o.code.to_string(),
                o.planned
                    .map(|p| (p.operation.to_string(), p.equipment.to_string(), p.here)),
            )
        })
        .collect()
}

fn with_orders() -> MasterData {
    let mut data = master_data();
    for number in ["PO-2", "PO-3", "PO-4"] {
        data.upsert(order(number));
    }
    data
}

#[test]
fn without_a_plan_orders_are_listed_by_number() {
    let data = with_orders();
    let codes: Vec<String> = listed(&data, "st-1").into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, ["PO-1", "PO-2", "PO-3", "PO-4"]);
}

#[test]
fn orders_follow_the_plans_sequence_on_the_stations_machines() {
    let mut data = with_orders();
    data.upsert(plan(
        1,
        &[
            ("PO-4", "10", "press-1", 0),
            ("PO-2", "10", "press-1", 40),
            ("PO-3", "10", "press-2", 10),
            ("PO-2", "20", "lathe-1", 90),
            ("PO-4", "20", "lathe-1", 50),
        ],
    ));
    let press = listed(&data, "st-1");
    assert_eq!(
        press,
        [
            ("PO-4".into(), Some(("10".into(), "press-1".into(), true))),
            ("PO-2".into(), Some(("10".into(), "press-1".into(), true))),
            ("PO-3".into(), Some(("10".into(), "press-2".into(), false))),
            ("PO-1".into(), None),
        ]
    );
    // At the lathe the same plan reads in the lathe's sequence, and an
    // order whose lathe operation is planned shows that one.
    let lathe = listed(&data, "st-2");
    assert_eq!(
        lathe[..2],
        [
            ("PO-4".into(), Some(("20".into(), "lathe-1".into(), true))),
            ("PO-2".into(), Some(("20".into(), "lathe-1".into(), true))),
        ]
    );
}

#[test]
fn a_new_revision_re_sorts_and_a_removal_forgets_the_plan() {
    let mut data = with_orders();
    data.upsert(plan(
        1,
        &[("PO-4", "10", "press-1", 0), ("PO-2", "10", "press-1", 40)],
    ));
    data.upsert(plan(
        2,
        &[("PO-4", "10", "press-1", 60), ("PO-2", "10", "press-1", 0)],
    ));
    assert_eq!(data.plan().map(|p| p.revision()), Some(2));
    let codes: Vec<String> = listed(&data, "st-1").into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes[..2], ["PO-2", "PO-4"]);
    data.remove(&RecordKey {
        kind: RecordKind::Plan,
        code: code("plant-1"),
        material: None,
    });
    assert!(data.plan().is_none());
    let codes: Vec<String> = listed(&data, "st-1").into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, ["PO-1", "PO-2", "PO-3", "PO-4"]);
}

//! The accepted flow: clock in, start, consume (default and converted
//! quantities), pause/resume, output with scrap, finish, clock out.

use super::*;
use mes_protocols::event::*;

#[test]
fn full_flow_records_the_processing_execution() {
    let mut b = Bench::new();
    let events = b.ok("st-1", scan("B-0001"));
    assert_eq!(
        events,
        vec![EventBody::WorkerClockedIn(WorkerClock {
            worker: code("W1"),
            station: code("st-1")
        })]
    );

    let events = b.ok("st-1", scan("PO:PO-1"));
    let EventBody::OperationStarted(started) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (started.run.order.as_str(), started.run.operation.as_str()),
        ("PO-1", "10")
    );
    assert_eq!(started.equipment, code("press-1"));
    assert_eq!(started.workers, vec![code("W1")]);
    let execution = started.run.execution;

    // Default quantity: 0.25 kg x 100 pcs = 25 kg.
    let events = b.ok("st-1", scan("L:L-1"));
    let EventBody::MaterialConsumed(first) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        first.quantity,
        mes_protocols::Quantity::new(dec("25"), code("kg"))
    );
    assert_eq!(first.lot, Some(code("L-1")));
    assert_eq!(first.run.execution, execution);

    // A second lot in sheets (2.5 kg each), entered by hand.
    let events = b.ok("st-1", lot_scan("L:L-2", Some("2"), Some("sheet")));
    let EventBody::MaterialConsumed(second) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        second.quantity,
        mes_protocols::Quantity::new(dec("2"), code("sheet"))
    );
    let run = b.floor.station(&code("st-1")).run.expect("running");
    assert_eq!(run.consumed_base(&code("STEEL")), dec("30"));

    b.ok(
        "st-1",
        Step::Pause {
            reason: Some(code("BREAK")),
        },
    );
    assert!(b.floor.station(&code("st-1")).run.expect("run").paused.is_some());
    b.ok("st-1", Step::Resume);

    let accepted = b
        .play(
            "st-1",
            Step::Output {
                good: dec("95"),
                scrap: dec("5"),
                scrap_reason: Some(code("BURR")),
            },
        )
        .expect("output accepted");
    let EventBody::OutputReported(output) = &accepted.events[0] else {
        panic!("{:?}", accepted.events)
    };
    assert_eq!((output.good, output.scrap), (dec("95"), dec("5")));
    assert_eq!(output.material, code("BRACKET"));
    assert_eq!(output.unit, code("pcs"));
    assert_eq!(output.scrap_reason, Some(code("BURR")));
    assert_eq!(accepted.output_lot, Some(code("PO-1-10-1")));
    assert_eq!(output.lot, accepted.output_lot);

    let events = b.ok("st-1", Step::Finish);
    assert!(matches!(&events[0], EventBody::OperationFinished(run) if run.execution == execution));
    assert!(b.floor.is_finished(&code("PO-1"), &code("10")));

    let events = b.ok("st-1", scan("B-0001"));
    assert!(matches!(&events[0], EventBody::WorkerClockedOut(c) if c.worker == code("W1")));
    assert!(b.floor.station(&code("st-1")).workers.is_empty());
}

#[test]
fn every_event_of_the_flow_passes_the_protocol_checks() {
    let mut b = Bench::new();
    let steps = [
        scan("B-0001"),
        scan("PO:PO-1"),
        scan("L:L-1"),
        Step::Output {
            good: dec("1"),
            scrap: dec("1"),
            scrap_reason: Some(code("BURR")),
        },
        Step::Downtime {
            reason: code("JAM"),
            equipment: None,
        },
        Step::Finish,
    ];
    for step in steps {
        for body in b.ok("st-1", step) {
            body.validate().expect("valid event body");
        }
    }
}

#[test]
fn a_badge_at_another_station_moves_the_worker() {
    let mut b = Bench::new();
    b.ok("st-1", scan("B-0001"));
    let events = b.ok("st-2", scan("B-0001"));
    assert_eq!(events.len(), 2);
    assert!(matches!(&events[0], EventBody::WorkerClockedOut(c) if c.station == code("st-1")));
    assert!(matches!(&events[1], EventBody::WorkerClockedIn(c) if c.station == code("st-2")));
    assert_eq!(b.floor.clocked_at(&code("W1")), Some(&code("st-2")));
}

#[test]
fn the_next_operation_follows_the_routing_and_may_overlap_once_started() {
    let mut b = Bench::new();
    b.ok("st-1", scan("B-0001"));
    b.ok("st-2", scan("B-0002"));
    // Operation 10 is next; the lathe cannot run it.
    let why = b.no("st-2", scan("PO:PO-1"));
    assert!(why.contains("needs a PRESS machine"), "{why}");
    b.ok("st-1", scan("PO:PO-1"));
    // 10 runs at st-1, so 20 is next and may start at the lathe (overlap).
    let events = b.ok("st-2", scan("PO:PO-1"));
    assert!(matches!(&events[0], EventBody::OperationStarted(s) if s.run.operation == code("20")));
}

#[test]
fn an_operation_cannot_jump_ahead_of_one_nobody_started() {
    let mut b = Bench::new();
    b.ok("st-2", scan("B-0002"));
    let step = Step::Scan {
        code: "PO:PO-1".into(),
        quantity: None,
        unit: None,
        operation: Some(code("20")),
    };
    let why = b.no("st-2", step);
    assert_eq!(why, "PO-1 operation 10 must start before operation 20");
}

#[test]
fn downtime_uses_the_time_the_machine_went_down() {
    let mut b = Bench::new();
    let since = Timestamp::from_unix_millis(b.now.unix_millis() - 60_000);
    b.down.insert(code("press-1"), since);
    let events = b.ok(
        "st-1",
        Step::Downtime {
            reason: code("JAM"),
            equipment: None,
        },
    );
    let EventBody::DowntimeReasonAssigned(d) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!((d.equipment.as_str(), d.down_since), ("press-1", since));
    assert_eq!(d.station, Some(code("st-1")));
}

#[test]
fn the_floor_state_round_trips_through_json() {
    let mut b = Bench::new();
    b.ok("st-1", scan("B-0001"));
    b.ok("st-1", scan("PO:PO-1"));
    b.ok("st-1", lot_scan("L:L-2", Some("1.5"), Some("sheet")));
    b.ok("st-1", Step::Pause { reason: None });
    let json = serde_json::to_string(&b.floor).expect("serializes");
    let back: Floor = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, b.floor);
}

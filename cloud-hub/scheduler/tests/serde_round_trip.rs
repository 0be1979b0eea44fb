//! Model parts and plans survive a JSON round trip, and a deserialized
//! calendar is checked like a built one.

use mes_scheduler::{Calendar, Interval, Machine, Plan, SetupFamily, SetupMatrix, SolveOptions, solve};

#[test]
fn machine_with_calendar_and_setup_matrix_round_trips() {
    let shifts = Calendar::from_intervals([Interval::new(0, 480), Interval::new(1440, 1920)])
        .expect("valid shifts")
        .with_open_end(2880);
    let mut machine = Machine::new("press-1", shifts);
    machine.setup_matrix = Some(SetupMatrix::new().with(SetupFamily(1), SetupFamily(2), 25));
    machine.initial_family = Some(SetupFamily(1));
    let json = serde_json::to_string(&machine).expect("serializable");
    let back: Machine = serde_json::from_str(&json).expect("deserializable");
    assert_eq!(back, machine);
    let always: Calendar =
        serde_json::from_str(&serde_json::to_string(&Calendar::always()).expect("serializable"))
            .expect("valid");
    assert_eq!(always, Calendar::always());
}

#[test]
fn reversed_interval_in_json_is_rejected() {
    let err = serde_json::from_str::<Calendar>(r#"[{"start":10,"end":5}]"#);
    assert!(err.is_err());
}

#[test]
fn plan_round_trips() {
    let model = mes_scheduler::jssp::JobShop::parse("2 2\n0 3 1 2\n1 4 0 3\n")
        .expect("valid instance")
        .to_model()
        .expect("valid model");
    let plan = solve(&model, &SolveOptions::deterministic(0, 10))
        .expect("schedulable")
        .plan;
    let back: Plan =
        serde_json::from_str(&serde_json::to_string(&plan).expect("serializable")).expect("valid");
    assert_eq!(back, plan);
}

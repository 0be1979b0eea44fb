//! State machine tests: cycles and parts, scrap, faults, determinism per
//! seed and stream, forced states, process values.

use super::*;

fn quiet() -> Behaviour {
    Behaviour {
        cycle_time_ms: 1000,
        scrap_rate: 0.0,
        scrap_reasons: vec!["burr".into()],
        stops_per_hour: 0.0,
        mean_stop_ms: 10_000.0,
        faults_per_hour: 0.0,
        mean_fault_ms: 10_000.0,
        fault_codes: vec![42],
        setups_per_hour: 0.0,
        mean_setup_ms: 10_000.0,
        ambient_temperature: 20.0,
        running_temperature: 60.0,
        spindle_rpm: 1000.0,
    }
}

fn steps(machine: &mut Machine, n: usize, dt: u64) -> Vec<MachineEvent> {
    let mut events = Vec::new();
    for _ in 0..n {
        machine.advance(dt, &mut events);
    }
    events
}

#[test]
fn running_machine_makes_one_part_per_cycle() {
    let mut m = Machine::new(quiet(), 1, 0);
    let events = steps(&mut m, 35, 100);
    assert_eq!(m.status().good_total, 3);
    let times: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            MachineEvent::Part { at_ms, .. } => Some(*at_ms),
            _ => None,
        })
        .collect();
    assert_eq!(times, vec![1000, 2000, 3000]);
}

#[test]
fn cycles_shorter_than_a_step_still_count_every_part() {
    let mut m = Machine::new(
        Behaviour {
            cycle_time_ms: 30,
            ..quiet()
        },
        1,
        0,
    );
    steps(&mut m, 10, 100);
    assert_eq!(m.status().good_total, 33);
}

#[test]
fn scrap_rate_one_makes_only_scrap_with_a_reason() {
    let mut m = Machine::new(
        Behaviour {
            scrap_rate: 1.0,
            ..quiet()
        },
        1,
        0,
    );
    let events = steps(&mut m, 20, 100);
    assert_eq!((m.status().good_total, m.status().scrap_total), (0, 2));
    assert!(events.iter().all(|e| matches!(e,
        MachineEvent::Part { scrap_reason: Some(r), .. } if r == "burr")));
}

#[test]
fn faults_go_down_with_a_configured_code_and_come_back() {
    let b = Behaviour {
        faults_per_hour: 3600.0,
        mean_fault_ms: 500.0,
        ..quiet()
    };
    let mut m = Machine::new(b, 3, 0);
    let events = steps(&mut m, 600, 100);
    let downs = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                MachineEvent::State {
                    state: MachineState::Down,
                    fault_code: 42,
                    ..
                }
            )
        })
        .count();
    let ups = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                MachineEvent::State {
                    state: MachineState::Running,
                    fault_code: 0,
                    ..
                }
            )
        })
        .count();
    assert!(downs > 5, "{downs} faults in a minute at 60/min");
    assert!(ups + 1 >= downs && ups <= downs);
}

#[test]
fn same_seed_same_history_other_stream_other_history() {
    let b = Behaviour {
        stops_per_hour: 600.0,
        faults_per_hour: 300.0,
        setups_per_hour: 100.0,
        scrap_rate: 0.2,
        ..quiet()
    };
    let a = steps(&mut Machine::new(b.clone(), 7, 0), 3000, 100);
    let again = steps(&mut Machine::new(b.clone(), 7, 0), 3000, 100);
    let other = steps(&mut Machine::new(b, 7, 1), 3000, 100);
    assert_eq!(a, again);
    assert_ne!(a, other);
}

#[test]
fn forced_fault_holds_until_released() {
    let mut m = Machine::new(quiet(), 1, 0);
    let mut events = Vec::new();
    m.force_fault(77, &mut events);
    events.extend(steps(&mut m, 100, 100));
    assert_eq!(m.status().state, MachineState::Down);
    assert_eq!(m.status().fault_code, 77);
    assert_eq!(m.status().good_total, 0);
    m.release(&mut events);
    assert_eq!(m.status().state, MachineState::Running);
    let states: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            MachineEvent::State {
                state, fault_code, ..
            } => Some((*state, *fault_code)),
            _ => None,
        })
        .collect();
    assert_eq!(states, vec![(MachineState::Down, 77), (MachineState::Running, 0)]);
}

#[test]
fn temperature_rises_while_running_and_spindle_stops_when_stopped() {
    let mut m = Machine::new(quiet(), 1, 0);
    steps(&mut m, 3000, 100);
    assert!(
        (m.status().temperature - 60.0).abs() < 1.0,
        "{}",
        m.status().temperature
    );
    let mut events = Vec::new();
    m.force_stop(&mut events);
    steps(&mut m, 1, 100);
    assert_eq!(m.status().spindle_speed, 0.0);
}

//! The simulator over real Modbus TCP, read with the tokio-modbus client
//! the agent uses: layout, unit ids, exceptions, test controls, the running
//! clock, the benchmark load and shutdown.

mod common;

use common::{DEADLINE, paused_machines, steady};
use machine_sim::{SimConfig, Simulator};
use mes_protocols::modbus::{DataType, RawValue, StringRegisters, WordOrder, decode_registers};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_modbus::client::Context;
use tokio_modbus::prelude::*;

async fn connect(addr: SocketAddr, unit: u8) -> Context {
    tcp::connect_slave(addr, Slave(unit))
        .await
        .expect("the simulator accepts connections")
}

async fn holding(ctx: &mut Context, start: u16, count: u16) -> Vec<u16> {
    ctx.read_holding_registers(start, count)
        .await
        .expect("transport works")
        .expect("no exception")
}

#[tokio::test]
async fn default_layout_serves_state_name_and_cdab_temperature() {
    let sim = Simulator::start(paused_machines(2, 4000)).await.expect("starts");
    let mut ctx = connect(sim.local_addr(), 2).await;
    let regs = holding(&mut ctx, 0, 100).await;
    assert_eq!(regs.len(), 100);
    assert_eq!(regs[0], 1, "state register says running");
    let name_type = DataType::String {
        registers: StringRegisters::new(8).expect("valid"),
    };
    let name = decode_registers(name_type, WordOrder::Abcd, &regs[8..16]).expect("text");
    assert_eq!(name, RawValue::Text("sim-02".into()));
    let temperature = decode_registers(DataType::F32, WordOrder::Cdab, &regs[4..6]).expect("float");
    let expected = sim.status("sim-02").expect("known").temperature as f32;
    assert_eq!(temperature, RawValue::Float(f64::from(expected)));
    let coils = ctx
        .read_coils(0, 3)
        .await
        .expect("transport")
        .expect("no exception");
    assert_eq!(coils, vec![true, false, false]);
    sim.shutdown().await;
}

#[tokio::test]
async fn unmapped_addresses_answer_illegal_data_address() {
    let sim = Simulator::start(paused_machines(1, 4000)).await.expect("starts");
    let mut ctx = connect(sim.local_addr(), 1).await;
    let past_end = ctx.read_holding_registers(100, 1).await.expect("transport works");
    assert_eq!(past_end, Err(ExceptionCode::IllegalDataAddress));
    let straddling = ctx.read_holding_registers(90, 20).await.expect("transport works");
    assert_eq!(straddling, Err(ExceptionCode::IllegalDataAddress));
    let inputs = ctx.read_input_registers(0, 1).await.expect("transport works");
    assert_eq!(inputs, Err(ExceptionCode::IllegalDataAddress));
    let discrete = ctx.read_discrete_inputs(0, 1).await.expect("transport works");
    assert_eq!(discrete, Err(ExceptionCode::IllegalDataAddress));
    // The connection is still usable after exceptions.
    assert_eq!(holding(&mut ctx, 0, 1).await, vec![1]);
    sim.shutdown().await;
}

#[tokio::test]
async fn writes_are_illegal_functions_and_unknown_units_gateway_failures() {
    let sim = Simulator::start(paused_machines(1, 4000)).await.expect("starts");
    let mut ctx = connect(sim.local_addr(), 1).await;
    let write = ctx.write_single_register(0, 7).await.expect("transport works");
    assert_eq!(write, Err(ExceptionCode::IllegalFunction));
    ctx.set_slave(Slave(42));
    let absent = ctx.read_holding_registers(0, 1).await.expect("transport works");
    assert_eq!(absent, Err(ExceptionCode::GatewayTargetDevice));
    sim.shutdown().await;
}

#[tokio::test]
async fn forced_fault_shows_at_once_and_release_restores_running() {
    let sim = Simulator::start(paused_machines(2, 4000)).await.expect("starts");
    let mut ctx = connect(sim.local_addr(), 1).await;
    sim.force_fault("sim-01", 205).expect("known machine");
    assert_eq!(holding(&mut ctx, 0, 2).await, vec![3, 205]);
    let coils = ctx
        .read_coils(0, 3)
        .await
        .expect("transport")
        .expect("no exception");
    assert_eq!(coils, vec![false, false, true]);
    // Held through time, and the other machine is untouched.
    sim.step(100);
    assert_eq!(holding(&mut ctx, 0, 3).await, vec![3, 205, 0]);
    ctx.set_slave(Slave(2));
    assert_eq!(holding(&mut ctx, 0, 2).await, vec![1, 0]);
    ctx.set_slave(Slave(1));
    sim.release("sim-01").expect("known machine");
    assert_eq!(holding(&mut ctx, 0, 2).await, vec![1, 0]);
    sim.force_setup("sim-01").expect("known");
    assert_eq!(holding(&mut ctx, 0, 1).await, vec![2]);
    sim.force_stop("sim-01").expect("known");
    assert_eq!(holding(&mut ctx, 0, 1).await, vec![0]);
    assert!(sim.force_stop("nope").is_err());
    sim.shutdown().await;
}

#[tokio::test]
async fn u16_good_counter_rolls_over_to_zero() {
    let sim = Simulator::start(paused_machines(1, 1000)).await.expect("starts");
    let mut ctx = connect(sim.local_addr(), 1).await;
    sim.set_counters("sim-01", 65_534, 7).expect("known machine");
    assert_eq!(holding(&mut ctx, 2, 2).await, vec![65_534, 7]);
    sim.step(10); // one cycle of 1000 ms
    assert_eq!(holding(&mut ctx, 2, 1).await, vec![65_535]);
    sim.step(10);
    assert_eq!(holding(&mut ctx, 2, 1).await, vec![0]);
    assert_eq!(sim.status("sim-01").expect("known").good_total, 65_536);
    sim.shutdown().await;
}

#[tokio::test]
async fn running_clock_makes_parts_in_real_time() {
    let mut config = SimConfig::with_machines(1, "127.0.0.1:0");
    config.tick_ms = 20;
    config.behaviour = steady(100);
    let sim = Simulator::start(config).await.expect("starts");
    let mut ctx = connect(sim.local_addr(), 1).await;
    let give_up = Instant::now() + DEADLINE;
    let good = loop {
        let good = holding(&mut ctx, 2, 1).await[0];
        if good >= 3 {
            break good;
        }
        assert!(
            Instant::now() < give_up,
            "timed out waiting for three good parts, have {good}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(good >= 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn same_seed_gives_same_registers_after_same_steps() {
    let mut config = paused_machines(3, 700);
    config.behaviour.faults_per_hour = Some(500.0);
    config.behaviour.stops_per_hour = Some(500.0);
    config.behaviour.scrap_rate = Some(0.3);
    let a = Simulator::start(config.clone()).await.expect("starts");
    let b = Simulator::start(config).await.expect("starts");
    a.step(500);
    b.step(500);
    for unit in 1..=3 {
        let ra = holding(&mut connect(a.local_addr(), unit).await, 0, 16).await;
        let rb = holding(&mut connect(b.local_addr(), unit).await, 0, 16).await;
        assert_eq!(ra, rb, "unit {unit}");
    }
    a.shutdown().await;
    b.shutdown().await;
}

/// The agent's benchmark load: 50 machines x 100 registers every 100 ms,
/// one connection per machine. Checks that every poll is answered; the
/// timing is printed, not asserted (debug builds on shared CI vary).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serves_fifty_machines_of_one_hundred_registers() {
    let sim = Simulator::start(SimConfig::with_machines(50, "127.0.0.1:0"))
        .await
        .expect("starts");
    let addr = sim.local_addr();
    let started = Instant::now();
    let mut pollers = Vec::new();
    for unit in 1..=50u8 {
        pollers.push(tokio::spawn(async move {
            let mut ctx = connect(addr, unit).await;
            let mut interval = tokio::time::interval(Duration::from_millis(100));
            let mut slowest = Duration::ZERO;
            for _ in 0..20 {
                interval.tick().await;
                let t = Instant::now();
                let regs = holding(&mut ctx, 0, 100).await;
                slowest = slowest.max(t.elapsed());
                assert_eq!(regs.len(), 100);
            }
            slowest
        }));
    }
    let mut slowest = Duration::ZERO;
    for poller in pollers {
        slowest = slowest.max(
            tokio::time::timeout(DEADLINE, poller)
                .await
                .expect("in time")
                .expect("no panic"),
        );
    }
    eprintln!(
        "1000 polls of 100 registers in {:?}; slowest {slowest:?}",
        started.elapsed()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn several_listeners_serve_their_own_machines() {
    let text = r#"
        [[machines]]
        name = "a"
        unit_id = 1
        [[machines]]
        name = "b"
        unit_id = 1
        layout = { good_count = { area = "input_register", address = 0, type = "u32" } }
        [[listeners]]
        address = "127.0.0.1:0"
        machines = ["a"]
        [[listeners]]
        address = "127.0.0.1:0"
        machines = ["b"]
    "#;
    let mut config = SimConfig::from_toml("test.toml", text).expect("parses");
    config.start_paused = true;
    let sim = Simulator::start(config).await.expect("starts");
    let [first, second] = sim.modbus_addrs() else {
        panic!("two listeners expected");
    };
    // 70000 = 0x0001_1170: high word 1, low word 4464.
    sim.set_counters("b", 70_000, 0).expect("known");
    let mut a = connect(*first, 1).await;
    let mut b = connect(*second, 1).await;
    assert_eq!(
        a.read_input_registers(0, 2).await.expect("transport"),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(
        b.read_input_registers(0, 2).await.expect("transport"),
        Ok(vec![1, 4_464])
    );
    assert_eq!(
        b.read_holding_registers(2, 1).await.expect("transport"),
        Err(ExceptionCode::IllegalDataAddress),
        "the moved counter leaves a hole"
    );
    let machines = sim.machines();
    assert_eq!(machines[1].modbus, vec![*second]);
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_the_listener_promptly() {
    let sim = Simulator::start(paused_machines(1, 4000)).await.expect("starts");
    let addr = sim.local_addr();
    let mut ctx = connect(addr, 1).await;
    assert_eq!(holding(&mut ctx, 0, 1).await, vec![1]);
    tokio::time::timeout(DEADLINE, sim.shutdown())
        .await
        .expect("shuts down in time");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed"
    );
    let after = ctx.read_holding_registers(0, 1).await;
    assert!(after.is_err(), "open connections are closed: {after:?}");
}

//! The `machine-sim` program itself: it prints where it serves, answers
//! Modbus there, and exits cleanly on SIGTERM; a taken port is a clear error.

mod common;

use common::DEADLINE;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use tokio_modbus::prelude::*;

#[cfg(unix)]
#[tokio::test]
async fn binary_serves_the_printed_address_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_machine-sim"))
        .args(["--machines", "2", "--modbus", "127.0.0.1:0", "--seed", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    // The summary names the bound address: "Modbus TCP 127.0.0.1:PORT:".
    // Keep reading to the end so the program never writes to a closed pipe.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let addr = line
                .strip_prefix("Modbus TCP ")
                .and_then(|rest| rest.strip_suffix(':'))
                .and_then(|a| a.parse::<std::net::SocketAddr>().ok());
            if let Some(addr) = addr
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(addr);
            }
        }
    });
    let addr = tokio::time::timeout(DEADLINE, rx)
        .await
        .expect("summary printed in time")
        .expect("summary names the Modbus address");
    let mut ctx = tcp::connect_slave(addr, Slave(2)).await.expect("connects");
    let regs = ctx
        .read_holding_registers(0, 100)
        .await
        .expect("transport")
        .expect("no exception");
    assert_eq!(regs.len(), 100);
    let status = Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = tokio::time::timeout(DEADLINE, tokio::task::spawn_blocking(move || child.wait()))
        .await
        .expect("exits in time")
        .expect("waiter finished")
        .expect("exit status");
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}

#[tokio::test]
async fn taken_port_is_an_error_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = taken.local_addr().expect("bound").to_string();
    let config = machine_sim::SimConfig::with_machines(1, &addr);
    let Err(err) = machine_sim::Simulator::start(config).await else {
        panic!("the port is taken");
    };
    assert!(err.to_string().contains(&addr), "{err}");
}

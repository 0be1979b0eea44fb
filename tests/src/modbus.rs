//! What the Modbus tests share: a simulator whose machines change only
//! when a test says so, and the agent's configuration of one device with
//! a status word and a fault code read in one request.

use machine_sim::{SimConfig, SimHandle, Simulator};

/// A paused simulator with `machines` machines (unit ids 1..) that never
/// stop, fault, set up or scrap on their own.
pub async fn quiet_simulator(machines: u16) -> SimHandle {
    let mut config = SimConfig::with_machines(machines, "127.0.0.1:0");
    config.start_paused = true;
    config.behaviour.stops_per_hour = Some(0.0);
    config.behaviour.faults_per_hour = Some(0.0);
    config.behaviour.setups_per_hour = Some(0.0);
    config.behaviour.scrap_rate = Some(0.0);
    Simulator::start(config).await.expect("simulator starts")
}

/// One `[[modbus]]` device at `sim` (unit `unit`) and its `[[equipment]]`,
/// both called `name`. The status word (holding register 0: 1 running, 2
/// setup, 3 down) and the fault code (register 1) are read in one request;
/// `tags` gives their order in the poll group (`"state"`, `"fault_code"`).
pub fn status_word_device(
    sim: &str,
    unit: u8,
    name: &str,
    tags: [&str; 2],
    offline_after_secs: u64,
) -> String {
    let tag = |t: &str| match t {
        "state" => r#"{ name = "state", area = "holding_register", address = 0, type = "u16" },"#,
        _ => r#"{ name = "fault_code", area = "holding_register", address = 1, type = "u16" },"#,
    };
    let tags = format!("  {}\n  {}", tag(tags[0]), tag(tags[1]));
    let device = tcp_device(sim, unit, name, &tags);
    format!(
        r#"{device}
[[equipment]]
name = "{name}"
device = "{name}"
offline_after_secs = {offline_after_secs}
states = [
  {{ state = "down", tag = "state", op = "eq", value = 3, reason_tag = "fault_code" }},
  {{ state = "setup", tag = "state", op = "eq", value = 2 }},
  {{ state = "running", tag = "state", op = "eq", value = 1 }},
]
"#
    )
}

/// One Modbus TCP `[[modbus]]` device `name` at `sim` (unit `unit`) with
/// short timeouts and one poll group `fast` every 100 ms reading `tags`
/// (inline tables, one per line).
pub fn tcp_device(sim: &str, unit: u8, name: &str, tags: &str) -> String {
    format!(
        r#"
[[modbus]]
name = "{name}"
address = "{sim}"
unit_id = {unit}
timeout_ms = 500
reconnect_initial_ms = 100
reconnect_max_secs = 1
[[modbus.poll_groups]]
name = "fast"
interval_ms = 100
tags = [
{tags}
]
"#
    )
}

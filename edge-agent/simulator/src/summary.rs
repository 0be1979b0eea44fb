//! The start-up summary: what is served where, so an integrator can point
//! the agent at it (listeners and unit ids, MQTT topics, each distinct
//! register layout as a table).

use crate::resolve::Plan;
use std::fmt::Write as _;
use std::net::SocketAddr;

/// The summary text of `plan` with its bound listener addresses.
pub(crate) fn render(plan: &Plan, bound: &[SocketAddr]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "machine-sim: {} machines, seed {}, tick {} ms{}",
        plan.machines.len(),
        plan.seed,
        plan.tick_ms,
        if plan.start_paused { " (clock paused)" } else { "" }
    );
    for (listener, addr) in plan.listeners.iter().zip(bound) {
        let _ = writeln!(out, "Modbus TCP {addr}:");
        for &i in &listener.machines {
            let m = &plan.machines[i];
            let b = &m.behaviour;
            let _ = writeln!(
                out,
                "  unit {:>3}  {:<16} line {:<10} cycle {} ms, scrap {:.1}%",
                m.unit_id,
                m.name,
                m.line,
                b.cycle_time_ms,
                b.scrap_rate * 100.0
            );
        }
    }
    match &plan.mqtt {
        Some(mqtt) => {
            let _ = writeln!(
                out,
                "MQTT {} (QoS {}): {}/<line>/<machine>/{{state,count,temperature,spindle_speed}}{}",
                mqtt.broker,
                mqtt.qos,
                mqtt.topic_prefix,
                if mqtt.malformed_rate > 0.0 {
                    format!(", malformed rate {}", mqtt.malformed_rate)
                } else {
                    String::new()
                }
            );
        }
        None => {
            let _ = writeln!(out, "MQTT: off");
        }
    }
    if let Some(spb) = &plan.sparkplug {
        let _ = writeln!(
            out,
            "Sparkplug B {}: spBv1.0/{}/{{NBIRTH,NDEATH}}/{} and {{DBIRTH,DDATA}}/{}/<machine> (state, fault_code, good, scrap, temperature, spindle_speed)",
            spb.broker, spb.group_id, spb.edge_node_id, spb.edge_node_id
        );
    }
    // One table per distinct layout, naming the machines that use it.
    let mut seen: Vec<usize> = Vec::new();
    for (i, m) in plan.machines.iter().enumerate() {
        if seen.iter().any(|&j| plan.machines[j].layout == m.layout) {
            continue;
        }
        seen.push(i);
        let users: Vec<&str> = plan
            .machines
            .iter()
            .filter(|o| o.layout == m.layout)
            .map(|o| o.name.as_str())
            .collect();
        let names = if users.len() > 6 {
            format!("{}, … ({} machines)", users[..3].join(", "), users.len())
        } else {
            users.join(", ")
        };
        let _ = writeln!(
            out,
            "Register layout of {names} (0-based addresses; other addresses answer 0x02):"
        );
        out.push_str(&m.layout.table());
    }
    let _ = writeln!(
        out,
        "state codes: 0 idle, 1 running, 2 setup, 3 down; counters wrap at their type's width"
    );
    out
}

//! Metrics of machine data: Modbus polling (counts, jitter), Sparkplug B
//! sessions (births, deaths, seq gaps, rebirth requests), bad input per
//! device, and each equipment's state and part totals.

use super::{counter, gauge};
use crate::machines::MachineViews;
use crate::sources::SourceStats;
use crate::sources::sparkplug::SparkplugStats;
use mes_protocols::event::EquipmentState;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

const STATES: [(EquipmentState, &str); 5] = [
    (EquipmentState::Running, "running"),
    (EquipmentState::Idle, "idle"),
    (EquipmentState::Down, "down"),
    (EquipmentState::Setup, "setup"),
    (EquipmentState::Offline, "offline"),
];

/// Writes the machine-data metrics.
pub fn encode(
    enc: &mut DescriptorEncoder,
    machines: &MachineViews,
    inputs: &SourceStats,
) -> std::fmt::Result {
    let m = &inputs.modbus;
    counter(enc, "modbus_polls", "Modbus poll cycles run", &m.polls_total)?;
    counter(
        enc,
        "modbus_requests",
        "Modbus read requests sent",
        &m.requests_total,
    )?;
    counter(
        enc,
        "modbus_tags_read",
        "Modbus tag values decoded",
        &m.tags_read_total,
    )?;
    counter(
        enc,
        "modbus_overruns",
        "Poll cycles skipped because the previous one overran",
        &m.overruns_total,
    )?;
    for (q, name) in [
        (0.5, "modbus_poll_lateness_p50_seconds"),
        (0.99, "modbus_poll_lateness_p99_seconds"),
    ] {
        let late = m.lateness_quantile(q).map_or(0.0, |d| d.as_secs_f64());
        gauge(
            enc,
            name,
            "How late polls start against their schedule (recent window)",
            late,
        )?;
    }
    let bad = inputs.by_reason();
    let mut family = enc.encode_descriptor(
        "source_bad_inputs",
        "Bad input per device (or topic, when no device name could be made) and reason: \
         topic, payload, field, register, count, state, value, no_equipment",
        None,
        prometheus_client::metrics::MetricType::Counter,
    )?;
    for ((device, reason), n) in &bad {
        let labels = [("device", device.as_str()), ("reason", reason.as_str())];
        ConstCounter::new(*n).encode(family.encode_family(&labels)?)?;
    }
    sparkplug(enc, &inputs.sparkplug)?;
    let board = machines.board.snapshot();
    let mut family = enc.encode_descriptor(
        "equipment_state",
        "1 for the equipment's current state, 0 for the others",
        None,
        prometheus_client::metrics::MetricType::Gauge,
    )?;
    for (name, status) in &board {
        for (state, label) in STATES {
            let value = i64::from(status.state == Some(state));
            ConstGauge::new(value)
                .encode(family.encode_family(&[("equipment", name.as_str()), ("state", label)])?)?;
        }
    }
    let mut family = enc.encode_descriptor(
        "equipment_parts",
        "Parts counted by the agent, per equipment and quality",
        None,
        prometheus_client::metrics::MetricType::Counter,
    )?;
    for (name, status) in &board {
        for (quality, n) in [("good", status.good_total), ("scrap", status.scrap_total)] {
            ConstCounter::new(n)
                .encode(family.encode_family(&[("equipment", name.as_str()), ("quality", quality)])?)?;
        }
    }
    Ok(())
}

/// The Sparkplug B source's counters.
fn sparkplug(enc: &mut DescriptorEncoder, s: &SparkplugStats) -> std::fmt::Result {
    counter(
        enc,
        "sparkplug_messages",
        "Sparkplug B messages received",
        &s.messages_total,
    )?;
    counter(
        enc,
        "sparkplug_births",
        "Sparkplug B NBIRTH and DBIRTH messages",
        &s.births_total,
    )?;
    counter(
        enc,
        "sparkplug_deaths",
        "Sparkplug B NDEATH and DDEATH messages",
        &s.deaths_total,
    )?;
    counter(
        enc,
        "sparkplug_seq_gaps",
        "Sparkplug B messages whose seq was not the one expected (messages lost)",
        &s.seq_gaps_total,
    )?;
    counter(
        enc,
        "sparkplug_not_born",
        "Sparkplug B data from a node or device not born in this session",
        &s.not_born_total,
    )?;
    let mut family = enc.encode_descriptor(
        "sparkplug_rebirth_requests",
        "Rebirth requests (NCMD Node Control/Rebirth) sent, per edge node",
        None,
        prometheus_client::metrics::MetricType::Counter,
    )?;
    for (node, n) in s.rebirths() {
        ConstCounter::new(n).encode(family.encode_family(&[("node", node.as_str())])?)?;
    }
    Ok(())
}

//! The equipment model's rules, one behaviour per test.

use super::*;
use crate::equipment::config::{EquipmentConfig, parse_equipment};
use mes_protocols::config_text::parse_toml;

#[derive(serde::Deserialize)]
struct Doc {
    equipment: Vec<EquipmentConfig>,
}

const PRESS: &str = r#"
[[equipment]]
name = "press-1"
device = "plc-1"
offline_after_secs = 10
values = ["temperature"]
states = [
  { state = "down", tag = "fault_code", op = "ne", value = 0, reason_tag = "fault_code" },
  { state = "setup", tag = "setup", op = "true" },
  { state = "running", tag = "run", op = "true" },
]
counters = { good = { tag = "good_count", width = 16 }, scrap = { tag = "scrap", mode = "per_message" } }
"#;

fn model(saved: &HashMap<String, String>) -> EquipmentModel {
    let doc: Doc = parse_toml("agent.toml", PRESS).expect("parses");
    let spec = parse_equipment("agent.toml", &doc.equipment)
        .expect("valid")
        .remove(0);
    EquipmentModel::new(spec, saved)
}

fn code(s: &str) -> Code {
    Code::parse(s).expect("code")
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_764_000_000_000 + ms)
}

fn feed(m: &mut EquipmentModel, tags: &[(&str, TagValue)], ms: i64) -> ModelOutput {
    let mut out = ModelOutput::default();
    for (tag, value) in tags {
        m.observe_tag(&code(tag), value, at(ms), &mut out);
    }
    out
}

fn states(out: &ModelOutput) -> Vec<(EquipmentState, Option<String>)> {
    out.events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::EquipmentStateChanged(s) => {
                Some((s.state, s.reason.as_ref().map(ToString::to_string)))
            }
            _ => None,
        })
        .collect()
}

fn counts(out: &ModelOutput) -> Vec<(u64, u64, u64, u64)> {
    out.events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::PartsCounted(p) => Some((p.good, p.scrap, p.good_total, p.scrap_total)),
            _ => None,
        })
        .collect()
}

fn all_rule_tags(run: bool, setup: bool, fault: i64) -> Vec<(&'static str, TagValue)> {
    vec![
        ("run", TagValue::Bool(run)),
        ("setup", TagValue::Bool(setup)),
        ("fault_code", TagValue::Int(fault)),
    ]
}

#[test]
fn no_state_until_every_rule_tag_is_known() {
    let mut m = model(&HashMap::new());
    assert!(states(&feed(&mut m, &[("run", TagValue::Bool(true))], 0)).is_empty());
    let out = feed(
        &mut m,
        &[("setup", TagValue::Bool(false)), ("fault_code", TagValue::Int(0))],
        1,
    );
    assert_eq!(states(&out), vec![(EquipmentState::Running, None)]);
}

#[test]
fn first_matching_rule_wins_and_only_changes_are_events() {
    let mut m = model(&HashMap::new());
    feed(&mut m, &all_rule_tags(true, false, 0), 0);
    assert!(
        states(&feed(&mut m, &all_rule_tags(true, false, 0), 1)).is_empty(),
        "no change, no event"
    );
    let out = feed(&mut m, &[("fault_code", TagValue::Int(12))], 2);
    assert_eq!(
        states(&out),
        vec![(EquipmentState::Down, Some("12".into()))],
        "fault beats run"
    );
    let out = feed(
        &mut m,
        &[("fault_code", TagValue::Int(0)), ("run", TagValue::Bool(false))],
        3,
    );
    assert_eq!(
        states(&out),
        vec![(EquipmentState::Running, None), (EquipmentState::Idle, None)]
    );
}

#[test]
fn register_counters_count_deltas_through_rollover() {
    let mut m = model(&HashMap::new());
    assert!(
        counts(&feed(&mut m, &[("good_count", TagValue::Int(65_530))], 0)).is_empty(),
        "first reading is a baseline"
    );
    let out = feed(&mut m, &[("good_count", TagValue::Int(65_534))], 1);
    assert_eq!(counts(&out), vec![(4, 0, 4, 0)]);
    let out = feed(&mut m, &[("good_count", TagValue::Int(3))], 2);
    assert_eq!(
        counts(&out),
        vec![(5, 0, 9, 0)],
        "65534 → 65535 → 0..3 is five parts"
    );
    assert_eq!(out.state.last().and_then(|s| s.value.clone()), Some("3,9".into()));
}

#[test]
fn per_message_counters_count_each_message() {
    let mut m = model(&HashMap::new());
    let out = feed(
        &mut m,
        &[("scrap", TagValue::Bool(true)), ("scrap", TagValue::Int(2))],
        0,
    );
    assert_eq!(counts(&out), vec![(0, 1, 0, 1), (0, 2, 0, 3)]);
}

#[test]
fn restored_counters_neither_lose_nor_double_parts() {
    let mut saved = HashMap::new();
    saved.insert(counter_key(&code("press-1"), "good"), "100,40".to_string());
    let mut m = model(&saved);
    let out = feed(&mut m, &[("good_count", TagValue::Int(103))], 0);
    assert_eq!(
        counts(&out),
        vec![(3, 0, 43, 0)],
        "parts made while the agent was down are counted once"
    );
}

#[test]
fn silence_and_link_loss_make_it_offline_and_values_bring_it_back() {
    let mut m = model(&HashMap::new());
    feed(&mut m, &all_rule_tags(true, false, 0), 0);
    let mut out = ModelOutput::default();
    m.check_silence(at(5_000), &mut out);
    assert!(states(&out).is_empty(), "5 s of silence is within the 10 s limit");
    m.check_silence(at(10_001), &mut out);
    assert_eq!(states(&out), vec![(EquipmentState::Offline, None)]);
    let out = feed(&mut m, &all_rule_tags(true, false, 0), 11_000);
    assert_eq!(states(&out), vec![(EquipmentState::Running, None)]);
    let mut out = ModelOutput::default();
    m.set_offline(at(12_000), &mut out);
    assert_eq!(states(&out), vec![(EquipmentState::Offline, None)]);
}

#[test]
fn process_values_are_reported() {
    let mut m = model(&HashMap::new());
    let out = feed(
        &mut m,
        &[
            ("temperature", TagValue::Float(181.5)),
            ("unmapped", TagValue::Int(1)),
        ],
        0,
    );
    assert_eq!(out.events.len(), 1);
    assert!(matches!(&out.events[0].body, EventBody::ProcessValueSampled(p) if p.value == 181.5));
}

#[test]
fn config_errors_name_the_key() {
    let bad = PRESS.replace("width = 16", "width = 12");
    let doc: Doc = parse_toml("agent.toml", &bad).expect("parses");
    let err = parse_equipment("agent.toml", &doc.equipment).expect_err("bad width");
    assert_eq!(err.key, "equipment[0].counters.good.width");
    let bad = PRESS.replace("op = \"ne\", value = 0", "op = \"ne\"");
    let doc: Doc = parse_toml("agent.toml", &bad).expect("parses");
    let err = parse_equipment("agent.toml", &doc.equipment).expect_err("no value");
    assert_eq!(err.key, "equipment[0].states[0].value");
}

#[test]
fn text_rules_match_mqtt_states() {
    let text = r#"
[[equipment]]
name = "m1"
device = "m1"
states = [
  { state = "down", tag = "state", op = "eq", text = "down", reason_tag = "fault_code" },
  { state = "running", tag = "state", op = "eq", text = "Running" },
]
"#;
    let doc: Doc = parse_toml("agent.toml", text).expect("parses");
    let spec = parse_equipment("agent.toml", &doc.equipment)
        .expect("valid")
        .remove(0);
    let mut m = EquipmentModel::new(spec, &HashMap::new());
    let out = feed(&mut m, &[("state", TagValue::Text("running".into()))], 0);
    assert_eq!(states(&out), vec![(EquipmentState::Running, None)]);
    let out = feed(
        &mut m,
        &[
            ("fault_code", TagValue::Int(7)),
            ("state", TagValue::Text("down".into())),
        ],
        1,
    );
    assert_eq!(states(&out), vec![(EquipmentState::Down, Some("7".into()))]);
    let out = feed(&mut m, &[("state", TagValue::Text("idle".into()))], 2);
    assert_eq!(
        states(&out),
        vec![(EquipmentState::Idle, None)],
        "no rule holds: idle"
    );
}

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

/// Feeds one snapshot; bad input panics (see `refused`).
fn feed(m: &mut EquipmentModel, tags: &[(&str, TagValue)], ms: i64) -> ModelOutput {
    let mut out = ModelOutput::default();
    let values: Vec<(Code, TagValue)> = tags.iter().map(|(t, v)| (code(t), v.clone())).collect();
    m.observe(&values, at(ms), at(ms), &mut out).expect("good input");
    out
}

/// Feeds one snapshot that must be refused; returns the problems' kinds.
fn refused(m: &mut EquipmentModel, tags: &[(&str, TagValue)], ms: i64) -> Vec<BadInputKind> {
    let mut out = ModelOutput::default();
    let values: Vec<(Code, TagValue)> = tags.iter().map(|(t, v)| (code(t), v.clone())).collect();
    let problems = m
        .observe(&values, at(ms), at(ms), &mut out)
        .expect_err("bad input");
    assert!(
        out.events.is_empty() && out.state.is_empty(),
        "bad input makes nothing"
    );
    problems.into_iter().map(|p| p.kind).collect()
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
        vec![(EquipmentState::Idle, None)],
        "one snapshot, one evaluation: no passing through running"
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
    let out = feed(&mut m, &[("scrap", TagValue::Int(1))], 0);
    assert_eq!(counts(&out), vec![(0, 1, 0, 1)]);
    let out = feed(&mut m, &[("scrap", TagValue::Int(2))], 1);
    assert_eq!(counts(&out), vec![(0, 2, 0, 3)]);
    let out = feed(&mut m, &[("scrap", TagValue::Int(0))], 2);
    assert!(counts(&out).is_empty(), "zero parts is no event");
}

#[test]
fn per_message_counts_of_the_wrong_type_are_bad_input_and_count_nothing() {
    let mut m = model(&HashMap::new());
    for bad in [
        TagValue::Text("three".into()),
        TagValue::Text("-4".into()),
        TagValue::Text("3".into()),
        TagValue::Text(String::new()),
        TagValue::Bool(true),
        TagValue::Int(-2),
        TagValue::Float(2.5),
        TagValue::Float(1e12),
        TagValue::Int(10_001),
    ] {
        assert_eq!(
            refused(&mut m, &[("scrap", bad.clone())], 0),
            vec![BadInputKind::Count],
            "{bad:?}"
        );
    }
    let out = feed(&mut m, &[("scrap", TagValue::Int(10_000))], 1);
    assert_eq!(
        counts(&out),
        vec![(0, 10_000, 0, 10_000)],
        "the limit itself is fine"
    );
}

#[test]
fn a_snapshot_with_bad_input_changes_nothing_at_all() {
    let mut m = model(&HashMap::new());
    feed(&mut m, &all_rule_tags(true, false, 0), 0);
    let kinds = refused(
        &mut m,
        &[
            ("fault_code", TagValue::Int(9)),
            ("scrap", TagValue::Text("x".into())),
        ],
        1,
    );
    assert_eq!(kinds, vec![BadInputKind::Count]);
    assert_eq!(
        m.status().state,
        Some(EquipmentState::Running),
        "fault 9 not applied"
    );
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
    for bad in [
        TagValue::Text("runing".into()),
        TagValue::Text("idle".into()),
        TagValue::Int(5),
        TagValue::Bool(true),
    ] {
        assert_eq!(
            refused(&mut m, &[("state", bad.clone())], 2),
            vec![BadInputKind::State],
            "{bad:?} is no state the rules know"
        );
    }
    assert_eq!(m.status().state, Some(EquipmentState::Down));
}

#[test]
fn an_other_rule_takes_every_text_no_rule_names() {
    let text = r#"
[[equipment]]
name = "m1"
device = "m1"
states = [
  { state = "running", tag = "state", op = "eq", text = "running" },
  { state = "setup", tag = "state", op = "other" },
]
"#;
    let doc: Doc = parse_toml("agent.toml", text).expect("parses");
    let spec = parse_equipment("agent.toml", &doc.equipment)
        .expect("valid")
        .remove(0);
    let mut m = EquipmentModel::new(spec, &HashMap::new());
    let out = feed(&mut m, &[("state", TagValue::Text("changeover".into()))], 0);
    assert_eq!(states(&out), vec![(EquipmentState::Setup, None)]);
    let out = feed(&mut m, &[("state", TagValue::Text("Running".into()))], 1);
    assert_eq!(states(&out), vec![(EquipmentState::Running, None)]);
    assert_eq!(
        refused(&mut m, &[("state", TagValue::Int(5))], 2),
        vec![BadInputKind::State]
    );
}

/// A status word, a fault code and a run bit, as a PLC serves them.
const STATUS_WORD: &str = r#"
[[equipment]]
name = "plc-m"
device = "plc-m"
states = [
  { state = "down", tag = "status", op = "eq", value = 3, reason_tag = "fault_code" },
  { state = "down", tag = "fault_code", op = "ne", value = 0, reason_tag = "fault_code" },
  { state = "setup", tag = "status", op = "eq", value = 2 },
  { state = "running", tag = "run", op = "true" },
]
"#;

fn status_word_model() -> EquipmentModel {
    let doc: Doc = parse_toml("agent.toml", STATUS_WORD).expect("parses");
    let spec = parse_equipment("agent.toml", &doc.equipment)
        .expect("valid")
        .remove(0);
    EquipmentModel::new(spec, &HashMap::new())
}

/// The rule function on a whole snapshot, written out independently.
fn expected_state(status: i64, fault: i64, run: bool) -> (EquipmentState, Option<String>) {
    if status == 3 || fault != 0 {
        (EquipmentState::Down, Some(fault.to_string()))
    } else if status == 2 {
        (EquipmentState::Setup, None)
    } else if run {
        (EquipmentState::Running, None)
    } else {
        (EquipmentState::Idle, None)
    }
}

#[test]
fn a_fault_read_in_one_poll_is_one_down_event_with_its_reason_in_either_tag_order() {
    for order in [["status", "fault_code"], ["fault_code", "status"]] {
        let mut m = status_word_model();
        let snapshot = |status: i64, fault: i64| -> Vec<(&str, TagValue)> {
            order
                .iter()
                .map(|t| (*t, TagValue::Int(if *t == "status" { status } else { fault })))
                .chain([("run", TagValue::Bool(status == 1))])
                .collect()
        };
        let mut seen = Vec::new();
        // Start into a faulted machine, run, fault again, run.
        for (ms, (status, fault)) in [(3, 205), (1, 0), (3, 206), (1, 0)].into_iter().enumerate() {
            seen.extend(states(&feed(&mut m, &snapshot(status, fault), ms as i64)));
        }
        assert_eq!(
            seen,
            vec![
                (EquipmentState::Down, Some("205".into())),
                (EquipmentState::Running, None),
                (EquipmentState::Down, Some("206".into())),
                (EquipmentState::Running, None),
            ],
            "tag order {order:?}"
        );
    }
}

#[test]
fn a_new_reason_in_the_same_state_is_one_event_with_the_same_state() {
    let mut m = status_word_model();
    let tags = |fault: i64| {
        vec![
            ("status", TagValue::Int(3)),
            ("fault_code", TagValue::Int(fault)),
            ("run", TagValue::Bool(false)),
        ]
    };
    feed(&mut m, &tags(205), 0);
    let out = feed(&mut m, &tags(17), 1);
    assert_eq!(states(&out), vec![(EquipmentState::Down, Some("17".into()))]);
}

#[test]
fn an_answering_device_with_unchanged_values_stays_online() {
    let mut m = model(&HashMap::new());
    feed(&mut m, &all_rule_tags(false, false, 7), 0);
    let mut out = ModelOutput::default();
    for s in 1..=60 {
        // Each poll answers; nothing changed, so the snapshot is empty.
        feed(&mut m, &[], s * 1000);
        m.check_silence(at(s * 1000 + 500), &mut out);
    }
    assert!(
        states(&out).is_empty(),
        "a minute of unchanged answers is no silence"
    );
    assert_eq!(m.status().state, Some(EquipmentState::Down));
}

#[test]
fn after_silence_the_next_answer_brings_the_state_back_without_new_values() {
    let mut m = model(&HashMap::new());
    feed(&mut m, &all_rule_tags(true, false, 0), 0);
    let mut out = ModelOutput::default();
    m.check_silence(at(10_001), &mut out);
    assert_eq!(states(&out), vec![(EquipmentState::Offline, None)]);
    let out = feed(&mut m, &[], 11_000);
    assert_eq!(states(&out), vec![(EquipmentState::Running, None)]);
}

/// Feeds one snapshot stamped `device_ms` by the device and received at
/// `agent_ms` by the agent.
fn feed_stamped(
    m: &mut EquipmentModel,
    tags: &[(&str, TagValue)],
    device_ms: i64,
    agent_ms: i64,
) -> ModelOutput {
    let mut out = ModelOutput::default();
    let values: Vec<(Code, TagValue)> = tags.iter().map(|(t, v)| (code(t), v.clone())).collect();
    m.observe(&values, at(device_ms), at(agent_ms), &mut out)
        .expect("good input");
    out
}

#[test]
fn a_device_whose_clock_runs_behind_is_not_silent_while_it_sends() {
    let mut m = model(&HashMap::new());
    let behind = 120_000;
    let mut out = feed_stamped(&mut m, &all_rule_tags(true, false, 0), -behind, 0);
    for s in 1..=30 {
        out.events
            .extend(feed_stamped(&mut m, &[], s * 1000 - behind, s * 1000).events);
        m.check_silence(at(s * 1000 + 500), &mut out);
    }
    assert_eq!(
        states(&out),
        vec![(EquipmentState::Running, None)],
        "messages every second keep it running, whatever their stamps say"
    );
}

#[test]
fn a_state_is_never_dated_before_the_state_it_ends() {
    let mut m = model(&HashMap::new());
    let behind = 120_000;
    feed_stamped(&mut m, &all_rule_tags(true, false, 0), -behind, 0);
    let mut out = ModelOutput::default();
    m.check_silence(at(10_001), &mut out);
    assert_eq!(states(&out), vec![(EquipmentState::Offline, None)]);
    // The device speaks again; its stamp is before the offline instant.
    let out = feed_stamped(&mut m, &[], 11_000 - behind, 11_000);
    assert_eq!(states(&out), vec![(EquipmentState::Running, None)]);
    assert_eq!(
        out.events[0].occurred_at,
        at(10_001),
        "dated at the offline instant, not two minutes before it"
    );
}

mod property {
    use super::*;
    use proptest::prelude::*;

    fn snapshots() -> impl Strategy<Value = Vec<(i64, i64, bool, Vec<usize>)>> {
        prop::collection::vec(
            (
                0i64..4,
                0i64..3,
                any::<bool>(),
                Just(vec![0usize, 1, 2]).prop_shuffle(),
            ),
            1..40,
        )
    }

    proptest! {
        /// Whatever the order the tags of a poll arrive in, and with only
        /// changed values reported (as the poller does), the state events
        /// are exactly the changes of the rule function on whole snapshots.
        #[test]
        fn state_events_are_the_changes_of_the_rules_on_whole_snapshots(polls in snapshots()) {
            let mut m = status_word_model();
            let mut events = Vec::new();
            let mut expected: Vec<(EquipmentState, Option<String>)> = Vec::new();
            let mut last: Option<[TagValue; 3]> = None;
            for (ms, (status, fault, run, order)) in polls.into_iter().enumerate() {
                let now = [TagValue::Int(status), TagValue::Int(fault), TagValue::Bool(run)];
                let names = ["status", "fault_code", "run"];
                let changed: Vec<(&str, TagValue)> = order
                    .iter()
                    .filter(|&&i| last.as_ref().is_none_or(|l| l[i] != now[i]))
                    .map(|&i| (names[i], now[i].clone()))
                    .collect();
                events.extend(states(&feed(&mut m, &changed, ms as i64)));
                let want = expected_state(status, fault, run);
                if expected.last() != Some(&want) {
                    expected.push(want);
                }
                last = Some(now);
            }
            prop_assert_eq!(events, expected);
        }
    }
}

#[test]
fn a_restart_does_not_announce_the_saved_state_again() {
    let mut m = status_word_model();
    let tags = |status: i64, fault: i64| {
        vec![
            ("status", TagValue::Int(status)),
            ("fault_code", TagValue::Int(fault)),
            ("run", TagValue::Bool(false)),
        ]
    };
    let out = feed(&mut m, &tags(3, 205), 0);
    let saved: HashMap<String, String> = out
        .state
        .iter()
        .filter_map(|u| Some((u.key.clone(), u.value.clone()?)))
        .collect();
    assert!(saved.contains_key(&state_key(&code("plc-m"))));

    let doc: Doc = parse_toml("agent.toml", STATUS_WORD).expect("parses");
    let spec = parse_equipment("agent.toml", &doc.equipment)
        .expect("valid")
        .remove(0);
    let mut restarted = EquipmentModel::new(spec, &saved);
    assert_eq!(restarted.status().state, Some(EquipmentState::Down));
    assert_eq!(restarted.status().since_ms, Some(at(0).unix_millis()));
    assert!(
        states(&feed(&mut restarted, &tags(3, 205), 5_000)).is_empty(),
        "unchanged: no event"
    );
    assert_eq!(
        states(&feed(&mut restarted, &tags(3, 17), 6_000)),
        vec![(EquipmentState::Down, Some("17".into()))]
    );
}

#[test]
fn a_restored_state_goes_offline_when_the_device_stays_silent_after_a_restart() {
    let mut m = model(&HashMap::new());
    let out = feed(&mut m, &all_rule_tags(true, false, 0), 0);
    let saved: HashMap<String, String> = out
        .state
        .iter()
        .filter_map(|u| Some((u.key.clone(), u.value.clone()?)))
        .collect();
    let mut restarted = model(&saved);
    let mut out = ModelOutput::default();
    restarted.check_silence(at(60_000), &mut out);
    restarted.check_silence(at(65_000), &mut out);
    assert!(states(&out).is_empty(), "silence counts from the restart");
    restarted.check_silence(at(70_001), &mut out);
    assert_eq!(states(&out), vec![(EquipmentState::Offline, None)]);
}

//! `check-config` on both programs: the shipped examples are valid, and a bad
//! file is refused with the file, the key and the reason.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn check(bin: &str, file: &Path) -> (bool, String) {
    let out = Command::new(bin)
        .arg("check-config")
        .arg(file)
        .output()
        .expect("binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `check-config` on `text` written to a file of `dir`: whether it passed,
/// and its warnings (stderr lines starting with `warning: `).
fn warnings(dir: &Path, name: &str, text: &str) -> (bool, Vec<String>) {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write");
    let (ok, err) = check(env!("CARGO_BIN_EXE_agent"), &file);
    let lines = err
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(str::to_string)
        .collect();
    (ok, lines)
}

#[test]
fn shipped_example_configs_are_valid() {
    let (ok, err) = check(env!("CARGO_BIN_EXE_agent"), &repo_file("config/edge-agent.toml"));
    assert!(ok, "{err}");
    let (ok, err) = check(env!("CARGO_BIN_EXE_hub"), &repo_file("config/cloud-hub.toml"));
    assert!(ok, "{err}");
}

/// A Modbus device with two tags, `run` and `count`.
const PLC: &str = "[[modbus]]\nname = \"plc\"\naddress = \"127.0.0.1:5020\"\n\
[[modbus.poll_groups]]\nname = \"g\"\ninterval_ms = 500\ntags = [\n\
{ name = \"run\", area = \"coil\", address = 0, type = \"bool\" },\n\
{ name = \"count\", area = \"holding_register\", address = 2, type = \"u16\" },\n]\n";

#[test]
fn bad_agent_config_names_file_key_and_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "[buffer]\nmax_size_mb = \"lots\"\n",
            "key buffer.max_size_mb",
            "expected u64",
        ),
        (
            "[hub]\nbatchsize = 3\n",
            "key hub.batchsize",
            "unknown field `batchsize`",
        ),
        (
            "[buffer]\noverflow_policy = \"panic\"\n",
            "key buffer.overflow_policy",
            "unknown value `panic`, expected `drop_oldest_telemetry` or `refuse_telemetry`",
        ),
        (
            "[hub]\nbatch_size = 20000\n",
            "key hub.batch_size",
            "outside 1..=10000",
        ),
        (
            "[hub]\nurl = \"ftp://hub\"\n",
            "key hub.url",
            "must start with http:// or https://",
        ),
        (
            "[generator]\nequipment = [\"\"]\n",
            "key generator.equipment[0]",
            "must not be empty",
        ),
        (
            &*PLC.replace("type = \"u16\"", "type = \"string\"").leak(),
            "key modbus[0].poll_groups[0].tags[1].type",
            "device plc, tag count: type \"string\" needs `registers` (the number of 16-bit registers holding the text",
        ),
        // Cross-references: an equipment naming a tag its Modbus device
        // does not read, and a per-message counter on a register.
        (
            &*format!("{PLC}[[equipment]]\nname = \"m1\"\ndevice = \"plc\"\nstates = [{{ state = \"running\", tag = \"runn\", op = \"true\" }}]\n").leak(),
            "key equipment[0].states[0].tag",
            "has no tag `runn` (its tags: count, run)",
        ),
        (
            &*format!("{PLC}[[equipment]]\nname = \"m1\"\ndevice = \"plc\"\nvalues = [\"temp\"]\n").leak(),
            "key equipment[0].values[0]",
            "has no tag `temp`",
        ),
        (
            &*format!("{PLC}[[equipment]]\nname = \"m1\"\ndevice = \"plc\"\ncounters.good = {{ tag = \"count\", mode = \"per_message\" }}\n").leak(),
            "key equipment[0].counters.good.mode",
            "use `register`",
        ),
    ];
    for (i, (text, key, reason)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("agent-{i}.toml"));
        std::fs::write(&file, text).expect("write");
        let (ok, err) = check(env!("CARGO_BIN_EXE_agent"), &file);
        assert!(!ok, "case {i} must fail");
        assert!(
            err.contains(&file.display().to_string()),
            "case {i} names the file: {err}"
        );
        assert!(err.contains(key), "case {i} names {key}: {err}");
        assert!(err.contains(reason), "case {i} says {reason}: {err}");
    }
}

#[test]
fn bad_hub_config_names_file_key_and_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("hub.toml");
    std::fs::write(&file, "[database]\nurl = \"mysql://db\"\n").expect("write");
    let (ok, err) = check(env!("CARGO_BIN_EXE_hub"), &file);
    assert!(!ok);
    assert!(
        err.contains("hub.toml") && err.contains("key database.url") && err.contains("not a sqlite:// URL"),
        "{err}"
    );
    std::fs::write(&file, "[http]\nlisten = \"localhost\"\n").expect("write");
    let (ok, err) = check(env!("CARGO_BIN_EXE_hub"), &file);
    assert!(!ok);
    assert!(err.contains("key http.listen"), "{err}");
}

/// An MQTT subscription for device `oven-7`, with `equipment` appended.
fn mqtt_with(equipment: &str) -> String {
    format!(
        "[mqtt]\nbroker = \"mqtt://127.0.0.1:9\"\nclient_id = \"a\"\n\
         [[mqtt.subscriptions]]\ntopic = \"plant/oven/temp\"\ndevice = \"oven-7\"\npayload = \"value\"\ntag = \"temp\"\n\
         {equipment}"
    )
}

#[test]
fn an_mqtt_subscription_no_equipment_uses_is_a_warning_naming_file_device_and_topic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, lines) = warnings(dir.path(), "unused.toml", &mqtt_with(""));
    assert!(ok, "a warning does not fail the check");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let file = dir.path().join("unused.toml").display().to_string();
    assert!(
        lines[0].contains(&file)
            && lines[0].contains("mqtt.subscriptions[0].device")
            && lines[0].contains("`oven-7`")
            && lines[0].contains("`plant/oven/temp`"),
        "{lines:?}"
    );
    let used = mqtt_with("[[equipment]]\nname = \"oven-7\"\ndevice = \"oven-7\"\n");
    let (ok, lines) = warnings(dir.path(), "used.toml", &used);
    assert!(ok && lines.is_empty(), "{lines:?}");
}

/// The agent logs at start what `check-config` warns about.
#[tokio::test]
async fn the_agent_logs_configuration_warnings_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut agent = mes_tests::AgentProcess::without_hub(
        std::path::Path::new(env!("CARGO_BIN_EXE_agent")),
        dir.path(),
        &mqtt_with(""),
    )
    .expect("agent config");
    agent.start().await.expect("the agent starts despite the warning");
    agent.stop();
    let log = std::fs::read_to_string(dir.path().join("agent.log")).expect("agent log");
    let line = log
        .lines()
        .find(|l| l.contains("WARN") && l.contains("mqtt.subscriptions[0].device"))
        .unwrap_or_else(|| panic!("no warning logged: {log}"));
    assert!(
        line.contains("oven-7") && line.contains("plant/oven/temp"),
        "{line}"
    );
}

#[test]
fn modicon_addresses_and_orders_that_do_nothing_are_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = PLC.replace(
        "address = 2, type = \"u16\"",
        "address = 40003, type = \"u16\", order = \"cdab\"",
    );
    let (ok, lines) = warnings(dir.path(), "plc.toml", &text);
    assert!(ok, "warnings do not fail the check");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("key modbus[0].poll_groups[0].tags[1].address")
            && lines[0].contains("looks like Modicon numbering"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("key modbus[0].poll_groups[0].tags[1].order")
            && lines[1].contains("ignored option"),
        "{lines:?}"
    );
}

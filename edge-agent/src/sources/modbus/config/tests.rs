//! Parsing Modbus device configuration: errors name device, tag and key.

use super::*;
use mes_protocols::config_text::parse_toml;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    modbus: Vec<ModbusDeviceConfig>,
}

fn parse(text: &str) -> Result<Vec<DeviceSpec>, ConfigError> {
    let doc: Doc = parse_toml("agent.toml", text)?;
    parse_devices("agent.toml", &doc.modbus)
}

const GOOD: &str = r#"
[[modbus]]
name = "press-1"
address = "127.0.0.1:5020"
unit_id = 1

[[modbus.poll_groups]]
name = "fast"
interval_ms = 100
tags = [
  { name = "run", area = "coil", address = 0, type = "bool" },
  { name = "fault_code", area = "holding_register", address = 10, type = "u16" },
  { name = "good_count", area = "holding_register", address = 11, type = "u32" },
  { name = "temperature", area = "holding_register", address = 20, type = "f32", order = "cdab", deadband = 0.5 },
  { name = "mode_bit", area = "holding_register", address = 13, type = { bit = 3 } },
  { name = "label", area = "holding_register", address = 30, type = { string = { registers = 8 } } },
]
"#;

#[test]
fn a_good_device_is_planned_into_few_requests() {
    let devices = parse(GOOD).expect("valid");
    let group = &devices[0].groups[0];
    assert_eq!(group.tags.len(), 6);
    assert_eq!(
        group.plan.blocks.len(),
        2,
        "one coil read, one register read: {:?}",
        group.plan.blocks
    );
    assert_eq!(devices[0].transport, Transport::Tcp("127.0.0.1:5020".into()));
}

#[test]
fn unknown_data_type_names_the_key() {
    let err = parse(&GOOD.replace("type = \"u16\"", "type = \"u17\"")).expect_err("bad type");
    assert!(err.key.starts_with("modbus[0].poll_groups[0].tags[1]"), "{err}");
    assert!(err.reason.contains("u17"), "{err}");
}

#[test]
fn register_range_over_the_limit_names_device_and_tag() {
    let err = parse(&GOOD.replace("address = 20, type = \"f32\"", "address = 65535, type = \"f32\""))
        .expect_err("past the end");
    assert_eq!(err.key, "modbus[0].poll_groups[0].tags[3].address");
    assert!(err.reason.contains("device press-1, tag temperature"), "{err}");
}

#[test]
fn duplicate_tag_is_refused() {
    let err = parse(&GOOD.replace("name = \"fault_code\"", "name = \"run\"")).expect_err("duplicate");
    assert_eq!(err.key, "modbus[0].poll_groups[0].tags[1].name");
    assert!(err.reason.contains("defined twice"), "{err}");
}

#[test]
fn request_limits_over_the_protocol_maximum_are_refused() {
    let text = GOOD.replace("unit_id = 1", "unit_id = 1\nlimits = { max_registers = 200 }");
    let err = parse(&text).expect_err("limit");
    assert!(err.key.starts_with("modbus[0].limits"), "{err}");
    assert!(err.reason.contains("125"), "{err}");
}

#[test]
fn transport_must_be_exactly_one() {
    let err = parse(&GOOD.replace("address = \"127.0.0.1:5020\"", "")).expect_err("none");
    assert_eq!(err.key, "modbus[0].address");
    let err = parse(&GOOD.replace("127.0.0.1:5020", "plc.local")).expect_err("no port");
    assert!(err.reason.contains("host:port"), "{err}");
}

#[test]
fn serial_devices_parse() {
    let text = GOOD.replace(
        "address = \"127.0.0.1:5020\"",
        "serial = { port = \"/dev/ttyUSB0\", baud = 9600, parity = \"none\", stop_bits = 2 }",
    );
    let devices = parse(&text).expect("valid");
    assert!(matches!(&devices[0].transport, Transport::Rtu(s) if s.baud == 9600 && s.parity == Parity::None));
}

#[test]
fn one_serial_port_per_device() {
    let rtu = GOOD.replace(
        "address = \"127.0.0.1:5020\"",
        "serial = { port = \"/dev/ttyUSB0\" }",
    );
    let second = rtu
        .replace("name = \"press-1\"", "name = \"press-2\"")
        .replace("unit_id = 1", "unit_id = 2");
    let err = parse(&format!("{rtu}\n{second}")).expect_err("shared port");
    assert_eq!(err.key, "modbus[1].serial.port");
}

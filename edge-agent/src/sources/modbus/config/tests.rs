//! Parsing Modbus device configuration: errors name device, tag and key.

use super::*;
use mes_protocols::config_text::parse_toml;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    modbus: Vec<ModbusDeviceConfig>,
}

fn parse(text: &str) -> Result<Vec<DeviceSpec>, ConfigError> {
    parse_warned(text).map(|(devices, _)| devices)
}

fn parse_warned(text: &str) -> Result<(Vec<DeviceSpec>, Vec<ConfigWarning>), ConfigError> {
    let doc: Doc = parse_toml("agent.toml", text)?;
    let mut warnings = Vec::new();
    let devices = parse_devices("agent.toml", &doc.modbus, &mut warnings)?;
    Ok((devices, warnings))
}

/// The warnings of a device with the one tag `tag` (an inline table's
/// inside), and `device` lines added to the device.
fn tag_warnings(device: &str, tag: &str) -> Result<(Vec<DeviceSpec>, Vec<ConfigWarning>), ConfigError> {
    parse_warned(&format!(
        "[[modbus]]\nname = \"plc\"\naddress = \"127.0.0.1:502\"\n{device}\n\
         [[modbus.poll_groups]]\nname = \"g\"\ninterval_ms = 100\ntags = [{{ name = \"t\", {tag} }}]\n"
    ))
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

fn rtu(name: &str, serial: &str, unit_id: u8) -> String {
    GOOD.replace(
        "address = \"127.0.0.1:5020\"",
        &format!("serial = {{ {serial} }}"),
    )
    .replace("name = \"press-1\"", &format!("name = \"{name}\""))
    .replace("unit_id = 1", &format!("unit_id = {unit_id}"))
}

#[test]
fn devices_with_the_same_settings_and_other_unit_ids_share_a_serial_port() {
    let line = "port = \"/dev/ttyUSB0\", baud = 19200";
    let text = format!(
        "{}\n{}\n{}",
        rtu("press-1", line, 1),
        rtu("press-2", line, 2),
        rtu("press-3", "port = \"/dev/ttyUSB1\"", 1)
    );
    let devices = parse(&text).expect("one line, two unit ids; another line");
    assert_eq!(devices.len(), 3);
}

#[test]
fn a_device_on_a_shared_port_with_other_settings_is_refused() {
    let first = rtu("press-1", "port = \"/dev/ttyUSB0\", baud = 19200", 1);
    for (serial, key, why) in [
        ("baud = 9600", "baud", "at 9600 baud, not 19200"),
        ("parity = \"none\"", "parity", "with parity none, not even"),
        ("stop_bits = 2", "stop_bits", "with 2 stop bits, not 1"),
        ("data_bits = 7", "data_bits", "with 7 data bits, not 8"),
    ] {
        let second = rtu("press-2", &format!("port = \"/dev/ttyUSB0\", {serial}"), 2);
        let err = parse(&format!("{first}\n{second}")).expect_err(serial);
        assert_eq!(err.key, format!("modbus[1].serial.{key}"));
        assert_eq!(
            err.reason,
            format!("device press-2 shares serial port /dev/ttyUSB0 with device press-1 but {why}")
        );
    }
}

#[test]
fn a_unit_id_used_twice_on_a_serial_port_is_refused() {
    let line = "port = \"/dev/ttyUSB0\"";
    let text = format!("{}\n{}", rtu("press-1", line, 3), rtu("press-2", line, 3));
    let err = parse(&text).expect_err("same unit id");
    assert_eq!(err.key, "modbus[1].unit_id");
    assert_eq!(
        err.reason,
        "unit id 3 is used twice on serial port /dev/ttyUSB0 (press-1, press-2)"
    );
}

#[test]
fn unit_ids_fit_the_transport() {
    for unit_id in [0, 248, 255] {
        let err = parse(&rtu("press-1", "port = \"/dev/ttyUSB0\"", unit_id)).expect_err("serial unit id");
        assert_eq!(err.key, "modbus[0].unit_id");
        assert!(
            err.reason
                .contains(&format!("{unit_id} is not a unit id on a serial line (1 to 247")),
            "{err}"
        );
    }
    // A TCP gateway may want 0 or 255.
    for unit_id in [0, 255] {
        let text = GOOD.replace("unit_id = 1", &format!("unit_id = {unit_id}"));
        let devices = parse(&text).expect("TCP unit id");
        assert_eq!(devices[0].unit_id, unit_id);
    }
}

#[test]
fn the_good_example_has_no_warnings() {
    assert_eq!(parse_warned(GOOD).expect("valid").1, []);
}

#[test]
fn a_modicon_looking_register_address_is_a_warning_that_explains_the_numbering() {
    let (devices, warnings) =
        tag_warnings("", "area = \"holding_register\", address = 40003, type = \"u16\"").expect("valid");
    assert_eq!(
        devices[0].groups[0].tags[0].point.address(),
        40003,
        "still read as written"
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    assert_eq!(w.key, "modbus[0].poll_groups[0].tags[0].address");
    assert!(
        w.message
            .starts_with("device plc, tag t: address 40003 looks like Modicon numbering")
            && w.message.contains("write address = 2")
            && w.message.contains("address_style = \"modicon\""),
        "{w}"
    );
    let input =
        tag_warnings("", "area = \"input_register\", address = 30001, type = \"u16\"").expect("valid");
    assert!(input.1[0].message.contains("write address = 0"), "{:?}", input.1);
    for quiet in [
        ("", "area = \"holding_register\", address = 29999, type = \"u16\""),
        ("", "area = \"coil\", address = 40003, type = \"bool\""),
        (
            "address_style = \"protocol\"",
            "area = \"holding_register\", address = 40003, type = \"u16\"",
        ),
    ] {
        assert_eq!(tag_warnings(quiet.0, quiet.1).expect("valid").1, [], "{quiet:?}");
    }
}

#[test]
fn address_style_modicon_reads_the_manuals_numbers() {
    let style = "address_style = \"modicon\"";
    let at = |tag: &str| {
        let (devices, warnings) = tag_warnings(style, tag).expect("valid");
        assert_eq!(warnings, [], "{tag}");
        devices[0].groups[0].tags[0].point.address()
    };
    assert_eq!(
        at("area = \"holding_register\", address = 40003, type = \"u16\""),
        2
    );
    assert_eq!(
        at("area = \"holding_register\", address = 400101, type = \"u16\""),
        100
    );
    assert_eq!(
        at("area = \"input_register\", address = 30001, type = \"f32\""),
        0
    );
    assert_eq!(at("area = \"coil\", address = 1, type = \"bool\""), 0);
    let err = tag_warnings(
        style,
        "area = \"holding_register\", address = 30003, type = \"u16\"",
    )
    .expect_err("an input register number in the holding area");
    assert_eq!(err.key, "modbus[0].poll_groups[0].tags[0].address");
    assert!(err.reason.contains("names the input register area"), "{err}");
    let err = tag_warnings(
        "",
        "area = \"holding_register\", address = 400003, type = \"u16\"",
    )
    .expect_err("past 65535");
    assert!(
        err.reason.contains("past 65535") && err.reason.contains("write address = 2"),
        "{err}"
    );
}

#[test]
fn an_order_that_does_nothing_is_an_ignored_option_warning() {
    let warned = |tag: &str| {
        let (_, warnings) = tag_warnings("", tag).expect("valid");
        warnings
            .into_iter()
            .map(|w| (w.key, w.message))
            .collect::<Vec<_>>()
    };
    let w = warned("area = \"holding_register\", address = 0, type = \"u16\", order = \"cdab\"");
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, "modbus[0].poll_groups[0].tags[0].order");
    assert!(
        w[0].1.contains("ignored option") && w[0].1.contains("reads as order = \"abcd\""),
        "{w:?}"
    );
    let w = warned("area = \"holding_register\", address = 0, type = { bit = 2 }, order = \"dcba\"");
    assert!(w[0].1.contains("reads as order = \"badc\""), "{w:?}");
    let w = warned(
        "area = \"holding_register\", address = 0, type = { string = { registers = 4 } }, order = \"cdab\"",
    );
    assert!(w[0].1.contains("a string is read in address order"), "{w:?}");
    let w = warned("area = \"coil\", address = 0, type = \"bool\", order = \"abcd\"");
    assert!(w[0].1.contains("does nothing on a bool"), "{w:?}");
    for meant in [
        "type = \"u16\", order = \"badc\"",
        "type = \"u32\", order = \"cdab\"",
        "type = \"f64\", order = \"dcba\"",
        "type = \"u16\"",
    ] {
        assert_eq!(
            warned(&format!("area = \"holding_register\", address = 0, {meant}")),
            [],
            "{meant}"
        );
    }
}

#[test]
fn a_data_type_missing_its_parameter_names_device_tag_and_what_to_write() {
    for (ty, says) in [
        (
            "\"string\"",
            "type \"string\" needs `registers` (the number of 16-bit registers holding the text",
        ),
        ("\"bit\"", "type \"bit\" needs the bit number"),
    ] {
        let err = tag_warnings(
            "",
            &format!("area = \"holding_register\", address = 0, type = {ty}"),
        )
        .expect_err("no parameter");
        assert_eq!(err.key, "modbus[0].poll_groups[0].tags[0].type");
        assert!(err.reason.starts_with("device plc, tag t: "), "{err}");
        assert!(err.reason.contains(says), "{err}");
        assert!(!err.reason.contains("variant"), "{err}");
    }
}

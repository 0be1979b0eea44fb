//! Reading the configuration file, applying environment overrides and
//! checking what serde cannot.

use super::{AgentConfig, AgentSpec};
use crate::machines::MachineSections;
use mes_protocols::config_text::{ConfigError, ConfigWarning, parse_toml};
use std::path::Path;

/// Environment variable overriding `hub.agent_id`.
pub const ENV_AGENT_ID: &str = "MES_AGENT_ID";
/// Environment variable overriding `hub.token`.
pub const ENV_AGENT_TOKEN: &str = "MES_AGENT_TOKEN";
/// Environment variable overriding `hub.url`.
pub const ENV_HUB_URL: &str = "MES_HUB_URL";

/// A configuration that passed every check, parsed into the spec of each
/// part, and what in it looks wrong without stopping the agent.
#[derive(Debug)]
pub struct Loaded {
    /// What every part runs from.
    pub spec: AgentSpec,
    /// Things that work, but probably not as meant; `check-config` prints
    /// them and `run` logs them at start.
    pub warnings: Vec<ConfigWarning>,
}

/// Loads the configuration from `path` (or defaults when `None`), applies
/// environment overrides and parses it, once, into the parts' specs.
pub fn load(path: Option<&Path>) -> Result<Loaded, ConfigError> {
    let mut config = match path {
        Some(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::new(&name, "", format!("cannot read the file: {e}")))?;
            load_from_str(&name, &text)?
        }
        None => AgentConfig::default(),
    };
    apply_env(&mut config, |key| std::env::var(key).ok())?;
    let (spec, warnings) = parse(
        &config,
        path.map_or("defaults".into(), |p| p.display().to_string())
            .as_str(),
    )?;
    Ok(Loaded { spec, warnings })
}

/// Parses configuration text read from `file` (no environment, no checks
/// beyond the types).
pub fn load_from_str(file: &str, text: &str) -> Result<AgentConfig, ConfigError> {
    parse_toml(file, text)
}

fn apply_env(config: &mut AgentConfig, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    if let Some(id) = var(ENV_AGENT_ID) {
        config.hub.agent_id =
            Some(id.trim().parse().map_err(|e| {
                ConfigError::new("environment", ENV_AGENT_ID, format!("not an agent id: {e}"))
            })?);
    }
    if let Some(token) = var(ENV_AGENT_TOKEN) {
        config.hub.token = Some(token.trim().to_string());
    }
    if let Some(url) = var(ENV_HUB_URL) {
        config.hub.url = url.trim().to_string();
    }
    Ok(())
}

/// Parses every section of `config` (read from `file`) into the spec of
/// the part that owns it, in one pass; warnings are collected, the first
/// error is returned.
fn parse(config: &AgentConfig, file: &str) -> Result<(AgentSpec, Vec<ConfigWarning>), ConfigError> {
    let mut warnings = Vec::new();
    let hub = config.hub.parse(file)?;
    let buffer = config.buffer.parse(file)?;
    let sections = MachineSections {
        modbus: &config.modbus,
        mqtt: config.mqtt.as_ref(),
        sparkplug: config.sparkplug.as_ref(),
        opcua: &config.opcua,
        state_dir: buffer.path.parent().unwrap_or(std::path::Path::new(".")),
        equipment: &config.equipment,
    };
    let machines = crate::machines::parse(file, sections, &mut warnings)?;
    config.downlink.validate(file)?;
    config.liveness.validate(file)?;
    let stations = crate::station::parse(file, &config.station, &config.scan)?;
    config.generator.validate(file)?;
    let sparkplug_node = config
        .sparkplug_node
        .as_ref()
        .map(|n| n.parse(file))
        .transpose()?;
    let spec = AgentSpec {
        hub,
        buffer,
        http: config.http.clone(),
        generator: config.generator.clone(),
        machines,
        downlink: config.downlink.clone(),
        stations,
        liveness: config.liveness.clone(),
        sparkplug_node,
    };
    Ok((spec, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The warnings of a configuration that parses, or its first error.
    fn check(config: &AgentConfig, file: &str) -> Result<Vec<ConfigWarning>, ConfigError> {
        parse(config, file).map(|(_, warnings)| warnings)
    }

    #[test]
    fn empty_file_gives_defaults() {
        let config = load_from_str("a.toml", "").expect("empty is valid");
        assert_eq!(config.hub.batch_size, 2000);
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let err = load_from_str("a.toml", "[hub]\nbatchsize = 5\n").expect_err("unknown key");
        assert_eq!(err.file, "a.toml");
        assert!(err.reason.contains("batchsize"), "{err}");
    }

    #[test]
    fn bad_policy_names_key() {
        let err = load_from_str("a.toml", "[buffer]\noverflow_policy = \"panic\"\n").expect_err("bad enum");
        assert_eq!(err.key, "buffer.overflow_policy");
    }

    #[test]
    fn env_overrides_secrets_and_checks_them() {
        let mut config = AgentConfig::default();
        let err = apply_env(&mut config, |k| (k == ENV_AGENT_ID).then(|| "nope".into())).expect_err("bad id");
        assert_eq!(err.key, ENV_AGENT_ID);
        apply_env(&mut config, |k| match k {
            ENV_AGENT_ID => Some("0190c2a4-0000-7000-8000-000000000001".into()),
            ENV_AGENT_TOKEN => Some("secret\n".into()),
            _ => None,
        })
        .expect("valid env");
        assert_eq!(config.hub.token.as_deref(), Some("secret"));
        check(&config, "x").expect("consistent");
    }

    #[test]
    fn station_and_scan_errors_name_the_key() {
        let err = load_from_str("a.toml", "[[station]]\ncode = \"st-1\"\nscaner_port = \"x\"\n")
            .expect_err("unknown key");
        assert!(err.reason.contains("scaner_port"), "{err}");
        let twice = "[[station]]\ncode = \"st-1\"\n[[station]]\ncode = \"st-1\"\n";
        let config = load_from_str("a.toml", twice).expect("parses");
        assert_eq!(
            check(&config, "a.toml").expect_err("twice").key,
            "station[1].code"
        );
        let same_prefix = "[scan]\nbadge_prefix = \"X\"\norder_prefix = \"X\"\n";
        let config = load_from_str("a.toml", same_prefix).expect("parses");
        assert_eq!(
            check(&config, "a.toml").expect_err("same prefix").key,
            "scan.order_prefix"
        );
        let config = load_from_str("a.toml", "[downlink]\ninterval_ms = 5\n").expect("parses");
        assert_eq!(
            check(&config, "a.toml").expect_err("too often").key,
            "downlink.interval_ms"
        );
    }

    #[test]
    fn id_without_token_is_an_error() {
        let config = load_from_str(
            "a.toml",
            "[hub]\nagent_id = \"0190c2a4-0000-7000-8000-000000000001\"\n",
        )
        .expect("parses");
        assert_eq!(check(&config, "a.toml").expect_err("no token").key, "hub.token");
    }

    /// An MQTT section with a state subscription per machine (template
    /// device) and one fixed-device subscription for an oven.
    const MQTT: &str = "[mqtt]\nbroker = \"mqtt://127.0.0.1:1883\"\nclient_id = \"a\"\n\
        [[mqtt.subscriptions]]\ntopic = \"plant/+machine/state\"\ndevice = \"press-{machine}\"\npayload = \"value\"\ntag = \"state\"\n\
        [[mqtt.subscriptions]]\ntopic = \"plant/oven/temp\"\ndevice = \"oven-7\"\npayload = \"value\"\ntag = \"temp\"\n";

    fn checked(text: &str) -> Result<Vec<ConfigWarning>, ConfigError> {
        let config = load_from_str("a.toml", text).expect("parses");
        check(&config, "a.toml")
    }

    #[test]
    fn a_subscription_no_equipment_uses_is_a_warning_naming_file_device_and_topic() {
        let text = format!("{MQTT}[[equipment]]\nname = \"p1\"\ndevice = \"press-1\"\n");
        let warnings = checked(&text).expect("a warning, not an error");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let w = &warnings[0];
        assert_eq!(
            (w.file.as_str(), w.key.as_str()),
            ("a.toml", "mqtt.subscriptions[1].device")
        );
        assert!(
            w.message.contains("`oven-7`") && w.message.contains("`plant/oven/temp`"),
            "{w}"
        );
        let text = format!("{text}[[equipment]]\nname = \"o7\"\ndevice = \"oven-7\"\n");
        assert_eq!(checked(&text).expect("valid"), [], "every subscription is used");
    }

    #[test]
    fn an_equipment_no_subscription_can_name_is_an_error() {
        let text = format!("{MQTT}[[equipment]]\nname = \"l1\"\ndevice = \"lathe-1\"\n");
        let err = checked(&text).expect_err("no device can feed it");
        assert_eq!(err.key, "equipment[0].device");
        assert!(err.reason.contains("`press-{machine}`, `oven-7`"), "{err}");
    }

    /// Every key of the agent's configuration whose value is one of a set
    /// of names (an enum), with `{}` where the value goes.
    const ENUM_KEYS: &[&str] = &[
        "[buffer]\noverflow_policy = {}\n",
        "[[modbus]]\nname = \"p\"\nserial = { port = \"/dev/x\", parity = {} }\n[[modbus.poll_groups]]\nname = \"g\"\ninterval_ms = 100\ntags = [{ name = \"t\", area = \"coil\", address = 0, type = \"bool\" }]\n",
        "[[modbus]]\nname = \"p\"\naddress = \"h:502\"\naddress_style = {}\n[[modbus.poll_groups]]\nname = \"g\"\ninterval_ms = 100\ntags = [{ name = \"t\", area = \"coil\", address = 0, type = \"bool\" }]\n",
        "[[modbus]]\nname = \"p\"\naddress = \"h:502\"\n[[modbus.poll_groups]]\nname = \"g\"\ninterval_ms = 100\ntags = [{ name = \"t\", area = {}, address = 0, type = \"bool\" }]\n",
        "[[modbus]]\nname = \"p\"\naddress = \"h:502\"\n[[modbus.poll_groups]]\nname = \"g\"\ninterval_ms = 100\ntags = [{ name = \"t\", area = \"holding_register\", address = 0, type = {} }]\n",
        "[[modbus]]\nname = \"p\"\naddress = \"h:502\"\n[[modbus.poll_groups]]\nname = \"g\"\ninterval_ms = 100\ntags = [{ name = \"t\", area = \"holding_register\", address = 0, type = \"u32\", order = {} }]\n",
        "[[modbus]]\nname = \"p\"\naddress = \"h:502\"\n[[modbus.poll_groups]]\nname = \"g\"\ninterval_ms = 100\ntags = [{ name = \"t\", area = \"holding_register\", address = 0, type = \"u32\", report = {} }]\n",
        "[[equipment]]\nname = \"e\"\ndevice = \"d\"\nstates = [{ state = {}, tag = \"t\", op = \"true\" }]\n",
        "[[equipment]]\nname = \"e\"\ndevice = \"d\"\nstates = [{ state = \"running\", tag = \"t\", op = {} }]\n",
        "[[equipment]]\nname = \"e\"\ndevice = \"d\"\ncounters.good = { tag = \"t\", mode = {} }\n",
        "[mqtt]\nbroker = \"mqtt://h\"\nclient_id = \"a\"\nsubscriptions = [{ topic = \"a\", device = \"b\", payload = {} }]\n",
    ];

    #[test]
    fn no_key_answers_in_serdes_enum_words() {
        for template in ENUM_KEYS {
            for bad in ["\"nope\"", "3", "{ nope = 1 }", "\"bit\"", "\"string\""] {
                let text = template.replace("{}", bad);
                let err = match load_from_str("a.toml", &text) {
                    Err(e) => e,
                    Ok(config) => check(&config, "a.toml").expect_err(&text),
                };
                assert_eq!(err.file, "a.toml");
                assert!(!err.key.is_empty(), "{text}: {err}");
                assert!(!err.reason.contains("variant"), "{text}: {err}");
            }
        }
    }

    #[test]
    fn the_loader_checks_the_mqtt_section_naming_the_file() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        let text = "[mqtt]\nbroker = \"mqtt://127.0.0.1\"\nclient_id = \"a\"\n\
                    [[mqtt.subscriptions]]\ntopic = \"plant/#/state\"\ndevice = \"d\"\npayload = \"value\"\ntag = \"s\"\n";
        std::io::Write::write_all(&mut file, text.as_bytes()).expect("write");
        let err = load(Some(file.path())).expect_err("invalid topic");
        assert_eq!(err.key, "mqtt.subscriptions[0].topic");
        assert_eq!(err.file, file.path().display().to_string());
    }
}

//! From a parsed [`SimConfig`] to a checked [`Plan`]: machines with their
//! behaviour and layout resolved (machine entry, then common section, then
//! default), listeners with the machines they serve, MQTT settings. Every
//! problem is reported with the config key it concerns.

use crate::config::{BehaviourConfig, MqttConfig, SimConfig, SparkplugConfig};
use crate::layout::Layout;
use crate::machine::Behaviour;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// A checked simulator setup.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Seed of all random choices.
    pub seed: u64,
    /// Tick length, ms.
    pub tick_ms: u64,
    /// Whether the clock starts paused.
    pub start_paused: bool,
    /// The machines, explicit ones first, then generated ones.
    pub machines: Vec<MachineSpec>,
    /// The Modbus listeners.
    pub listeners: Vec<ListenerSpec>,
    /// MQTT publishing, if enabled.
    pub mqtt: Option<MqttConfig>,
    /// Sparkplug B publishing, if enabled.
    pub sparkplug: Option<SparkplugConfig>,
}

/// One checked machine.
#[derive(Debug, Clone)]
pub struct MachineSpec {
    /// Name (safe as an MQTT topic level).
    pub name: String,
    /// Line (safe as an MQTT topic level).
    pub line: String,
    /// Modbus unit id.
    pub unit_id: u8,
    /// Behaviour parameters.
    pub behaviour: Behaviour,
    /// Register layout (shared between machines with the same one).
    pub layout: Arc<Layout>,
}

/// One checked listener.
#[derive(Debug, Clone)]
pub struct ListenerSpec {
    /// `host:port` to bind.
    pub address: String,
    /// Indexes into [`Plan::machines`] of the machines served.
    pub machines: Vec<usize>,
}

/// A configuration that cannot run, naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key {key}: {reason}")]
pub struct PlanError {
    /// Dotted key path (`machines[2].unit_id`).
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

fn problem(key: impl Into<String>, reason: impl Into<String>) -> PlanError {
    PlanError {
        key: key.into(),
        reason: reason.into(),
    }
}

/// The default listener address.
pub const DEFAULT_MODBUS_ADDRESS: &str = "127.0.0.1:5020";

impl Plan {
    /// Checks `config` and resolves every machine.
    pub fn from_config(config: &SimConfig) -> Result<Self, PlanError> {
        if !(1..=60_000).contains(&config.tick_ms) {
            return Err(problem("tick_ms", "must be 1..=60000 milliseconds"));
        }
        let common_layout = Arc::new(
            Layout::resolve(&Default::default(), &config.layout)
                .map_err(|e| problem("layout", e.to_string()))?,
        );
        let common_behaviour = resolve_behaviour(&BehaviourConfig::default(), &config.behaviour)
            .map_err(|(key, reason)| problem(format!("behaviour.{key}"), reason))?;
        let mut machines = Vec::new();
        for (i, m) in config.machines.iter().enumerate() {
            let key = |k: &str| format!("machines[{i}].{k}");
            check_level(&m.name).map_err(|r| problem(key("name"), r))?;
            check_level(&m.line).map_err(|r| problem(key("line"), r))?;
            let behaviour = resolve_behaviour(&m.behaviour, &config.behaviour)
                .map_err(|(k, reason)| problem(key(&format!("behaviour.{k}")), reason))?;
            let layout = if is_empty_layout(&m.layout) {
                common_layout.clone()
            } else {
                Arc::new(
                    Layout::resolve(&m.layout, &config.layout)
                        .map_err(|e| problem(key("layout"), e.to_string()))?,
                )
            };
            machines.push(MachineSpec {
                name: m.name.clone(),
                line: m.line.clone(),
                unit_id: m.unit_id,
                behaviour,
                layout,
            });
        }
        let g = &config.generate;
        check_level(&g.line).map_err(|r| problem("generate.line", r))?;
        for n in 0..g.count {
            let unit = u16::from(g.first_unit_id) + n;
            let unit_id = u8::try_from(unit).map_err(|_| {
                problem(
                    "generate.count",
                    format!("unit id {unit} of machine {} exceeds 255", n + 1),
                )
            })?;
            let name = format!("{}{:02}", g.name_prefix, n + 1);
            check_level(&name).map_err(|r| problem("generate.name_prefix", r))?;
            machines.push(MachineSpec {
                name,
                line: g.line.clone(),
                unit_id,
                behaviour: common_behaviour.clone(),
                layout: common_layout.clone(),
            });
        }
        if machines.is_empty() {
            return Err(problem(
                "machines",
                "no machines: add [[machines]] or set generate.count",
            ));
        }
        check_names_and_units(&machines)?;
        let listeners = resolve_listeners(config, &machines)?;
        if let Some(mqtt) = &config.mqtt {
            check_mqtt(mqtt, config.tick_ms)?;
        }
        if let Some(sparkplug) = &config.sparkplug {
            check_sparkplug(sparkplug, config.tick_ms)?;
        }
        Ok(Self {
            seed: config.seed,
            tick_ms: config.tick_ms,
            start_paused: config.start_paused,
            machines,
            listeners,
            mqtt: config.mqtt.clone(),
            sparkplug: config.sparkplug.clone(),
        })
    }
}

fn is_empty_layout(l: &crate::config::LayoutConfig) -> bool {
    l.run.is_none()
        && l.setup.is_none()
        && l.fault.is_none()
        && l.state.is_none()
        && l.fault_code.is_none()
        && l.good_count.is_none()
        && l.scrap_count.is_none()
        && l.temperature.is_none()
        && l.spindle_speed.is_none()
        && l.name.is_none()
        && l.aux.is_none()
        && l.omit.is_none()
}

/// Names and lines become MQTT topic levels: no `/`, `+`, `#`, spaces.
fn check_level(text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} must be 1 to 64 characters of A-Z a-z 0-9 . _ -"
        ))
    }
}

fn check_names_and_units(machines: &[MachineSpec]) -> Result<(), PlanError> {
    let mut names = HashSet::new();
    for m in machines {
        if !names.insert(m.name.as_str()) {
            return Err(problem(
                "machines",
                format!("machine name {:?} is used twice", m.name),
            ));
        }
        if m.unit_id == 0 {
            return Err(problem(
                "machines",
                format!(
                    "machine {}: unit id 0 is the broadcast address; use 1..=255",
                    m.name
                ),
            ));
        }
    }
    Ok(())
}

fn resolve_listeners(config: &SimConfig, machines: &[MachineSpec]) -> Result<Vec<ListenerSpec>, PlanError> {
    let configured = if config.listeners.is_empty() {
        vec![crate::config::ListenerConfig {
            address: DEFAULT_MODBUS_ADDRESS.into(),
            machines: Vec::new(),
        }]
    } else {
        config.listeners.clone()
    };
    let mut listeners = Vec::new();
    for (i, l) in configured.iter().enumerate() {
        let served: Vec<usize> = if l.machines.is_empty() {
            (0..machines.len()).collect()
        } else {
            l.machines
                .iter()
                .map(|name| {
                    machines.iter().position(|m| &m.name == name).ok_or_else(|| {
                        problem(
                            format!("listeners[{i}].machines"),
                            format!("no machine is named {name:?}"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?
        };
        let mut units = BTreeMap::new();
        for &m in &served {
            let machine = &machines[m];
            if let Some(other) = units.insert(machine.unit_id, &machine.name) {
                return Err(problem(
                    format!("listeners[{i}]"),
                    format!(
                        "machines {other} and {} both have unit id {} on {}",
                        machine.name, machine.unit_id, l.address
                    ),
                ));
            }
        }
        listeners.push(ListenerSpec {
            address: l.address.clone(),
            machines: served,
        });
    }
    Ok(listeners)
}

fn check_sparkplug(spb: &SparkplugConfig, tick_ms: u64) -> Result<(), PlanError> {
    for (key, value) in [
        ("sparkplug.group_id", &spb.group_id),
        ("sparkplug.edge_node_id", &spb.edge_node_id),
    ] {
        mes_protocols::sparkplug::id(value, key).map_err(|e| problem(key, e.to_string()))?;
    }
    if spb.process_interval_ms < tick_ms {
        return Err(problem(
            "sparkplug.process_interval_ms",
            format!("must be at least tick_ms ({tick_ms})"),
        ));
    }
    if spb.keep_alive_secs < 5 {
        return Err(problem("sparkplug.keep_alive_secs", "must be at least 5"));
    }
    if spb.queue == 0 {
        return Err(problem("sparkplug.queue", "must be at least 1"));
    }
    crate::config::split_host_port(&spb.broker).map_err(|r| problem("sparkplug.broker", r))?;
    Ok(())
}

fn check_mqtt(mqtt: &MqttConfig, tick_ms: u64) -> Result<(), PlanError> {
    if mqtt.qos > 2 {
        return Err(problem("mqtt.qos", "must be 0, 1 or 2"));
    }
    if !(0.0..=1.0).contains(&mqtt.malformed_rate) {
        return Err(problem("mqtt.malformed_rate", "must be between 0 and 1"));
    }
    if mqtt.process_interval_ms < tick_ms {
        return Err(problem(
            "mqtt.process_interval_ms",
            format!("must be at least the tick ({tick_ms} ms)"),
        ));
    }
    if mqtt.keep_alive_secs < 5 {
        return Err(problem("mqtt.keep_alive_secs", "must be at least 5"));
    }
    if mqtt.queue == 0 {
        return Err(problem("mqtt.queue", "must be at least 1"));
    }
    let prefix_ok = !mqtt.topic_prefix.is_empty()
        && !mqtt.topic_prefix.contains(['+', '#'])
        && !mqtt.topic_prefix.starts_with('/')
        && !mqtt.topic_prefix.ends_with('/');
    if !prefix_ok {
        return Err(problem(
            "mqtt.topic_prefix",
            "must be non-empty, without + or #, and not start or end with /",
        ));
    }
    crate::config::split_host_port(&mqtt.broker).map_err(|r| problem("mqtt.broker", r))?;
    Ok(())
}

/// A behaviour from `machine`'s keys, else `common`'s, else the defaults;
/// errors are `(key, reason)`.
fn resolve_behaviour(
    machine: &BehaviourConfig,
    common: &BehaviourConfig,
) -> Result<Behaviour, (String, String)> {
    macro_rules! pick {
        ($field:ident, $default:expr) => {
            machine
                .$field
                .clone()
                .or_else(|| common.$field.clone())
                .unwrap_or_else(|| $default)
        };
    }
    let non_negative = |key: &str, v: f64| {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err((
                key.to_string(),
                format!("{v} must be a finite number of at least 0"),
            ))
        }
    };
    let cycle_time_ms = pick!(cycle_time_ms, 4000);
    if cycle_time_ms == 0 {
        return Err(("cycle_time_ms".into(), "must be at least 1".into()));
    }
    let scrap_rate = pick!(scrap_rate, 0.03);
    if !(0.0..=1.0).contains(&scrap_rate) {
        return Err((
            "scrap_rate".into(),
            format!("{scrap_rate} must be between 0 and 1"),
        ));
    }
    let scrap_reasons = pick!(
        scrap_reasons,
        vec!["dimension".into(), "surface".into(), "material".into()]
    );
    if scrap_reasons.is_empty() {
        return Err(("scrap_reasons".into(), "must name at least one reason".into()));
    }
    let fault_codes = pick!(fault_codes, vec![101, 102, 205, 310]);
    if fault_codes.is_empty() || fault_codes.contains(&0) {
        return Err((
            "fault_codes".into(),
            "must list at least one code, none of them 0".into(),
        ));
    }
    let secs = |key: &str, v: f64| non_negative(key, v).map(|s| s * 1000.0);
    Ok(Behaviour {
        cycle_time_ms,
        scrap_rate,
        scrap_reasons,
        stops_per_hour: non_negative("stops_per_hour", pick!(stops_per_hour, 6.0))?,
        mean_stop_ms: secs("mean_stop_secs", pick!(mean_stop_secs, 60.0))?,
        faults_per_hour: non_negative("faults_per_hour", pick!(faults_per_hour, 2.0))?,
        mean_fault_ms: secs("mean_fault_secs", pick!(mean_fault_secs, 120.0))?,
        fault_codes,
        setups_per_hour: non_negative("setups_per_hour", pick!(setups_per_hour, 0.5))?,
        mean_setup_ms: secs("mean_setup_secs", pick!(mean_setup_secs, 300.0))?,
        ambient_temperature: pick!(ambient_temperature, 22.0),
        running_temperature: pick!(running_temperature, 65.0),
        spindle_rpm: non_negative("spindle_rpm", pick!(spindle_rpm, 12000.0))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<Plan, PlanError> {
        Plan::from_config(&SimConfig::from_toml("sim.toml", text).expect("parses"))
    }

    #[test]
    fn generated_machines_get_consecutive_units_and_common_settings() {
        let p = plan("[generate]\ncount = 3\nfirst_unit_id = 10\n[behaviour]\ncycle_time_ms = 500\n")
            .expect("ok");
        let units: Vec<u8> = p.machines.iter().map(|m| m.unit_id).collect();
        assert_eq!(units, vec![10, 11, 12]);
        assert_eq!(p.machines[2].name, "sim-03");
        assert!(p.machines.iter().all(|m| m.behaviour.cycle_time_ms == 500));
        assert_eq!(p.listeners[0].address, DEFAULT_MODBUS_ADDRESS);
        assert_eq!(p.listeners[0].machines, vec![0, 1, 2]);
    }

    #[test]
    fn machine_keys_override_common_keys_one_by_one() {
        let p = plan(
            "[behaviour]\ncycle_time_ms = 500\nscrap_rate = 0.5\n\
             [[machines]]\nname = \"press-1\"\nunit_id = 1\nbehaviour = { scrap_rate = 0.1 }\n",
        )
        .expect("ok");
        assert_eq!(p.machines[0].behaviour.cycle_time_ms, 500);
        assert_eq!(p.machines[0].behaviour.scrap_rate, 0.1);
    }

    #[test]
    fn duplicate_units_on_one_listener_are_refused() {
        let err = plan("[[machines]]\nname = \"a\"\nunit_id = 1\n[[machines]]\nname = \"b\"\nunit_id = 1\n")
            .expect_err("same unit");
        assert!(err.reason.contains("unit id 1"), "{err}");
    }

    #[test]
    fn same_unit_on_separate_listeners_is_fine() {
        let p = plan(
            "[[machines]]\nname = \"a\"\nunit_id = 1\n[[machines]]\nname = \"b\"\nunit_id = 1\n\
             [[listeners]]\naddress = \"127.0.0.1:0\"\nmachines = [\"a\"]\n\
             [[listeners]]\naddress = \"127.0.0.1:0\"\nmachines = [\"b\"]\n",
        )
        .expect("ok");
        assert_eq!(p.listeners[1].machines, vec![1]);
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = plan("[generate]\ncount = 1\n[behaviour]\nscrap_rate = 2.0\n").expect_err("rate");
        assert_eq!(err.key, "behaviour.scrap_rate");
        let err = plan("[[machines]]\nname = \"a/b\"\nunit_id = 1\n").expect_err("slash");
        assert_eq!(err.key, "machines[0].name");
        let err = plan("[generate]\ncount = 1\n[mqtt]\nqos = 3\n").expect_err("qos");
        assert_eq!(err.key, "mqtt.qos");
        let err = plan("").expect_err("no machines");
        assert_eq!(err.key, "machines");
    }
}

//! Configuration of equipment (`[[equipment]]` tables): which device's tags
//! say what about a machine, parsed into [`EquipmentSpec`]s.
//!
//! ```toml
//! [[equipment]]
//! name = "press-1"
//! device = "press-1-plc"
//! offline_after_secs = 30
//! values = ["temperature", "spindle_speed"]
//! states = [
//!   { state = "down", tag = "fault_code", op = "ne", value = 0, reason_tag = "fault_code" },
//!   { state = "setup", tag = "setup", op = "true" },
//!   { state = "running", tag = "run", op = "true" },
//! ]
//! counters = { good = { tag = "good_count", width = 16 }, scrap = { tag = "scrap_count", width = 16 } }
//! ```

use mes_protocols::Code;
use mes_protocols::config_text::ConfigError;
use mes_protocols::event::EquipmentState;
use serde::Deserialize;
use std::collections::HashSet;
use std::time::Duration;

/// One machine as the MES sees it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquipmentConfig {
    /// The equipment's code (as in the hub's master data).
    pub name: String,
    /// The device (Modbus device name or MQTT device) whose tags describe it.
    pub device: String,
    /// Silence from the device for this long marks the equipment offline; 0
    /// turns the check off. Silence means no answer, never no change: every
    /// answered Modbus poll and every MQTT message on the device's topics
    /// counts as hearing from it, whether or not a value changed. (A broken
    /// Modbus link makes it offline at once.)
    #[serde(default = "default_offline_after")]
    pub offline_after_secs: u64,
    /// State rules, tried in order; the first that holds gives the state.
    /// When none holds, the equipment is idle.
    #[serde(default)]
    pub states: Vec<StateRuleConfig>,
    /// Part counters.
    #[serde(default)]
    pub counters: CountersConfig,
    /// Tags reported as process values.
    #[serde(default)]
    pub values: Vec<String>,
}

fn default_offline_after() -> u64 {
    30
}

/// A comparison of a tag's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// The tag is true (non-zero).
    True,
    /// The tag is false (zero).
    False,
    /// Equal to `value`.
    Eq,
    /// Not equal to `value`.
    Ne,
    /// Greater than `value`.
    Gt,
    /// Greater than or equal to `value`.
    Ge,
    /// Less than `value`.
    Lt,
    /// Less than or equal to `value`.
    Le,
    /// A text no other rule on this tag names (the explicit "anything
    /// else" of a text state tag). Without such a rule, a text no rule
    /// names is bad input.
    Other,
}

/// "When tag `tag` `op` `value`, the equipment is `state`."
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRuleConfig {
    /// The state this rule gives: running, idle, down or setup.
    pub state: EquipmentState,
    /// The tag tested.
    pub tag: String,
    /// The comparison.
    pub op: Op,
    /// The number compared with (for eq, ne, gt, ge, lt, le).
    pub value: Option<f64>,
    /// Text compared with instead of a number (for eq and ne; MQTT devices
    /// often send `"state": "running"`). Case-insensitive.
    pub text: Option<String>,
    /// A fixed reason code for this state (`E-STOP`).
    pub reason: Option<String>,
    /// A tag whose value is the reason code (a PLC fault code).
    pub reason_tag: Option<String>,
}

/// The good and scrap counters.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountersConfig {
    /// Good parts.
    pub good: Option<CounterConfig>,
    /// Scrap parts.
    pub scrap: Option<CounterConfig>,
}

/// How a counter is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterMode {
    /// A PLC counter: a running number that rolls over at its width.
    #[default]
    Register,
    /// One message per part or batch: the value is the count, a
    /// non-negative integer up to `max_per_message`; anything else (text,
    /// booleans, negative or fractional numbers) is bad input and counts
    /// nothing.
    PerMessage,
}

/// One counter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterConfig {
    /// The tag.
    pub tag: String,
    /// `register` (default) or `per_message`.
    #[serde(default)]
    pub mode: CounterMode,
    /// Bits of the PLC counter (16, 32 or 64), where it rolls over.
    #[serde(default = "default_width")]
    pub width: u8,
    /// With `per_message`: the most parts one message may count (a sanity
    /// limit; a larger count is bad input). Default 10000.
    #[serde(default = "default_max_per_message")]
    pub max_per_message: u64,
}

fn default_width() -> u8 {
    32
}

fn default_max_per_message() -> u64 {
    10_000
}

/// A parsed state rule.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRule {
    /// Resulting state.
    pub state: EquipmentState,
    /// Tag tested.
    pub tag: Code,
    /// Comparison.
    pub op: Op,
    /// Compared number.
    pub value: f64,
    /// Compared text (eq/ne), lower-cased.
    pub text: Option<String>,
    /// Fixed reason.
    pub reason: Option<Code>,
    /// Tag holding the reason.
    pub reason_tag: Option<Code>,
}

/// A parsed counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterSpec {
    /// Tag.
    pub tag: Code,
    /// Mode.
    pub mode: CounterMode,
    /// Width in bits.
    pub width: u8,
    /// Most parts one message may count (`per_message`).
    pub max_per_message: u64,
}

/// A parsed equipment.
#[derive(Debug, Clone, PartialEq)]
pub struct EquipmentSpec {
    /// Its code.
    pub name: Code,
    /// Its device.
    pub device: Code,
    /// Offline timeout.
    pub offline_after: Option<Duration>,
    /// State rules in order.
    pub states: Vec<StateRule>,
    /// Good counter.
    pub good: Option<CounterSpec>,
    /// Scrap counter.
    pub scrap: Option<CounterSpec>,
    /// Process-value tags.
    pub values: Vec<Code>,
}

impl EquipmentSpec {
    /// Every tag the equipment reads: state rules (and their reason
    /// tags), counters and process values.
    pub fn tags(&self) -> impl Iterator<Item = &Code> {
        self.states
            .iter()
            .flat_map(|r| std::iter::once(&r.tag).chain(r.reason_tag.as_ref()))
            .chain(self.good.iter().chain(self.scrap.iter()).map(|c| &c.tag))
            .chain(self.values.iter())
    }
}

/// Parses every equipment, naming the key of the first problem.
pub fn parse_equipment(file: &str, list: &[EquipmentConfig]) -> Result<Vec<EquipmentSpec>, ConfigError> {
    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let key = format!("equipment[{i}]");
        let code = |k: &str, raw: &str| {
            Code::parse(raw)
                .map_err(|why| ConfigError::new(file, format!("{key}.{k}"), format!("`{raw}`: {why}")))
        };
        let name = code("name", &e.name)?;
        if !names.insert(name.clone()) {
            return Err(ConfigError::new(
                file,
                format!("{key}.name"),
                format!("equipment `{name}` is defined twice"),
            ));
        }
        let mut states = Vec::with_capacity(e.states.len());
        for (r, rule) in e.states.iter().enumerate() {
            states.push(parse_rule(file, &format!("{key}.states[{r}]"), &name, rule)?);
        }
        let counter = |k: &str, c: &Option<CounterConfig>| -> Result<Option<CounterSpec>, ConfigError> {
            let Some(c) = c else { return Ok(None) };
            if !matches!(c.width, 16 | 32 | 64) {
                return Err(ConfigError::new(
                    file,
                    format!("{key}.counters.{k}.width"),
                    format!("equipment {name}: width {} must be 16, 32 or 64", c.width),
                ));
            }
            if c.max_per_message == 0 {
                return Err(ConfigError::new(
                    file,
                    format!("{key}.counters.{k}.max_per_message"),
                    format!("equipment {name}: must be at least 1"),
                ));
            }
            Ok(Some(CounterSpec {
                tag: code(&format!("counters.{k}.tag"), &c.tag)?,
                mode: c.mode,
                width: c.width,
                max_per_message: c.max_per_message,
            }))
        };
        out.push(EquipmentSpec {
            device: code("device", &e.device)?,
            offline_after: (e.offline_after_secs > 0).then(|| Duration::from_secs(e.offline_after_secs)),
            states,
            good: counter("good", &e.counters.good)?,
            scrap: counter("scrap", &e.counters.scrap)?,
            values: e
                .values
                .iter()
                .enumerate()
                .map(|(v, t)| code(&format!("values[{v}]"), t))
                .collect::<Result<_, _>>()?,
            name,
        });
    }
    Ok(out)
}

fn parse_rule(
    file: &str,
    key: &str,
    equipment: &Code,
    rule: &StateRuleConfig,
) -> Result<StateRule, ConfigError> {
    let err = |k: &str, why: String| {
        ConfigError::new(
            file,
            format!("{key}.{k}"),
            format!("equipment {equipment}: {why}"),
        )
    };
    if rule.state == EquipmentState::Offline {
        return Err(err(
            "state",
            "offline comes from communication loss, not from a rule".into(),
        ));
    }
    let text = match (&rule.text, rule.op) {
        (Some(_), _) if rule.value.is_some() => {
            return Err(err("text", "give `value` or `text`, not both".into()));
        }
        (Some(t), Op::Eq | Op::Ne) => Some(t.trim().to_lowercase()),
        (Some(_), _) => return Err(err("text", "`text` works with op eq or ne".into())),
        (None, _) => None,
    };
    if rule.op == Op::Other && (rule.value.is_some() || rule.text.is_some()) {
        return Err(err("op", "`other` takes neither `value` nor `text`".into()));
    }
    let value = match (rule.op, rule.value) {
        (Op::True | Op::False | Op::Other, None) => 0.0,
        (_, None) if text.is_some() => 0.0,
        (Op::True | Op::False, Some(_)) => {
            return Err(err("value", "`true`/`false` rules take no value".into()));
        }
        (_, Some(v)) if v.is_finite() => v,
        (_, _) => {
            return Err(err(
                "value",
                format!("op {:?} needs a finite `value`", rule.op).to_lowercase(),
            ));
        }
    };
    let code = |k: &str, raw: &str| Code::parse(raw).map_err(|why| err(k, format!("`{raw}`: {why}")));
    Ok(StateRule {
        state: rule.state,
        tag: code("tag", &rule.tag)?,
        op: rule.op,
        value,
        text,
        reason: rule.reason.as_deref().map(|r| code("reason", r)).transpose()?,
        reason_tag: rule
            .reason_tag
            .as_deref()
            .map(|r| code("reason_tag", r))
            .transpose()?,
    })
}

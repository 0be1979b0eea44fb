//! The equipment model: one machine's tags in, MES events out. Pure logic
//! (no I/O, time passed in) so every rule is unit-tested.
//!
//! - Snapshots: a source hands over the tag values it read together (one
//!   Modbus poll group, one MQTT message). A snapshot is checked against
//!   the type each tag is used as (a count, a state, a process value) and
//!   refused whole when any value is bad input; otherwise it is applied
//!   whole and the state rules are evaluated once, so a state and its
//!   reason always come from the same read, never from half of one.
//! - State: the first rule that holds gives the state, none gives idle; no
//!   state is announced until every tag the rules test has a value. Only
//!   changes of (state, reason) become events: a new reason while the state
//!   stays is an `equipment_state_changed` with the same state and the new
//!   reason (it ends the interval of the old reason).
//! - Counters: PLC counters become deltas with running totals (rollover and
//!   resets handled by `counter.rs`); the last raw value and the totals are
//!   saved with the event (`StateUpdate`), so a restart neither loses nor
//!   doubles parts. A per-message count is a non-negative integer up to
//!   the counter's `max_per_message`.
//! - Process values: reported as they come (the source applied the deadband).
//! - Restart: the last state, reason and since are saved with their event
//!   (`state_key`), so a restart does not announce an unchanged state again.
//! - Offline: communication down, or silence (no snapshot at all, changed
//!   or not) longer than `offline_after`.

use super::config::{CounterMode, CounterSpec, EquipmentSpec, Op, StateRule};
use super::counter::step;
use crate::buffer::StateUpdate;
use crate::sources::{BadInputKind, TagValue};
use mes_protocols::event::{EquipmentState, EquipmentStateChanged, PartsCounted, ProcessValueSampled};
use mes_protocols::{Code, EventBody, EventDraft, Source, Timestamp};
use std::collections::{HashMap, HashSet};

/// Events and state updates to commit together.
#[derive(Debug, Default)]
pub struct ModelOutput {
    /// New events.
    pub events: Vec<EventDraft>,
    /// Agent state to save with them.
    pub state: Vec<StateUpdate>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counter {
    last_raw: Option<u64>,
    total: u64,
}

/// What the status page shows of one equipment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EquipmentStatus {
    /// Current state, once known.
    pub state: Option<EquipmentState>,
    /// Reason of the current state.
    pub reason: Option<String>,
    /// Since when (unix ms).
    pub since_ms: Option<i64>,
    /// Good parts counted (running total).
    pub good_total: u64,
    /// Scrap parts counted (running total).
    pub scrap_total: u64,
    /// Last observation from the device (unix ms).
    pub last_seen_ms: Option<i64>,
    /// The last number of each configured process value seen.
    pub values: std::collections::BTreeMap<String, f64>,
}

/// One equipment's live model.
pub struct EquipmentModel {
    spec: EquipmentSpec,
    /// `spec.values` as a set: a snapshot of thousands of tags asks it
    /// once per tag.
    value_tags: HashSet<Code>,
    values: HashMap<Code, TagValue>,
    state: Option<(EquipmentState, Option<Code>)>,
    since: Option<Timestamp>,
    good: Counter,
    scrap: Counter,
    last_seen: Option<Timestamp>,
    /// First silence check without anything heard since start: a restored
    /// state goes offline when the device stays silent from then on.
    watched_from: Option<Timestamp>,
}

/// Key under which a counter's raw value and total are saved.
pub fn counter_key(equipment: &Code, which: &str) -> String {
    format!("counter/{equipment}/{which}")
}

/// Key under which the last state event (state, reason, since) is saved.
pub fn state_key(equipment: &Code) -> String {
    format!("equipment/{equipment}/state")
}

/// The last state announced, saved with its event so a restart does not
/// announce it again.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedState {
    state: EquipmentState,
    reason: Option<Code>,
    since_ms: i64,
}

impl EquipmentModel {
    /// A model, restoring counters from `saved` (key → "raw,total").
    pub fn new(spec: EquipmentSpec, saved: &HashMap<String, String>) -> Self {
        let restore = |which: &str| -> Counter {
            saved
                .get(&counter_key(&spec.name, which))
                .and_then(|v| {
                    let (raw, total) = v.split_once(',')?;
                    Some(Counter {
                        last_raw: raw.parse().ok(),
                        total: total.parse().ok()?,
                    })
                })
                .unwrap_or_default()
        };
        let (good, scrap) = (restore("good"), restore("scrap"));
        // An unreadable saved state is as if none was saved: the first
        // snapshot then announces the state again, which is harmless.
        let last: Option<SavedState> = saved
            .get(&state_key(&spec.name))
            .and_then(|v| serde_json::from_str(v).ok());
        Self {
            value_tags: spec.values.iter().cloned().collect(),
            spec,
            values: HashMap::new(),
            state: last.as_ref().map(|l| (l.state, l.reason.clone())),
            since: last.map(|l| Timestamp::from_unix_millis(l.since_ms)),
            good,
            scrap,
            last_seen: None,
            watched_from: None,
        }
    }

    /// The equipment's code.
    pub fn name(&self) -> &Code {
        &self.spec.name
    }

    /// Its configuration.
    pub fn spec(&self) -> &EquipmentSpec {
        &self.spec
    }

    /// The device whose tags describe it.
    pub fn device(&self) -> &Code {
        &self.spec.device
    }

    /// A snapshot of tag values read together at `at` (the device's time
    /// when it sends one) and received at `received` (the agent's clock):
    /// checked, applied whole, then the state rules evaluated once. A
    /// snapshot with bad input changes nothing (but still proves the device
    /// is alive) and returns every problem found. Silence is measured from
    /// `received`, so a device whose clock is off never looks silent.
    pub fn observe(
        &mut self,
        values: &[(Code, TagValue)],
        at: Timestamp,
        received: Timestamp,
        out: &mut ModelOutput,
    ) -> Result<(), Vec<Rejected>> {
        self.last_seen = Some(received);
        let problems: Vec<Rejected> = values
            .iter()
            .filter_map(|(tag, value)| self.check(tag, value).err())
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        for (tag, value) in values {
            if self.spec.good.as_ref().is_some_and(|c| &c.tag == tag)
                || self.spec.scrap.as_ref().is_some_and(|c| &c.tag == tag)
            {
                self.count(tag, value, at, out);
            }
            if self.value_tags.contains(tag)
                && let Some(v) = value.as_f64().filter(|v| v.is_finite())
            {
                let body = EventBody::ProcessValueSampled(ProcessValueSampled {
                    equipment: self.spec.name.clone(),
                    tag: tag.clone(),
                    value: v,
                    unit: None,
                });
                out.events.push(self.event(at, body));
            }
        }
        for (tag, value) in values {
            self.values.insert(tag.clone(), value.clone());
        }
        self.evaluate(at, out);
        Ok(())
    }

    /// Whether `value` has the type `tag` is used as here.
    fn check(&self, tag: &Code, value: &TagValue) -> Result<(), Rejected> {
        for counter in [&self.spec.good, &self.spec.scrap].into_iter().flatten() {
            if &counter.tag == tag {
                check_count(counter, value)?;
            }
        }
        let rules: Vec<&StateRule> = self.spec.states.iter().filter(|r| &r.tag == tag).collect();
        if !rules.is_empty() {
            check_state(&rules, value)?;
        }
        if self.value_tags.contains(tag) && matches!(value, TagValue::Text(_)) {
            return Err(Rejected::new(
                BadInputKind::Value,
                format!("process value {tag} = {value} is not a number"),
            ));
        }
        Ok(())
    }

    /// The device stopped answering: the equipment is offline, and what it
    /// last said is forgotten (the source reports every tag again after
    /// reconnecting).
    pub fn set_offline(&mut self, at: Timestamp, out: &mut ModelOutput) {
        self.values.clear();
        self.change_state(EquipmentState::Offline, None, at, out);
    }

    /// Marks the equipment offline when nothing at all was heard for too
    /// long. The last values are kept: the next snapshot brings the state
    /// back even when nothing in it changed.
    pub fn check_silence(&mut self, now: Timestamp, out: &mut ModelOutput) {
        let Some(limit) = self.spec.offline_after else {
            return;
        };
        let seen = match self.last_seen {
            Some(seen) => seen,
            // A state restored at start, and nothing heard since.
            None if self.state.is_some() => *self.watched_from.get_or_insert(now),
            None => return,
        };
        if now.millis_since(seen) > limit.as_millis() as i64
            && self.state.as_ref().map(|s| s.0) != Some(EquipmentState::Offline)
        {
            self.change_state(EquipmentState::Offline, None, now, out);
        }
    }

    /// For the status page.
    pub fn status(&self) -> EquipmentStatus {
        EquipmentStatus {
            state: self.state.as_ref().map(|s| s.0),
            reason: self
                .state
                .as_ref()
                .and_then(|s| s.1.as_ref().map(|c| c.to_string())),
            since_ms: self.since.map(Timestamp::unix_millis),
            good_total: self.good.total,
            scrap_total: self.scrap.total,
            last_seen_ms: self.last_seen.map(Timestamp::unix_millis),
            values: self
                .spec
                .values
                .iter()
                .filter_map(|tag| Some((tag.to_string(), self.values.get(tag)?.as_f64()?)))
                .collect(),
        }
    }

    fn evaluate(&mut self, at: Timestamp, out: &mut ModelOutput) {
        if self.spec.states.is_empty() || !self.spec.states.iter().all(|r| self.values.contains_key(&r.tag)) {
            return;
        }
        let rules = &self.spec.states;
        let (state, reason) = match rules.iter().find(|r| holds(r, rules, &self.values)) {
            Some(rule) => (rule.state, self.reason_of(rule)),
            None => (EquipmentState::Idle, None),
        };
        self.change_state(state, reason, at, out);
    }

    fn reason_of(&self, rule: &StateRule) -> Option<Code> {
        if let Some(tag) = &rule.reason_tag {
            let text = match self.values.get(tag)? {
                TagValue::Text(t) => t.clone(),
                other => other
                    .as_i64()
                    .map_or_else(|| other.to_string(), |i| i.to_string()),
            };
            return Code::parse(&text).ok();
        }
        rule.reason.clone()
    }

    fn change_state(
        &mut self,
        state: EquipmentState,
        reason: Option<Code>,
        at: Timestamp,
        out: &mut ModelOutput,
    ) {
        if self.state.as_ref().map(|(s, r)| (s, r)) == Some((&state, &reason)) {
            return;
        }
        // An equipment's states follow each other in time, even when they
        // come from two clocks (a device's stamp, the agent's silence
        // check): a change is never dated before the state it ends, or the
        // timeline would put it before that state and show the older one.
        let at = self.since.map_or(at, |since| at.max(since));
        self.state = Some((state, reason.clone()));
        self.since = Some(at);
        let saved = SavedState {
            state,
            reason: reason.clone(),
            since_ms: at.unix_millis(),
        };
        out.state.push(StateUpdate {
            key: state_key(&self.spec.name),
            value: serde_json::to_string(&saved).ok(),
        });
        let body = EventBody::EquipmentStateChanged(EquipmentStateChanged {
            equipment: self.spec.name.clone(),
            state,
            reason,
        });
        out.events.push(self.event(at, body));
    }

    fn count(&mut self, tag: &Code, value: &TagValue, at: Timestamp, out: &mut ModelOutput) {
        let is_good = self.spec.good.as_ref().is_some_and(|c| &c.tag == tag);
        let spec: &CounterSpec = match if is_good {
            &self.spec.good
        } else {
            &self.spec.scrap
        } {
            Some(s) => s,
            None => return,
        };
        let counter = if is_good { self.good } else { self.scrap };
        let (parts, last_raw) = match spec.mode {
            CounterMode::Register => match value.as_i64().and_then(|v| u64::try_from(v).ok()) {
                Some(raw) => (step(counter.last_raw, raw, spec.width).parts(), Some(raw)),
                None => return,
            },
            // Checked before: a non-negative integer within the limit.
            CounterMode::PerMessage => match value.as_i64().and_then(|v| u64::try_from(v).ok()) {
                Some(parts) => (parts, None),
                None => return,
            },
        };
        let updated = Counter {
            last_raw,
            total: counter.total + parts,
        };
        if is_good {
            self.good = updated;
        } else {
            self.scrap = updated;
        }
        let which = if is_good { "good" } else { "scrap" };
        out.state.push(StateUpdate {
            key: counter_key(&self.spec.name, which),
            value: Some(format!(
                "{},{}",
                last_raw.map(|r| r.to_string()).unwrap_or_default(),
                updated.total
            )),
        });
        if parts > 0 {
            let (good, scrap) = if is_good { (parts, 0) } else { (0, parts) };
            let body = EventBody::PartsCounted(PartsCounted {
                equipment: self.spec.name.clone(),
                good,
                scrap,
                good_total: self.good.total,
                scrap_total: self.scrap.total,
            });
            out.events.push(self.event(at, body));
        }
    }

    fn event(&self, at: Timestamp, body: EventBody) -> EventDraft {
        EventDraft::new(at, Source::Device(self.spec.device.clone()), body)
    }
}

fn holds(rule: &StateRule, rules: &[StateRule], values: &HashMap<Code, TagValue>) -> bool {
    let Some(value) = values.get(&rule.tag) else {
        return false;
    };
    if rule.op == Op::Other {
        return match value {
            TagValue::Text(t) => !names_text(rules, &rule.tag, &normalize(t)),
            _ => false,
        };
    }
    if let Some(text) = &rule.text {
        let actual = match value {
            TagValue::Text(t) => normalize(t),
            other => other.to_string().to_lowercase(),
        };
        return (actual == *text) == (rule.op == Op::Eq);
    }
    match rule.op {
        Op::True => value.as_bool() == Some(true),
        Op::False => value.as_bool() == Some(false),
        op => {
            let Some(x) = value.as_f64() else { return false };
            match op {
                Op::Eq => x == rule.value,
                Op::Ne => x != rule.value,
                Op::Gt => x > rule.value,
                Op::Ge => x >= rule.value,
                Op::Lt => x < rule.value,
                Op::Le => x <= rule.value,
                Op::True | Op::False | Op::Other => false,
            }
        }
    }
}

/// A state text as rules compare it.
fn normalize(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Whether a rule on `tag` names `text` (already normalized).
fn names_text(rules: &[StateRule], tag: &Code, text: &str) -> bool {
    rules
        .iter()
        .any(|r| &r.tag == tag && r.text.as_deref() == Some(text))
}

/// Why one equipment refused a snapshot: a value of the wrong type for its
/// use. Counted as bad input of the device, by `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The metric label.
    pub kind: BadInputKind,
    /// What is wrong, naming the tag and the value.
    pub reason: String,
}

impl Rejected {
    fn new(kind: BadInputKind, reason: String) -> Self {
        Self { kind, reason }
    }
}

/// A counter value: a PLC register is a non-negative integer; a
/// per-message count one up to the counter's limit.
fn check_count(counter: &CounterSpec, value: &TagValue) -> Result<(), Rejected> {
    let tag = &counter.tag;
    let bad = |why: String| {
        Err(Rejected::new(
            BadInputKind::Count,
            format!("count {tag} = {value}: {why}"),
        ))
    };
    let n = match value {
        TagValue::Int(n) => *n,
        TagValue::Float(f) if counter.mode == CounterMode::PerMessage => {
            return bad(if f.fract() == 0.0 && *f > counter.max_per_message as f64 {
                format!("over max_per_message ({})", counter.max_per_message)
            } else {
                "not an integer".into()
            });
        }
        TagValue::Float(f) if f.fract() == 0.0 && f.is_finite() && *f >= 0.0 => return Ok(()),
        TagValue::Float(_) => return bad("not an integer".into()),
        TagValue::Bool(_) => return bad("a boolean, not a number".into()),
        TagValue::Text(_) => return bad("text, not a number".into()),
    };
    if n < 0 {
        return bad("negative".into());
    }
    if counter.mode == CounterMode::PerMessage && n as u64 > counter.max_per_message {
        return bad(format!("over max_per_message ({})", counter.max_per_message));
    }
    Ok(())
}

/// A state tag's value: text known to the rules when they compare texts
/// (or any text with an `other` rule); a number or boolean otherwise.
fn check_state(rules: &[&StateRule], value: &TagValue) -> Result<(), Rejected> {
    let tag = &rules[0].tag;
    let bad = |why: String| {
        Err(Rejected::new(
            BadInputKind::State,
            format!("state {tag} = {value}: {why}"),
        ))
    };
    let texts = rules.iter().any(|r| r.text.is_some() || r.op == Op::Other);
    match value {
        TagValue::Text(t) if texts => {
            let t = normalize(t);
            let known = rules
                .iter()
                .any(|r| r.op == Op::Other || r.text.as_deref() == Some(t.as_str()));
            if known {
                Ok(())
            } else {
                bad("a text no rule names (add a rule, or one with op = \"other\")".into())
            }
        }
        _ if texts => bad("not a text, expected one of the rules' texts".into()),
        TagValue::Text(_) if rules.iter().all(|r| matches!(r.op, Op::True | Op::False)) => {
            match value.as_bool() {
                Some(_) => Ok(()),
                None => bad("text, expected a boolean".into()),
            }
        }
        TagValue::Text(_) => bad("text, expected a number".into()),
        TagValue::Float(f) if !f.is_finite() => bad("not a finite number".into()),
        TagValue::Bool(_) | TagValue::Int(_) | TagValue::Float(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests;

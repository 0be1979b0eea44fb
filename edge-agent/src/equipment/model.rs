//! The equipment model: one machine's tags in, MES events out. Pure logic
//! (no I/O, time passed in) so every rule is unit-tested.
//!
//! - State: the first rule that holds gives the state, none gives idle; no
//!   state is announced until every tag the rules read has a value. Only
//!   changes become events.
//! - Counters: PLC counters become deltas with running totals (rollover and
//!   resets handled by `counter.rs`); the last raw value and the totals are
//!   saved with the event (`StateUpdate`), so a restart neither loses nor
//!   doubles parts.
//! - Process values: reported as they come (the source applied the deadband).
//! - Offline: communication down, or silence longer than `offline_after`.

use super::config::{CounterMode, CounterSpec, EquipmentSpec, Op, StateRule};
use super::counter::step;
use crate::buffer::StateUpdate;
use crate::sources::TagValue;
use mes_protocols::event::{EquipmentState, EquipmentStateChanged, PartsCounted, ProcessValueSampled};
use mes_protocols::{Code, EventBody, EventDraft, Source, Timestamp};
use std::collections::HashMap;

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
}

/// One equipment's live model.
pub struct EquipmentModel {
    spec: EquipmentSpec,
    values: HashMap<Code, TagValue>,
    state: Option<(EquipmentState, Option<Code>)>,
    since: Option<Timestamp>,
    good: Counter,
    scrap: Counter,
    last_seen: Option<Timestamp>,
}

/// Key under which a counter's raw value and total are saved.
pub fn counter_key(equipment: &Code, which: &str) -> String {
    format!("counter/{equipment}/{which}")
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
        Self {
            spec,
            values: HashMap::new(),
            state: None,
            since: None,
            good,
            scrap,
            last_seen: None,
        }
    }

    /// The equipment's code.
    pub fn name(&self) -> &Code {
        &self.spec.name
    }

    /// A tag value observed at `at`.
    pub fn observe_tag(&mut self, tag: &Code, value: &TagValue, at: Timestamp, out: &mut ModelOutput) {
        self.last_seen = Some(at);
        if self.spec.good.as_ref().is_some_and(|c| &c.tag == tag)
            || self.spec.scrap.as_ref().is_some_and(|c| &c.tag == tag)
        {
            self.count(tag, value, at, out);
        }
        if self.spec.values.contains(tag)
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
        self.values.insert(tag.clone(), value.clone());
        if self.state == Some((EquipmentState::Offline, None)) || self.reads(tag) {
            self.evaluate(at, out);
        }
    }

    /// The device stopped answering: the equipment is offline.
    pub fn set_offline(&mut self, at: Timestamp, out: &mut ModelOutput) {
        self.values.clear();
        self.change_state(EquipmentState::Offline, None, at, out);
    }

    /// Marks the equipment offline when nothing was heard for too long.
    pub fn check_silence(&mut self, now: Timestamp, out: &mut ModelOutput) {
        let (Some(limit), Some(seen)) = (self.spec.offline_after, self.last_seen) else {
            return;
        };
        if now.millis_since(seen) > limit.as_millis() as i64
            && self.state.as_ref().map(|s| s.0) != Some(EquipmentState::Offline)
        {
            self.set_offline(now, out);
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
        }
    }

    fn reads(&self, tag: &Code) -> bool {
        self.spec
            .states
            .iter()
            .any(|r| &r.tag == tag || r.reason_tag.as_ref() == Some(tag))
    }

    fn evaluate(&mut self, at: Timestamp, out: &mut ModelOutput) {
        if self.spec.states.is_empty() || !self.spec.states.iter().all(|r| self.values.contains_key(&r.tag)) {
            return;
        }
        let (state, reason) = match self.spec.states.iter().find(|r| holds(r, &self.values)) {
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
        self.state = Some((state, reason.clone()));
        self.since = Some(at);
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
            CounterMode::PerMessage => match value {
                TagValue::Bool(false) => return,
                TagValue::Bool(true) | TagValue::Text(_) => (
                    value.as_i64().and_then(|v| u64::try_from(v).ok()).unwrap_or(1),
                    None,
                ),
                other => (
                    other.as_i64().and_then(|v| u64::try_from(v).ok()).unwrap_or(0),
                    None,
                ),
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

fn holds(rule: &StateRule, values: &HashMap<Code, TagValue>) -> bool {
    let Some(value) = values.get(&rule.tag) else {
        return false;
    };
    if let Some(text) = &rule.text {
        let actual = match value {
            TagValue::Text(t) => t.trim().to_lowercase(),
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
                Op::True | Op::False => false,
            }
        }
    }
}

#[cfg(test)]
mod tests;

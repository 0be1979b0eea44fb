//! The built-in event generator for demos: simulated machines that change
//! state, count parts and report a temperature. Real machines come through
//! the Modbus and MQTT sources instead.

use crate::buffer::Buffer;
use mes_protocols::config_text::ConfigError;
use mes_protocols::event::{EquipmentState, EquipmentStateChanged, PartsCounted, ProcessValueSampled};
use mes_protocols::{Code, EventBody, EventDraft, Source, Timestamp};
use rand::Rng;
use serde::Deserialize;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

struct Machine {
    code: Code,
    state: EquipmentState,
    good_total: u64,
    scrap_total: u64,
}

/// Runs the generator until `shutdown`.
pub async fn run(config: GeneratorConfig, buffer: Buffer, shutdown: CancellationToken) {
    let mut machines: Vec<Machine> = config
        .equipment
        .iter()
        .filter_map(|name| Code::parse(name).ok())
        .map(|code| Machine {
            code,
            state: EquipmentState::Idle,
            good_total: 0,
            scrap_total: 0,
        })
        .collect();
    if machines.is_empty() {
        return;
    }
    let tick = Duration::from_millis(100);
    let per_tick = (config.events_per_sec as f64 / 10.0).max(0.0);
    let mut carry = 0.0;
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        carry += per_tick;
        let n = carry.floor() as usize;
        carry -= n as f64;
        let drafts: Vec<EventDraft> = (0..n).map(|i| next_event(&mut machines, i)).collect();
        if drafts.is_empty() {
            continue;
        }
        if let Err(e) = buffer.append(&drafts).await {
            tracing::warn!(error = %e, "generator could not buffer its events");
        }
    }
}

fn next_event(machines: &mut [Machine], i: usize) -> EventDraft {
    let mut rng = rand::rng();
    let index = (rng.random_range(0..machines.len()) + i) % machines.len();
    let m = &mut machines[index];
    let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    let roll: f64 = rng.random();
    let body = if roll < 0.05 || m.state != EquipmentState::Running && roll < 0.5 {
        m.state = match rng.random_range(0..10) {
            0..=5 => EquipmentState::Running,
            6 | 7 => EquipmentState::Idle,
            8 => EquipmentState::Setup,
            _ => EquipmentState::Down,
        };
        let reason =
            (m.state == EquipmentState::Down).then(|| Code::parse("F12").expect("F12 is a valid code"));
        EventBody::EquipmentStateChanged(EquipmentStateChanged {
            equipment: m.code.clone(),
            state: m.state,
            reason,
        })
    } else if m.state == EquipmentState::Running && roll < 0.7 {
        let scrap = u64::from(rng.random_bool(0.05));
        let good = 1 - scrap;
        m.good_total += good;
        m.scrap_total += scrap;
        EventBody::PartsCounted(PartsCounted {
            equipment: m.code.clone(),
            good,
            scrap,
            good_total: m.good_total,
            scrap_total: m.scrap_total,
        })
    } else {
        EventBody::ProcessValueSampled(ProcessValueSampled {
            equipment: m.code.clone(),
            tag: Code::parse("temperature").expect("a valid code"),
            value: 60.0 + rng.random_range(-5.0..5.0),
            unit: Some(Code::parse("degC").expect("a valid code")),
        })
    };
    EventDraft::new(now, Source::Device(m.code.clone()), body)
}

/// The demo event generator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeneratorConfig {
    /// Generate simulated machine events.
    pub enabled: bool,
    /// Events per second, over all equipment.
    pub events_per_sec: u32,
    /// Names of the simulated equipment.
    pub equipment: Vec<String>,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            events_per_sec: 20,
            equipment: vec!["press-1".into(), "lathe-1".into(), "mill-1".into()],
        }
    }
}

impl GeneratorConfig {
    /// Checks the section as read from `file`.
    pub fn validate(&self, file: &str) -> Result<(), ConfigError> {
        for (i, name) in self.equipment.iter().enumerate() {
            Code::parse(name).map_err(|why| {
                ConfigError::new(
                    file,
                    format!("generator.equipment[{i}]"),
                    format!("`{name}`: code {why}"),
                )
            })?;
        }
        if self.enabled && (self.equipment.is_empty() || self.events_per_sec == 0) {
            return Err(ConfigError::new(
                file,
                "generator",
                "an enabled generator needs equipment and events_per_sec > 0",
            ));
        }
        Ok(())
    }
}

//! The simulation core: every machine behind one mutex, the register image
//! each machine publishes after every change, the queues towards the MQTT
//! and Sparkplug publishers, and the clock task that advances the machines once a tick.
//!
//! Only the clock and the handle's control methods take the mutex, briefly
//! and never across an await. The Modbus server never touches it: it reads
//! the per-machine image published after each change, so polling load
//! never slows the clock and the clock never blocks a read.

use crate::SimError;
use crate::image::RegisterImage;
use crate::machine::{Machine, MachineEvent, MachineState};
use crate::resolve::{MachineSpec, Plan};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Something for the MQTT and Sparkplug publishers, produced by the clock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outgoing {
    /// A state change or finished part of machine `machine`.
    Event {
        /// Index of the machine.
        machine: usize,
        /// What happened.
        event: MachineEvent,
    },
    /// Periodic process values of machine `machine`.
    Process {
        /// Index of the machine.
        machine: usize,
        /// Temperature, °C.
        temperature: f64,
        /// Spindle speed, rpm.
        spindle_speed: f64,
        /// Simulated time, ms since start.
        at_ms: u64,
    },
}

pub(crate) struct SimMachine {
    pub(crate) spec: MachineSpec,
    pub(crate) machine: Machine,
}

/// Everything the clock changes.
pub(crate) struct Core {
    pub(crate) machines: Vec<SimMachine>,
    pub(crate) paused: bool,
    tick: u64,
    /// Reused for every machine's events, so ticks do not allocate for them.
    scratch: Vec<MachineEvent>,
}

/// State shared by the clock, the servers and the handle.
pub(crate) struct Shared {
    core: Mutex<Core>,
    images: Vec<RwLock<Arc<RegisterImage>>>,
    tick_ms: u64,
    process_every_ticks: u64,
    /// One queue per publisher (MQTT, Sparkplug), each given every message.
    outgoing: Vec<mpsc::Sender<Outgoing>>,
    dropped: AtomicU64,
}

impl Shared {
    /// The current image of machine `index`.
    pub(crate) fn image(&self, index: usize) -> Option<Arc<RegisterImage>> {
        let slot = self.images.get(index)?;
        Some(slot.read().unwrap_or_else(PoisonError::into_inner).clone())
    }

    pub(crate) fn core(&self) -> MutexGuard<'_, Core> {
        // A panic while holding the lock leaves machines in a consistent
        // state between ticks, so keep serving rather than poison forever.
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Advances every machine one tick (unless paused and not forced).
    pub(crate) fn tick(&self, force: bool) {
        let mut core = self.core();
        if core.paused && !force {
            return;
        }
        core.tick += 1;
        let tick = core.tick;
        let Core {
            machines, scratch, ..
        } = &mut *core;
        for (index, m) in machines.iter_mut().enumerate() {
            scratch.clear();
            m.machine.advance(self.tick_ms, scratch);
            self.publish(index, m, tick, scratch);
            if tick.is_multiple_of(self.process_every_ticks) {
                let s = m.machine.status();
                self.send(Outgoing::Process {
                    machine: index,
                    temperature: s.temperature,
                    spindle_speed: s.spindle_speed,
                    at_ms: s.sim_ms,
                });
            }
        }
    }

    /// Renders machine `index`'s image and queues its events.
    fn publish(&self, index: usize, m: &SimMachine, tick: u64, events: &[MachineEvent]) {
        let image = Arc::new(m.spec.layout.render(&m.spec.name, m.machine.status(), tick));
        if let Some(slot) = self.images.get(index) {
            *slot.write().unwrap_or_else(PoisonError::into_inner) = image;
        }
        for event in events {
            self.send(Outgoing::Event {
                machine: index,
                event: event.clone(),
            });
        }
    }

    /// Queues a message for every publisher; when a queue is full the
    /// message is dropped there and counted: the clock must never wait for
    /// a broker.
    fn send(&self, message: Outgoing) {
        for tx in &self.outgoing {
            if tx.try_send(message.clone()).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Applies `change` to the machine named `name` and publishes the
    /// result at once.
    pub(crate) fn control(
        &self,
        name: &str,
        change: impl FnOnce(&mut Machine, &mut Vec<MachineEvent>),
    ) -> Result<(), SimError> {
        let mut core = self.core();
        let tick = core.tick;
        let Core {
            machines, scratch, ..
        } = &mut *core;
        let (index, m) = machines
            .iter_mut()
            .enumerate()
            .find(|(_, m)| m.spec.name == name)
            .ok_or_else(|| SimError::UnknownMachine(name.to_string()))?;
        scratch.clear();
        change(&mut m.machine, scratch);
        self.publish(index, m, tick, scratch);
        Ok(())
    }
}

impl Shared {
    /// Machines at time 0 with their first images, and the starting state
    /// of each queued for the publishers (`outgoing`: none without MQTT or
    /// Sparkplug).
    pub(crate) fn new(plan: &Plan, outgoing: Vec<mpsc::Sender<Outgoing>>) -> Self {
        let machines: Vec<SimMachine> = plan
            .machines
            .iter()
            .enumerate()
            .map(|(i, spec)| SimMachine {
                machine: Machine::new(spec.behaviour.clone(), plan.seed, i as u64),
                spec: spec.clone(),
            })
            .collect();
        let images = machines
            .iter()
            .map(|m| {
                RwLock::new(Arc::new(m.spec.layout.render(
                    &m.spec.name,
                    m.machine.status(),
                    0,
                )))
            })
            .collect();
        // The shorter interval of the publishers applies to both.
        let process_every_ticks = [
            plan.mqtt.as_ref().map(|m| m.process_interval_ms),
            plan.sparkplug.as_ref().map(|s| s.process_interval_ms),
        ]
        .into_iter()
        .flatten()
        .min()
        .map_or(1, |ms| (ms / plan.tick_ms).max(1));
        let shared = Self {
            core: Mutex::new(Core {
                machines,
                paused: plan.start_paused,
                tick: 0,
                scratch: Vec::new(),
            }),
            images,
            tick_ms: plan.tick_ms,
            process_every_ticks,
            outgoing,
            dropped: AtomicU64::new(0),
        };
        for index in 0..plan.machines.len() {
            shared.send(Outgoing::Event {
                machine: index,
                event: MachineEvent::State {
                    state: MachineState::Running,
                    fault_code: 0,
                    at_ms: 0,
                },
            });
        }
        shared
    }

    /// Messages dropped because a publisher's queue was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Ticks every `tick_ms`. Late ticks are caught up in a burst, so that
/// simulated time keeps pace with the wall clock.
pub(crate) async fn run_clock(shared: Arc<Shared>, cancel: CancellationToken) {
    let mut interval = tokio::time::interval(Duration::from_millis(shared.tick_ms));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    // The first tick of an interval completes at once; time 0 is already
    // served, so skip it.
    interval.tick().await;
    loop {
        tokio::select! {
            _ = interval.tick() => shared.tick(false),
            () = cancel.cancelled() => break,
        }
    }
}

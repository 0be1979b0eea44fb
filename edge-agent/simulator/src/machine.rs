//! One simulated machine's state machine: running (a part every cycle, some
//! of them scrap), idle, setup and down (with a fault code), with random
//! stops, faults and setups drawn from the machine's own seeded RNG.
//!
//! Time is simulated: [`Machine::advance`] moves the machine forward by a
//! given number of milliseconds, so the same seed and the same steps give
//! the same history whatever the wall clock does. No I/O here.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;

/// The state of a machine, as the MES sees equipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MachineState {
    /// Not producing, not faulted (a stop: waiting for material, operator).
    Idle,
    /// Producing a part every cycle.
    Running,
    /// Being set up (changeover).
    Setup,
    /// Faulted; the fault code says why.
    Down,
}

impl MachineState {
    /// The code served in the `state` register: 0 idle, 1 running, 2 setup,
    /// 3 down.
    pub fn code(self) -> u16 {
        match self {
            MachineState::Idle => 0,
            MachineState::Running => 1,
            MachineState::Setup => 2,
            MachineState::Down => 3,
        }
    }

    /// The lowercase name used in MQTT messages (`"running"`).
    pub fn name(self) -> &'static str {
        match self {
            MachineState::Idle => "idle",
            MachineState::Running => "running",
            MachineState::Setup => "setup",
            MachineState::Down => "down",
        }
    }
}

impl fmt::Display for MachineState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A machine's parameters, checked (see `resolve.rs` for the defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    /// Time to make one part while running, ms (at least 1).
    pub cycle_time_ms: u64,
    /// Probability that a finished part is scrap, 0..=1.
    pub scrap_rate: f64,
    /// Reasons for scrap (at least one).
    pub scrap_reasons: Vec<String>,
    /// Random stops per hour of running.
    pub stops_per_hour: f64,
    /// Mean stop length, ms.
    pub mean_stop_ms: f64,
    /// Random faults per hour of running.
    pub faults_per_hour: f64,
    /// Mean fault length, ms.
    pub mean_fault_ms: f64,
    /// Fault codes for random faults (at least one, none zero).
    pub fault_codes: Vec<u16>,
    /// Setups per hour of running.
    pub setups_per_hour: f64,
    /// Mean setup length, ms.
    pub mean_setup_ms: f64,
    /// Temperature when cold, °C.
    pub ambient_temperature: f64,
    /// Temperature reached while running, °C.
    pub running_temperature: f64,
    /// Spindle speed while running, rpm.
    pub spindle_rpm: f64,
}

/// What happened on a machine during a step, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum MachineEvent {
    /// The machine changed state.
    State {
        /// The new state.
        state: MachineState,
        /// The fault code (non-zero only for [`MachineState::Down`]).
        fault_code: u16,
        /// Simulated time of the change, ms since start.
        at_ms: u64,
    },
    /// A part was finished.
    Part {
        /// `None` for a good part, the scrap reason for scrap.
        scrap_reason: Option<String>,
        /// Simulated time, ms since start.
        at_ms: u64,
    },
}

/// What the registers and messages are made from: a machine's current
/// values.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineStatus {
    /// Current state.
    pub state: MachineState,
    /// Fault code, 0 unless down.
    pub fault_code: u16,
    /// Good parts made since start (never wraps; registers wrap).
    pub good_total: u64,
    /// Scrap parts made since start.
    pub scrap_total: u64,
    /// Temperature, °C.
    pub temperature: f64,
    /// Spindle speed, rpm.
    pub spindle_speed: f64,
    /// Simulated time, ms since start.
    pub sim_ms: u64,
}

/// How long the current non-running state lasts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Hold {
    /// Running: no end.
    None,
    /// Back to running after this many more ms.
    For(u64),
    /// Forced by a test: stays until released.
    Forced,
}

/// A simulated machine.
#[derive(Debug, Clone)]
pub struct Machine {
    behaviour: Behaviour,
    rng: ChaCha8Rng,
    status: MachineStatus,
    hold: Hold,
    /// Milliseconds of the current cycle already done.
    cycle_done_ms: u64,
}

/// Time constant of heating and cooling, ms.
const THERMAL_TIME_CONSTANT_MS: f64 = 60_000.0;

impl Machine {
    /// A machine starting to run at time 0, with random choices from
    /// `seed` and `stream` (give each machine its own stream so that adding
    /// a machine does not change the others' histories).
    pub fn new(behaviour: Behaviour, seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        let status = MachineStatus {
            state: MachineState::Running,
            fault_code: 0,
            good_total: 0,
            scrap_total: 0,
            temperature: behaviour.ambient_temperature,
            spindle_speed: behaviour.spindle_rpm,
            sim_ms: 0,
        };
        Self {
            behaviour,
            rng,
            status,
            hold: Hold::None,
            cycle_done_ms: 0,
        }
    }

    /// The current values.
    pub fn status(&self) -> &MachineStatus {
        &self.status
    }

    /// The parameters.
    pub fn behaviour(&self) -> &Behaviour {
        &self.behaviour
    }

    /// Moves the machine forward by `dt_ms`, appending what happened to
    /// `events`. Random transitions are checked once per call, with the
    /// probability of the configured hourly rate over `dt_ms`; call it with
    /// the same steps to get the same history.
    pub fn advance(&mut self, dt_ms: u64, events: &mut Vec<MachineEvent>) {
        let start = self.status.sim_ms;
        self.status.sim_ms = start + dt_ms;
        match self.status.state {
            MachineState::Running => self.run(start, dt_ms, events),
            _ => self.wait(dt_ms, events),
        }
        self.update_process_values(dt_ms);
    }

    fn run(&mut self, start: u64, dt_ms: u64, events: &mut Vec<MachineEvent>) {
        let cycle = self.behaviour.cycle_time_ms.max(1);
        self.cycle_done_ms += dt_ms;
        while self.cycle_done_ms >= cycle {
            self.cycle_done_ms -= cycle;
            // Parts finish at their cycle boundary inside this step.
            let at_ms = start + dt_ms - self.cycle_done_ms;
            self.finish_part(at_ms, events);
        }
        let at_ms = self.status.sim_ms;
        let b = &self.behaviour;
        let (faults, stops, setups) = (b.faults_per_hour, b.stops_per_hour, b.setups_per_hour);
        if self.chance(faults, dt_ms) {
            let code = self.pick_fault_code();
            let ms = self.draw_duration(self.behaviour.mean_fault_ms);
            self.enter(MachineState::Down, code, Hold::For(ms), at_ms, events);
        } else if self.chance(stops, dt_ms) {
            let ms = self.draw_duration(self.behaviour.mean_stop_ms);
            self.enter(MachineState::Idle, 0, Hold::For(ms), at_ms, events);
        } else if self.chance(setups, dt_ms) {
            let ms = self.draw_duration(self.behaviour.mean_setup_ms);
            self.enter(MachineState::Setup, 0, Hold::For(ms), at_ms, events);
        }
    }

    fn wait(&mut self, dt_ms: u64, events: &mut Vec<MachineEvent>) {
        if let Hold::For(left) = self.hold {
            if left <= dt_ms {
                let at_ms = self.status.sim_ms - (dt_ms - left);
                self.enter(MachineState::Running, 0, Hold::None, at_ms, events);
            } else {
                self.hold = Hold::For(left - dt_ms);
            }
        }
    }

    fn finish_part(&mut self, at_ms: u64, events: &mut Vec<MachineEvent>) {
        let scrap = self.rng.random::<f64>() < self.behaviour.scrap_rate;
        let scrap_reason = if scrap {
            self.status.scrap_total = self.status.scrap_total.wrapping_add(1);
            let reasons = &self.behaviour.scrap_reasons;
            let i = self.rng.random_range(0..reasons.len().max(1));
            Some(reasons.get(i).cloned().unwrap_or_default())
        } else {
            self.status.good_total = self.status.good_total.wrapping_add(1);
            None
        };
        events.push(MachineEvent::Part { scrap_reason, at_ms });
    }

    /// Whether an event with `per_hour` rate happens within `dt_ms`.
    fn chance(&mut self, per_hour: f64, dt_ms: u64) -> bool {
        // Always draw, so that one rate being zero does not shift the
        // random sequence of the others.
        let draw = self.rng.random::<f64>();
        if per_hour <= 0.0 {
            return false;
        }
        let p = 1.0 - (-per_hour * dt_ms as f64 / 3_600_000.0).exp();
        draw < p
    }

    /// An exponentially distributed duration with the given mean, at least
    /// 1 ms.
    fn draw_duration(&mut self, mean_ms: f64) -> u64 {
        let u: f64 = self.rng.random();
        let ms = -(1.0 - u).ln() * mean_ms.max(0.0);
        if ms.is_finite() { (ms as u64).max(1) } else { 1 }
    }

    fn pick_fault_code(&mut self) -> u16 {
        let codes = &self.behaviour.fault_codes;
        let i = self.rng.random_range(0..codes.len().max(1));
        codes.get(i).copied().unwrap_or(1)
    }

    fn enter(
        &mut self,
        state: MachineState,
        fault_code: u16,
        hold: Hold,
        at_ms: u64,
        events: &mut Vec<MachineEvent>,
    ) {
        self.hold = hold;
        let changed = self.status.state != state || self.status.fault_code != fault_code;
        self.status.state = state;
        self.status.fault_code = fault_code;
        if state != MachineState::Running {
            // An interrupted part is started again from the beginning.
            self.cycle_done_ms = 0;
        }
        if changed {
            events.push(MachineEvent::State {
                state,
                fault_code,
                at_ms,
            });
        }
    }

    fn update_process_values(&mut self, dt_ms: u64) {
        let b = &self.behaviour;
        let running = self.status.state == MachineState::Running;
        let target = if running {
            b.running_temperature
        } else {
            b.ambient_temperature
        };
        let alpha = 1.0 - (-(dt_ms as f64) / THERMAL_TIME_CONSTANT_MS).exp();
        let noise = (self.rng.random::<f64>() - 0.5) * 0.2;
        self.status.temperature += (target - self.status.temperature) * alpha + noise * alpha.sqrt();
        let rpm_noise = (self.rng.random::<f64>() - 0.5) * 0.01 * b.spindle_rpm;
        self.status.spindle_speed = if running { b.spindle_rpm + rpm_noise } else { 0.0 };
    }

    /// Puts the machine down with `fault_code` until [`release`](Self::release).
    pub fn force_fault(&mut self, fault_code: u16, events: &mut Vec<MachineEvent>) {
        let at = self.status.sim_ms;
        self.enter(MachineState::Down, fault_code, Hold::Forced, at, events);
    }

    /// Stops the machine (idle) until [`release`](Self::release).
    pub fn force_stop(&mut self, events: &mut Vec<MachineEvent>) {
        let at = self.status.sim_ms;
        self.enter(MachineState::Idle, 0, Hold::Forced, at, events);
    }

    /// Puts the machine in setup until [`release`](Self::release).
    pub fn force_setup(&mut self, events: &mut Vec<MachineEvent>) {
        let at = self.status.sim_ms;
        self.enter(MachineState::Setup, 0, Hold::Forced, at, events);
    }

    /// Makes the machine run now (from any state, forced or not); random
    /// transitions apply again.
    pub fn release(&mut self, events: &mut Vec<MachineEvent>) {
        let at = self.status.sim_ms;
        self.enter(MachineState::Running, 0, Hold::None, at, events);
    }

    /// Sets the part totals, e.g. just below a register's rollover.
    pub fn set_counters(&mut self, good_total: u64, scrap_total: u64) {
        self.status.good_total = good_total;
        self.status.scrap_total = scrap_total;
    }
}

#[cfg(test)]
mod tests;

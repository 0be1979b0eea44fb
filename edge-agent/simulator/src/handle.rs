//! Starting a simulator and steering it: [`Simulator::start`] checks the
//! configuration, binds the Modbus listeners and spawns the clock, the
//! servers and the MQTT publisher under one cancellation token;
//! [`SimHandle`] is what programs and tests hold to watch and control it
//! (force faults and stops, set counters, pause and step the clock) and to
//! shut it down.

use crate::config::SimConfig;
use crate::machine::MachineStatus;
use crate::resolve::{MachineSpec, Plan, PlanError};
use crate::simulator::{Outgoing, Shared, run_clock};
use crate::sparkplug_publisher::SparkplugPublisher;
use crate::{modbus_server, mqtt_publisher};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Why the simulator could not start or a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration cannot run.
    #[error("invalid simulator configuration: {0}")]
    Config(PlanError),
    /// A Modbus listener could not bind.
    #[error("cannot listen for Modbus TCP on {address}: {error}")]
    Bind {
        /// The address configured.
        address: String,
        /// The socket error.
        error: std::io::Error,
    },
    /// No machine has this name.
    #[error("no simulated machine is named {0:?}")]
    UnknownMachine(String),
    /// A serial line for Modbus RTU could not be opened.
    #[error("cannot open serial port {port} for Modbus RTU: {error}")]
    Serial {
        /// The port.
        port: String,
        /// Why.
        error: String,
    },
}

impl From<PlanError> for SimError {
    fn from(error: PlanError) -> Self {
        SimError::Config(error)
    }
}

/// What a machine is and where it is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineInfo {
    /// Machine name.
    pub name: String,
    /// Production line.
    pub line: String,
    /// Modbus unit id.
    pub unit_id: u8,
    /// The Modbus listeners serving it.
    pub modbus: Vec<SocketAddr>,
}

/// MQTT publishing counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MqttStats {
    /// Messages handed to the MQTT client.
    pub published: u64,
    /// Deliberately malformed messages among them.
    pub malformed: u64,
    /// Messages dropped because the queue towards the broker was full.
    pub dropped: u64,
}

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Checks `config`, binds every Modbus listener, starts the clock (unless
    /// `start_paused`) and the MQTT publisher (if configured). The images
    /// are served from the first moment; machines start running at
    /// simulated time 0. Must be called inside a Tokio runtime.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let plan = Plan::from_config(&config)?;
        // Bind every listener before spawning anything, so that a failed
        // bind leaves no task behind.
        let bound = bind_listeners(&plan).await?;
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let mut outgoing = Vec::new();
        let mut queue = |size: usize| {
            let (tx, rx) = mpsc::channel::<Outgoing>(size);
            outgoing.push(tx);
            rx
        };
        let receiver = plan.mqtt.as_ref().map(|m| queue(m.queue));
        let spb_receiver = plan.sparkplug.as_ref().map(|s| queue(s.queue));
        let shared = Arc::new(Shared::new(&plan, outgoing));
        let mut listeners = Vec::new();
        for (spec, (listener, addr)) in plan.listeners.iter().zip(bound) {
            let units = spec.machines.iter().map(|&i| (plan.machines[i].unit_id, i));
            let units = modbus_server::UnitTable::new(units);
            tracker.spawn(modbus_server::serve(
                listener,
                shared.clone(),
                units,
                cancel.clone(),
            ));
            listeners.push(addr);
        }
        let epoch_ms = unix_millis_now();
        let mqtt_stats = Arc::new(mqtt_publisher::Counters::default());
        if let (Some(mqtt), Some(rx)) = (plan.mqtt.clone(), receiver) {
            let topics = plan
                .machines
                .iter()
                .map(|m| (m.line.clone(), m.name.clone()))
                .collect();
            let publisher =
                mqtt_publisher::Publisher::new(mqtt, topics, plan.seed, epoch_ms, mqtt_stats.clone());
            tracker.spawn(publisher.run(rx, cancel.clone()));
        }
        let spb_stats = Arc::new(mqtt_publisher::Counters::default());
        if let (Some(spb), Some(rx)) = (plan.sparkplug.clone(), spb_receiver) {
            let names: Vec<String> = plan.machines.iter().map(|m| m.name.clone()).collect();
            let publisher = SparkplugPublisher::new(spb, &names, epoch_ms, spb_stats.clone());
            tracker.spawn(publisher.run(rx, cancel.clone()));
        }
        tracker.spawn(run_clock(shared.clone(), cancel.clone()));
        tracker.close();
        tracing::info!(
            machines = plan.machines.len(),
            listeners = ?listeners,
            seed = plan.seed,
            tick_ms = plan.tick_ms,
            "machine simulator started"
        );
        Ok(SimHandle {
            plan,
            shared,
            listeners,
            cancel,
            tracker,
            mqtt_stats,
            spb_stats,
            epoch_ms,
        })
    }
}

async fn bind_listeners(plan: &Plan) -> Result<Vec<(TcpListener, SocketAddr)>, SimError> {
    let mut bound = Vec::new();
    for spec in &plan.listeners {
        let bind_error = |error| SimError::Bind {
            address: spec.address.clone(),
            error,
        };
        let listener = TcpListener::bind(&spec.address).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        bound.push((listener, addr));
    }
    Ok(bound)
}

fn unix_millis_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A running simulator. [`shutdown`](Self::shutdown) stops it and waits;
/// dropping the handle stops it without waiting (so a failing test leaves
/// no listener behind).
pub struct SimHandle {
    plan: Plan,
    shared: Arc<Shared>,
    listeners: Vec<SocketAddr>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    mqtt_stats: Arc<mqtt_publisher::Counters>,
    spb_stats: Arc<mqtt_publisher::Counters>,
    epoch_ms: i64,
}

impl SimHandle {
    /// The address of the first Modbus listener (the one to use when there
    /// is only one).
    pub fn local_addr(&self) -> SocketAddr {
        // Plan::from_config always yields at least one listener, and start
        // binds each or fails.
        self.listeners[0]
    }

    /// The bound addresses of every listener, in configuration order.
    pub fn modbus_addrs(&self) -> &[SocketAddr] {
        &self.listeners
    }

    /// Every machine, in order (explicit ones, then generated ones).
    pub fn machines(&self) -> Vec<MachineInfo> {
        (0..self.plan.machines.len())
            .map(|i| {
                let spec = &self.plan.machines[i];
                MachineInfo {
                    name: spec.name.clone(),
                    line: spec.line.clone(),
                    unit_id: spec.unit_id,
                    modbus: self
                        .plan
                        .listeners
                        .iter()
                        .zip(&self.listeners)
                        .filter(|(l, _)| l.machines.contains(&i))
                        .map(|(_, addr)| *addr)
                        .collect(),
                }
            })
            .collect()
    }

    /// The register layout of a machine.
    pub fn layout(&self, machine: &str) -> Result<&crate::layout::Layout, SimError> {
        Ok(&self.spec_of(machine)?.layout)
    }

    /// The current values of a machine.
    pub fn status(&self, machine: &str) -> Result<MachineStatus, SimError> {
        let core = self.shared.core();
        core.machines
            .iter()
            .find(|m| m.spec.name == machine)
            .map(|m| m.machine.status().clone())
            .ok_or_else(|| SimError::UnknownMachine(machine.to_string()))
    }

    /// Puts a machine down with `fault_code` until [`release`](Self::release).
    /// The registers show it as soon as this returns.
    pub fn force_fault(&self, machine: &str, fault_code: u16) -> Result<(), SimError> {
        self.shared
            .control(machine, |m, ev| m.force_fault(fault_code, ev))
    }

    /// Stops a machine (idle) until [`release`](Self::release).
    pub fn force_stop(&self, machine: &str) -> Result<(), SimError> {
        self.shared.control(machine, |m, ev| m.force_stop(ev))
    }

    /// Puts a machine in setup until [`release`](Self::release).
    pub fn force_setup(&self, machine: &str) -> Result<(), SimError> {
        self.shared.control(machine, |m, ev| m.force_setup(ev))
    }

    /// Makes a machine run now; random stops and faults apply again.
    pub fn release(&self, machine: &str) -> Result<(), SimError> {
        self.shared.control(machine, |m, ev| m.release(ev))
    }

    /// Sets a machine's good and scrap totals (e.g. `65_534` to see a `u16`
    /// counter roll over within two parts).
    pub fn set_counters(&self, machine: &str, good_total: u64, scrap_total: u64) -> Result<(), SimError> {
        self.shared
            .control(machine, |m, _| m.set_counters(good_total, scrap_total))
    }

    /// Stops the clock: nothing changes on its own until
    /// [`resume`](Self::resume); [`step`](Self::step) still works.
    pub fn pause(&self) {
        self.shared.core().paused = true;
    }

    /// Restarts the clock.
    pub fn resume(&self) {
        self.shared.core().paused = false;
    }

    /// Advances every machine by `ticks` ticks now, paused or not; the
    /// registers show the result as soon as this returns.
    pub fn step(&self, ticks: u32) {
        for _ in 0..ticks {
            self.shared.tick(true);
        }
    }

    /// The tick length.
    pub fn tick(&self) -> Duration {
        Duration::from_millis(self.plan.tick_ms)
    }

    /// MQTT counters (all zero without MQTT); `dropped` includes changes
    /// the clock could not queue for any publisher.
    pub fn mqtt_stats(&self) -> MqttStats {
        MqttStats {
            published: self.mqtt_stats.published.load(Ordering::Relaxed),
            malformed: self.mqtt_stats.malformed.load(Ordering::Relaxed),
            dropped: self.shared.dropped() + self.mqtt_stats.dropped.load(Ordering::Relaxed),
        }
    }

    /// Sparkplug B counters (all zero without `[sparkplug]`): messages
    /// handed to the MQTT client (births included) and dropped because its
    /// queue was full.
    pub fn sparkplug_stats(&self) -> MqttStats {
        MqttStats {
            published: self.spb_stats.published.load(Ordering::Relaxed),
            malformed: 0,
            dropped: self.spb_stats.dropped.load(Ordering::Relaxed),
        }
    }

    /// Wall-clock Unix milliseconds of simulated time 0 (MQTT timestamps are
    /// this plus the simulated time).
    pub fn epoch_unix_millis(&self) -> i64 {
        self.epoch_ms
    }

    /// What is served, for people: listeners, machines with unit ids and
    /// each distinct register layout.
    pub fn summary(&self) -> String {
        crate::summary::render(&self.plan, &self.listeners)
    }

    /// Also serves every machine, by its unit id, as Modbus RTU on the serial
    /// port `port` (8 data bits, even parity, 1 stop bit at `baud`) until
    /// shutdown; a request to a unit id not served gets no answer (as on a
    /// real RS-485 line). With `socat` pseudo-terminal pairs this tests RTU
    /// without hardware.
    pub fn serve_rtu(&self, port: &str, baud: u32) -> Result<(), SimError> {
        use tokio_serial::SerialPortBuilderExt;
        let serial = tokio_serial::new(port, baud)
            .parity(tokio_serial::Parity::Even)
            .open_native_async()
            .map_err(|e| SimError::Serial {
                port: port.to_string(),
                error: e.to_string(),
            })?;
        let units = self.plan.machines.iter().enumerate().map(|(i, m)| (m.unit_id, i));
        let units = modbus_server::UnitTable::new(units);
        self.tracker.spawn(modbus_server::serve_rtu(
            serial,
            self.shared.clone(),
            units,
            self.cancel.clone(),
        ));
        Ok(())
    }

    /// Stops the clock, the listeners (closing client connections) and the
    /// MQTT publisher (after it flushed what was queued, for at most a few
    /// seconds), and waits for them.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.wait().await;
        tracing::info!("machine simulator stopped");
    }

    fn spec_of(&self, machine: &str) -> Result<&MachineSpec, SimError> {
        self.plan
            .machines
            .iter()
            .find(|m| m.name == machine)
            .ok_or_else(|| SimError::UnknownMachine(machine.to_string()))
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

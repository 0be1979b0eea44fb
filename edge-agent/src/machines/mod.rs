//! Machine data collection: the configuration of sources and equipment
//! parsed and cross-checked once (`spec.rs`, `cross_check.rs`), and
//! [`start`], which runs one task per Modbus device (RTU devices on one
//! serial port share its bus), the MQTT source, and the equipment task that
//! turns every source's observations into events.

mod cross_check;
mod spec;

pub use spec::{MachineSections, MachineSpec, parse};

use crate::buffer::Buffer;
use crate::equipment::{self, EquipmentBoard, EquipmentModel};
use crate::sources::modbus::{self, ModbusStats, SerialBuses};
use crate::sources::{Envelope, ObservationSink};
use anyhow::Context;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Live views of machine data collection, for metrics and the status page.
#[derive(Clone, Default)]
pub struct MachineViews {
    /// Every equipment's state and counts.
    pub board: Arc<EquipmentBoard>,
    /// Modbus poll counters and jitter.
    pub modbus: Arc<ModbusStats>,
}

/// Spawns the sources and the equipment task of `spec` into `tasks`.
pub fn start(
    spec: MachineSpec,
    buffer: &Buffer,
    sink: &ObservationSink,
    observations: mpsc::Receiver<Envelope>,
    tasks: &mut JoinSet<()>,
    shutdown: &CancellationToken,
) -> anyhow::Result<MachineViews> {
    let views = MachineViews::default();
    // RTU devices on one serial port read through one bus, one at a time.
    let mut buses = SerialBuses::default();
    for device in spec.modbus {
        tracing::info!(device = %device.name, transport = ?device.transport, unit_id = device.unit_id, groups = device.groups.len(), "polling Modbus device");
        let bus = buses.for_transport(&device.transport);
        tasks.spawn(modbus::run(
            device,
            bus,
            sink.clone(),
            views.modbus.clone(),
            shutdown.clone(),
        ));
    }
    if let Some(mqtt) = spec.mqtt {
        tasks.spawn(crate::sources::mqtt::run(mqtt, sink.clone(), shutdown.clone()));
    }
    let mut saved: HashMap<String, String> = buffer
        .load_state("counter/")
        .context("reading saved counter state")?
        .into_iter()
        .collect();
    saved.extend(
        buffer
            .load_state("equipment/")
            .context("reading saved equipment states")?,
    );
    let models: Vec<EquipmentModel> = spec
        .equipment
        .into_iter()
        .map(|spec| EquipmentModel::new(spec, &saved))
        .collect();
    tasks.spawn(equipment::run(
        equipment::Models::new(models, sink.stats().clone()),
        buffer.clone(),
        observations,
        views.board.clone(),
        shutdown.clone(),
    ));
    Ok(views)
}

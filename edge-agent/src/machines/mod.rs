//! Machine data collection: the configuration of sources and equipment
//! parsed and cross-checked once (`spec.rs`, `cross_check.rs`), and
//! [`start`], which starts every source through `sources::start` and the
//! equipment task that turns their observations into events.

mod cross_check;
mod spec;

pub use spec::{MachineSections, MachineSpec, parse};

use crate::buffer::Buffer;
use crate::equipment::{self, EquipmentBoard, EquipmentModel};
use crate::sources::{self, Envelope, ObservationSink};
use anyhow::Context;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Live views of machine data collection, for metrics and the status page
/// (the sources' own counters are in the sink's `SourceStats`).
#[derive(Clone, Default)]
pub struct MachineViews {
    /// Every equipment's state and counts.
    pub board: Arc<EquipmentBoard>,
}

/// Spawns every source of `spec` (through the one contract,
/// [`sources::start`]) and the equipment task into `tasks`.
pub fn start(
    spec: MachineSpec,
    buffer: &Buffer,
    sink: &ObservationSink,
    observations: mpsc::Receiver<Envelope>,
    tasks: &mut JoinSet<()>,
    shutdown: &CancellationToken,
) -> anyhow::Result<MachineViews> {
    let views = MachineViews::default();
    for source in spec.sources {
        sources::start(source, sink, shutdown, tasks);
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

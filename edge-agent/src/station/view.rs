//! What a station page shows: the station's state joined with the master
//! data and the machines' live states, as JSON for the page's script.

use super::state::{Consumption, Floor};
use crate::downlink::{MasterData, StatusView};
use crate::equipment::EquipmentStatus;
use mes_protocols::downlink::{OrderRecord, ReasonKind};
use mes_protocols::{Code, Timestamp};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most orders listed on a page.
const MAX_ORDERS: usize = 50;

/// A station's state for its page.
#[derive(Debug, Clone, Serialize)]
pub struct StationView {
    /// The station's code.
    pub code: Code,
    /// Its name from the master data (absent before the first downlink).
    pub name: Option<String>,
    /// Whether the page beeps.
    pub sound: bool,
    /// The station's machines with their live state.
    pub equipment: Vec<EquipmentView>,
    /// Workers clocked in here.
    pub workers: Vec<WorkerView>,
    /// The operation running or paused here.
    pub run: Option<RunView>,
    /// Released orders and the operation each would start next, in the
    /// order the site's live plan runs them here (see [`order_list`]).
    pub orders: Vec<OrderView>,
    /// The revision of the live plan the list follows, when there is one.
    pub plan_revision: Option<u64>,
    /// Reason codes by kind (`pause`, `scrap`, `downtime`).
    pub reasons: BTreeMap<&'static str, Vec<ReasonView>>,
    /// The downlink's status.
    pub downlink: StatusView,
}

/// A machine at the station.
#[derive(Debug, Clone, Serialize)]
pub struct EquipmentView {
    /// Code.
    pub code: Code,
    /// Name.
    pub name: String,
    /// Live state (`running`, `down` ...), when machine data is collected.
    pub state: Option<String>,
    /// Since when, unix ms.
    pub since_ms: Option<i64>,
}

/// A clocked-in worker.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerView {
    /// Code.
    pub code: Code,
    /// Name.
    pub name: String,
    /// Worker type.
    pub worker_type: Option<Code>,
    /// Clocked in at.
    pub since: Timestamp,
}

/// The running operation.
#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    /// Order number.
    pub order: Code,
    /// Operation number.
    pub operation: Code,
    /// Operation name.
    pub name: String,
    /// The order's material, quantity and unit.
    pub material: Option<Code>,
    /// Order quantity.
    pub quantity: Option<String>,
    /// Order unit.
    pub unit: Option<Code>,
    /// The machine.
    pub equipment: Code,
    /// Started at.
    pub started_at: Timestamp,
    /// Paused, with the reason.
    pub paused: bool,
    /// The pause reason.
    pub pause_reason: Option<Code>,
    /// Planned inputs with what was consumed.
    pub inputs: Vec<InputView>,
    /// Every consumption.
    pub consumed: Vec<Consumption>,
    /// Good reported.
    pub good: String,
    /// Scrap reported.
    pub scrap: String,
    /// Output lots made.
    pub output_lots: Vec<Code>,
}

/// A planned input of the running operation.
#[derive(Debug, Clone, Serialize)]
pub struct InputView {
    /// Material.
    pub material: Code,
    /// Its name.
    pub name: Option<String>,
    /// Planned for the order, in `unit`.
    pub planned: String,
    /// Routing unit.
    pub unit: Code,
    /// Consumed so far, in the material's base unit.
    pub consumed_base: String,
    /// The base unit.
    pub base_unit: Option<Code>,
    /// Units the quantity may be entered in.
    pub units: Vec<Code>,
}

/// A released order.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    /// Order number.
    pub code: Code,
    /// Material.
    pub material: Code,
    /// Quantity and unit.
    pub quantity: String,
    /// Unit.
    pub unit: Code,
    /// Due date.
    pub due: Option<String>,
    /// The operation a scan would start, if any.
    pub next_operation: Option<Code>,
    /// Where and when the live plan runs the order's next operation: one
    /// planned on this station's machines if any, else the first planned
    /// one elsewhere.
    pub planned: Option<PlannedView>,
}

/// An operation as the live plan runs it.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedView {
    /// Operation number.
    pub operation: Code,
    /// The machine.
    pub equipment: Code,
    /// Planned start.
    pub start: Timestamp,
    /// Planned end.
    pub end: Timestamp,
    /// Whether the machine is one of this station's.
    pub here: bool,
}

/// A reason to choose.
#[derive(Debug, Clone, Serialize)]
pub struct ReasonView {
    /// Code.
    pub code: Code,
    /// Button text.
    pub text: String,
}

/// What a view is built from.
pub struct ViewSources<'a> {
    /// The station.
    pub station: &'a Code,
    /// Beep on answers.
    pub sound: bool,
    /// Master data.
    pub data: &'a MasterData,
    /// Floor state.
    pub floor: &'a Floor,
    /// Machines' live states.
    pub board: &'a BTreeMap<String, EquipmentStatus>,
    /// Downlink status.
    pub downlink: StatusView,
}

/// Builds the page's view of a station.
pub fn build_view(src: &ViewSources<'_>) -> StationView {
    let data = src.data;
    let record = data.station(src.station);
    let state = src.floor.station(src.station);
    let equipment = record
        .map(|r| r.equipment.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|code| {
            let live = src.board.get(code.as_str());
            EquipmentView {
                name: data
                    .equipment(&code)
                    .map_or_else(|| code.to_string(), |e| e.name.clone()),
                state: live
                    .and_then(|l| l.state)
                    .map(|s| format!("{s:?}").to_lowercase()),
                since_ms: live.and_then(|l| l.since_ms),
                code,
            }
        })
        .collect();
    let workers = state
        .workers
        .iter()
        .map(|w| {
            let r = data.worker(&w.worker);
            WorkerView {
                code: w.worker.clone(),
                name: r.map_or_else(|| w.worker.to_string(), |r| r.name.clone()),
                worker_type: r.map(|r| r.worker_type.clone()),
                since: w.since,
            }
        })
        .collect();
    let reasons = [
        ("pause", ReasonKind::Pause),
        ("scrap", ReasonKind::Scrap),
        ("downtime", ReasonKind::Downtime),
    ]
    .into_iter()
    .map(|(name, kind)| {
        let list = data
            .reasons(kind)
            .into_iter()
            .map(|r| ReasonView {
                code: r.code.clone(),
                text: r.text.clone(),
            })
            .collect();
        (name, list)
    })
    .collect();
    StationView {
        code: src.station.clone(),
        name: record.map(|r| r.name.clone()),
        sound: src.sound,
        equipment,
        workers,
        run: state.run.as_ref().map(|run| run_view(data, run)),
        orders: order_list(data, src.floor, record.map_or(&[][..], |r| &r.equipment[..])),
        plan_revision: data.plan().map(|p| p.revision()),
        reasons,
        downlink: src.downlink.clone(),
    }
}

fn run_view(data: &MasterData, run: &super::state::Run) -> RunView {
    let order = data.order(&run.order);
    let op = order.and_then(|o| o.operations.iter().find(|op| op.operation == run.operation));
    let inputs = op
        .map(|op| op.inputs.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|input| {
            let material = data.material(&input.material);
            let planned = order
                .and_then(|o| input.quantity_per_unit.checked_mul(o.quantity))
                .unwrap_or(Decimal::ZERO);
            InputView {
                name: material.map(|m| m.name.clone()),
                planned: planned.normalize().to_string(),
                consumed_base: run.consumed_base(&input.material).normalize().to_string(),
                base_unit: material.map(|m| m.base_unit.clone()),
                units: material
                    .map(|m| {
                        std::iter::once(m.base_unit.clone())
                            .chain(m.alt_units.iter().map(|a| a.unit.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                unit: input.unit,
                material: input.material,
            }
        })
        .collect();
    RunView {
        order: run.order.clone(),
        operation: run.operation.clone(),
        name: op.map_or_else(String::new, |op| op.name.clone()),
        material: order.map(|o| o.material.clone()),
        quantity: order.map(|o| o.quantity.normalize().to_string()),
        unit: order.map(|o| o.unit.clone()),
        equipment: run.equipment.clone(),
        started_at: run.started_at,
        paused: run.paused.is_some(),
        pause_reason: run.paused.as_ref().and_then(|p| p.reason.clone()),
        inputs,
        consumed: run.consumed.clone(),
        good: run.good.normalize().to_string(),
        scrap: run.scrap.normalize().to_string(),
        output_lots: run.output_lots.clone(),
    }
}

/// The station's order list: first the orders with an operation planned
/// on this station's machines, by planned start (the plan's sequence
/// here), then those planned only elsewhere, by start, then the unplanned
/// ones by number; at most [`MAX_ORDERS`].
fn order_list(data: &MasterData, floor: &Floor, machines: &[Code]) -> Vec<OrderView> {
    let mut views: Vec<OrderView> = data
        .orders()
        .map(|o| order_view(data, floor, machines, o))
        .collect();
    views.sort_by(|a, b| {
        let key = |v: &OrderView| match &v.planned {
            Some(p) if p.here => (0, p.start.unix_millis()),
            Some(p) => (1, p.start.unix_millis()),
            None => (2, 0),
        };
        key(a).cmp(&key(b)).then_with(|| a.code.cmp(&b.code))
    });
    views.truncate(MAX_ORDERS);
    views
}

fn order_view(data: &MasterData, floor: &Floor, machines: &[Code], order: &OrderRecord) -> OrderView {
    let open: Vec<&Code> = order
        .operations
        .iter()
        .filter(|op| {
            !floor.is_finished(&order.code, &op.operation)
                && floor.running_at(&order.code, &op.operation).is_none()
        })
        .map(|op| &op.operation)
        .collect();
    let planned: Vec<PlannedView> = data
        .plan()
        .map(|plan| {
            open.iter()
                .filter_map(|op| plan.planned(&order.code, op))
                .map(|p| PlannedView {
                    operation: p.operation.clone(),
                    equipment: p.equipment.clone(),
                    start: p.start,
                    end: p.end,
                    here: machines.contains(&p.equipment),
                })
                .collect()
        })
        .unwrap_or_default();
    let here = planned.iter().filter(|p| p.here).min_by_key(|p| p.start).cloned();
    OrderView {
        code: order.code.clone(),
        material: order.material.clone(),
        quantity: order.quantity.normalize().to_string(),
        unit: order.unit.clone(),
        due: order.due.map(mes_protocols::downlink::format_date),
        next_operation: open.first().map(|op| (*op).clone()),
        planned: here.or_else(|| planned.into_iter().next()),
    }
}

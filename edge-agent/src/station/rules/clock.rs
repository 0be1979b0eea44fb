//! Badge scans: clock the worker in at this station, or out if already
//! clocked in here. A worker clocked in at another station is clocked out
//! there first (two events).

use super::{Accepted, Ctx, Rejection, reject};
use crate::station::state::ClockedWorker;
use mes_protocols::event::WorkerClock;
use mes_protocols::{Code, EventBody};

/// A badge was scanned.
pub(super) fn badge(ctx: &Ctx<'_>, badge: &Code) -> Result<Accepted, Rejection> {
    let Some(worker) = ctx.data.worker_by_badge(badge) else {
        return reject(format!("Unknown badge {badge}"));
    };
    let code = worker.code.clone();
    let mut floor = ctx.floor.clone();
    let mut events = Vec::new();
    if let Some(at) = ctx.floor.clocked_at(&code).cloned() {
        if let Some(state) = floor.stations.get_mut(&at) {
            state.workers.retain(|w| w.worker != code);
        }
        events.push(EventBody::WorkerClockedOut(WorkerClock {
            worker: code.clone(),
            station: at.clone(),
        }));
        if at == *ctx.station {
            return ctx.accept(events, floor, format!("{} clocked out", worker.name));
        }
    }
    floor
        .stations
        .entry(ctx.station.clone())
        .or_default()
        .workers
        .push(ClockedWorker {
            worker: code.clone(),
            since: ctx.now,
        });
    events.push(EventBody::WorkerClockedIn(WorkerClock {
        worker: code,
        station: ctx.station.clone(),
    }));
    let moved = if events.len() > 1 {
        " (moved from another station)"
    } else {
        ""
    };
    ctx.accept(events, floor, format!("{} clocked in{moved}", worker.name))
}

//! One task per Modbus device: connect, poll each group on its schedule,
//! decode, report each group's read as one snapshot (the values that
//! changed, sent even when none did: an answer is what keeps the equipment
//! online, and the rules see a whole read at once); on a broken link
//! announce communication-down, back off and reconnect; announce
//! communication-up on the first good poll. RTU devices on one serial port
//! share its bus (`bus.rs`) but keep their own schedule and link state: one
//! silent device goes down alone.
//!
//! A block that answers with an exception (typically 0x02 Illegal Data
//! Address because one of its tags names a register the device lacks) is
//! split: from then on its tags are read one by one, so the bad tag reports
//! its own error and every other tag keeps flowing.

use super::bus::SerialBus;
use super::config::{DeviceSpec, GroupSpec, TagSpec};
use super::connection::{BlockData, ReadError, describe};
use super::link::Link;
use super::report::{should_report, to_tag_value};
use super::stats::ModbusStats;
use crate::backoff::Backoff;
use crate::sources::{BadInputKind, Observation, ObservationKind, ObservationSink, Origin, TagValue};
use mes_protocols::Timestamp;
use mes_protocols::event::LinkState;
use mes_protocols::modbus::{RawValue, ReadBlock};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What a poller remembers between polls and reconnects.
#[derive(Default)]
struct PollState {
    link: Option<LinkState>,
    last_reported: HashMap<(usize, usize), TagValue>,
    split_blocks: HashSet<(usize, usize)>,
    tag_errors: HashMap<(usize, usize), String>,
}

/// Polls `spec` until `shutdown`; an RTU device reads through `bus`, the
/// bus of its serial port (see [`super::SerialBuses`]).
pub async fn run(
    spec: DeviceSpec,
    bus: Option<Arc<SerialBus>>,
    sink: ObservationSink,
    shutdown: CancellationToken,
) {
    let sources = sink.stats().clone();
    let stats = &sources.modbus;
    let mut backoff = Backoff::new(spec.reconnect_initial, spec.reconnect_max);
    let mut state = PollState::default();
    while !shutdown.is_cancelled() {
        let connected = tokio::select! {
            c = Link::open(&spec, bus.clone()) => c,
            _ = shutdown.cancelled() => break,
        };
        let broken = match connected {
            Ok(mut link) => {
                let why = poll_until_broken(
                    &spec,
                    &mut link,
                    &sink,
                    stats,
                    &mut state,
                    &mut backoff,
                    &shutdown,
                )
                .await;
                link.close().await;
                why
            }
            Err(why) => Some(why),
        };
        let Some(why) = broken else { break };
        announce(&sink, &spec, &mut state, LinkState::Down, Some(why)).await;
        // The equipment forgot the tag values when it went offline: report
        // every tag again after reconnecting, changed or not.
        state.last_reported.clear();
        let delay = backoff.next_delay();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.cancelled() => break,
        }
    }
}

/// Polls every group on schedule until the link breaks (returns why) or
/// shutdown (returns `None`).
async fn poll_until_broken(
    spec: &DeviceSpec,
    link: &mut Link,
    sink: &ObservationSink,
    stats: &ModbusStats,
    state: &mut PollState,
    backoff: &mut Backoff,
    shutdown: &CancellationToken,
) -> Option<String> {
    let start = Instant::now();
    let mut due: Vec<Instant> = spec.groups.iter().map(|_| start).collect();
    loop {
        let (g, at) = due.iter().copied().enumerate().min_by_key(|(_, t)| *t)?;
        tokio::select! {
            _ = tokio::time::sleep_until(at) => {}
            _ = shutdown.cancelled() => return None,
        }
        let now = Instant::now();
        stats.record_lateness(now.saturating_duration_since(at));
        ModbusStats::bump(&stats.polls_total, 1);
        let group = &spec.groups[g];
        if let Err(e) = poll_group(spec, g, group, link, sink, stats, state).await {
            return Some(e.to_string());
        }
        if state.link != Some(LinkState::Up) {
            backoff.reset();
            announce(sink, spec, state, LinkState::Up, None).await;
        }
        let mut next = at + group.interval;
        let after = Instant::now();
        while next <= after {
            ModbusStats::bump(&stats.overruns_total, 1);
            next += group.interval;
        }
        due[g] = next;
    }
}

async fn announce(
    sink: &ObservationSink,
    spec: &DeviceSpec,
    state: &mut PollState,
    link: LinkState,
    detail: Option<String>,
) {
    if state.link == Some(link) {
        return;
    }
    match link {
        LinkState::Down => {
            tracing::warn!(device = %spec.name, reason = detail.as_deref().unwrap_or(""), "Modbus device communication down")
        }
        LinkState::Up => tracing::info!(device = %spec.name, "Modbus device communication up"),
    }
    state.link = Some(link);
    sink.send(Observation {
        device: spec.name.clone(),
        at: now(),
        kind: ObservationKind::Link { state: link, detail },
    })
    .await;
}

async fn poll_group(
    spec: &DeviceSpec,
    g: usize,
    group: &GroupSpec,
    link: &mut Link,
    sink: &ObservationSink,
    stats: &ModbusStats,
    state: &mut PollState,
) -> Result<(), ReadError> {
    let mut data: Vec<Option<BlockData>> = Vec::with_capacity(group.plan.blocks.len());
    for (b, block) in group.plan.blocks.iter().enumerate() {
        if state.split_blocks.contains(&(g, b)) {
            data.push(None);
            continue;
        }
        ModbusStats::bump(&stats.requests_total, 1);
        match link.read(block, spec.timeout).await {
            Ok(d) => data.push(Some(d)),
            Err(e) if e.breaks_link() => return Err(e),
            Err(e) => {
                tracing::info!(device = %spec.name, group = %group.name, error = %e, "block refused; reading its tags one by one from now on");
                state.split_blocks.insert((g, b));
                data.push(None);
            }
        }
    }
    let at = now();
    let mut values = Vec::new();
    for (t, tag) in group.tags.iter().enumerate() {
        let placement = group.plan.placements[t];
        let raw = match data.get(placement.block).and_then(Option::as_ref) {
            Some(d) => decode_from_block(tag, d, placement),
            None => read_alone(spec, tag, link, stats).await?,
        };
        match raw.and_then(|r| to_tag_value(tag, r).map_err(|why| format!("{why} at {}", tag.point.at()))) {
            Ok(value) => {
                ModbusStats::bump(&stats.tags_read_total, 1);
                if let Some(previous) = state.tag_errors.remove(&(g, t)) {
                    tracing::info!(device = %spec.name, tag = %tag.name, previous, "tag reads again");
                }
                if should_report(tag, state.last_reported.get(&(g, t)), &value) {
                    state.last_reported.insert((g, t), value.clone());
                    values.push((tag.name.clone(), value));
                }
            }
            Err(why) => tag_failed(spec, tag, sink, state, (g, t), why),
        }
    }
    // One snapshot per poll, even with nothing changed: the equipment
    // evaluates its rules once over the whole read, and an answering device
    // stays online however long its registers stand still.
    let kind = ObservationKind::Snapshot {
        values,
        origin: Origin::Poll {
            group: group.name.to_string(),
        },
        received: at,
    };
    sink.send(Observation {
        device: spec.name.clone(),
        at,
        kind,
    })
    .await;
    Ok(())
}

fn decode_from_block(
    tag: &TagSpec,
    data: &BlockData,
    placement: mes_protocols::modbus::Placement,
) -> Result<RawValue, String> {
    let decoded = match data {
        BlockData::Words(w) => placement.slice(w).map(|s| tag.point.decode_registers(s)),
        BlockData::Bits(b) => placement.slice(b).map(|s| tag.point.decode_bits(s)),
    };
    match decoded {
        Some(r) => r.map_err(|e| format!("{e} at {}", tag.point.at())),
        None => Err(format!(
            "the device answered fewer values than requested for {}",
            tag.point.at()
        )),
    }
}

async fn read_alone(
    spec: &DeviceSpec,
    tag: &TagSpec,
    link: &mut Link,
    stats: &ModbusStats,
) -> Result<Result<RawValue, String>, ReadError> {
    let span = tag.point.span();
    let block = ReadBlock {
        area: span.area,
        start: span.start,
        count: span.count,
    };
    ModbusStats::bump(&stats.requests_total, 1);
    match link.read(&block, spec.timeout).await {
        Ok(BlockData::Words(w)) => Ok(tag
            .point
            .decode_registers(&w)
            .map_err(|e| format!("{e} at {}", describe(&block)))),
        Ok(BlockData::Bits(b)) => Ok(tag
            .point
            .decode_bits(&b)
            .map_err(|e| format!("{e} at {}", describe(&block)))),
        Err(e) if e.breaks_link() => Err(e),
        Err(e) => Ok(Err(e.to_string())),
    }
}

fn tag_failed(
    spec: &DeviceSpec,
    tag: &TagSpec,
    sink: &ObservationSink,
    state: &mut PollState,
    key: (usize, usize),
    why: String,
) {
    let message = format!("device {}, tag {}: {why}", spec.name, tag.name);
    if state.tag_errors.get(&key) == Some(&message) {
        sink.count_bad(spec.name.as_str(), BadInputKind::Register);
    } else {
        sink.bad_input(
            spec.name.as_str(),
            BadInputKind::Register,
            &tag.point.at().to_string(),
            &message,
        );
        state.tag_errors.insert(key, message);
    }
}

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

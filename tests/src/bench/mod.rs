//! The phases of the backbone benchmark (`src/bin/bench_backbone.rs`), kept
//! out of the `mes_tests` library because only the benchmark uses them:
//! buffer appends against the raw SQLite ceiling (`appends`), the sync
//! pipeline taken apart stage by stage in one process (`stages`), the real
//! hub and agent processes syncing a prefilled buffer (`sync`), and reading
//! memory and CPU of those processes from `/proc` (`procfs`).

pub mod appends;
pub mod procfs;
pub mod stages;
pub mod sync;

use mes_protocols::event::PartsCounted;
use mes_protocols::{Code, EventBody, EventDraft, Source, Timestamp};
use std::time::Duration;

/// A `parts_counted` event from one of seven presses: the most frequent
/// machine event, so its record size is the one that matters.
pub fn draft(n: u64) -> EventDraft {
    let equipment = Code::parse(&format!("press-{}", n % 7)).expect("press-N is a valid code");
    EventDraft::new(
        Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        Source::Device(equipment.clone()),
        EventBody::PartsCounted(PartsCounted {
            equipment,
            good: 1,
            scrap: 0,
            good_total: n + 1,
            scrap_total: 0,
        }),
    )
}

/// Events per second; 0 when no time passed.
pub fn rate(events: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { events as f64 / secs } else { 0.0 }
}

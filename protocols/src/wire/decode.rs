//! Reading a batch on the hub side: parse, then check everything that can be
//! checked without knowing what the hub already stored (version, ranges,
//! contiguity, event bodies). The hub adds the checks against its own state.
//!
//! Events of a kind this version does not know are kept (raw) and marked
//! unknown rather than rejected, so an older hub never loses a newer agent's
//! data.

use super::shape::ShapeError;
use super::{BatchHeader, MAX_EVENTS_PER_BATCH, SCHEMA_VERSION};
use crate::event::{EventBody, EventHeader, EventKind, Source};
use crate::field_error::FieldError;
use crate::ids::{EventId, Seq};
use crate::timestamp::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashSet;

/// A machine-readable class of batch rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchErrorCode {
    /// Not JSON, or JSON of the wrong shape.
    MalformedJson,
    /// `schema_version` is missing or not one this side speaks.
    UnsupportedSchemaVersion,
    /// More events than [`MAX_EVENTS_PER_BATCH`].
    TooManyEvents,
    /// `first_seq`/`last_seq` or an event's `seq` is out of range.
    InvalidRange,
    /// Two events (or an event and a dropped range) claim the same sequence
    /// number, or the events are not in ascending order.
    SequenceOverlap,
    /// Some sequence number inside the batch's range is neither an event nor
    /// a dropped range.
    SequenceGap,
    /// Two events of the batch share an id.
    DuplicateEventId,
    /// An event of a known kind is invalid, or an event (of any kind) is
    /// larger or nested deeper than [`super::MAX_EVENT_BYTES`] /
    /// [`super::MAX_EVENT_DEPTH`].
    InvalidEvent,
    /// An object of the batch (its envelope or an event, of any kind)
    /// names a key twice.
    DuplicateKey,
}

impl BatchErrorCode {
    /// The code's name in the JSON error body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::UnsupportedSchemaVersion => "unsupported_schema_version",
            Self::TooManyEvents => "too_many_events",
            Self::InvalidRange => "invalid_range",
            Self::SequenceOverlap => "sequence_overlap",
            Self::SequenceGap => "sequence_gap",
            Self::DuplicateEventId => "duplicate_event_id",
            Self::InvalidEvent => "invalid_event",
            Self::DuplicateKey => "duplicate_key",
        }
    }
}

/// Why a batch was rejected as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", code.as_str())]
pub struct BatchError {
    /// The class of problem.
    pub code: BatchErrorCode,
    /// Which field, and why.
    pub detail: FieldError,
}

impl BatchError {
    fn new(code: BatchErrorCode, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            code,
            detail: FieldError::new(field, reason),
        }
    }
}

/// One event of a decoded batch.
#[derive(Debug, Clone)]
pub struct DecodedEvent<'a> {
    /// Its header.
    pub header: EventHeader,
    /// Its kind's name as sent.
    pub kind_name: &'a str,
    /// The typed body, or `None` for a kind this version does not know.
    pub body: Option<EventBody>,
    /// The event's full JSON as sent, to be stored unchanged.
    pub raw: &'a str,
}

/// A batch that passed every stateless check.
#[derive(Debug, Clone)]
pub struct DecodedBatch<'a> {
    /// Agent, incarnation, range, buffer report.
    pub header: BatchHeader,
    /// The events, in ascending sequence order.
    pub events: Vec<DecodedEvent<'a>>,
}

#[derive(Deserialize)]
struct VersionProbe {
    schema_version: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatch<'a> {
    #[serde(flatten)]
    header: BatchHeader,
    #[serde(borrow)]
    events: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent<'a> {
    seq: Seq,
    id: EventId,
    occurred_at: Timestamp,
    source: Source,
    kind: &'a str,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// The largest sequence number: what a signed 64-bit integer holds.
pub const MAX_SEQ: u64 = i64::MAX as u64;

/// Parses and checks a batch body (already decompressed).
pub fn decode_batch(body: &[u8]) -> Result<DecodedBatch<'_>, BatchError> {
    // A body that does not parse may name a key twice (serde refuses a
    // struct field named twice in words of its own): say that, by its path.
    let named_twice = |e: BatchError| match super::shape::duplicate_key(body, &[]) {
        Some(detail) => BatchError {
            code: BatchErrorCode::DuplicateKey,
            detail,
        },
        None => e,
    };
    check_version(body).map_err(named_twice)?;
    let raw: RawBatch<'_> = parse_json(body, "").map_err(named_twice)?;
    // The envelope around the events (each event is scanned on its own
    // below, so the scan skips them).
    let events: Vec<std::ops::Range<usize>> = raw
        .events
        .iter()
        .map(|e| {
            let start = e.get().as_ptr() as usize - body.as_ptr() as usize;
            start..start + e.get().len()
        })
        .collect();
    if let Some(detail) = super::shape::duplicate_key(body, &events) {
        return Err(BatchError {
            code: BatchErrorCode::DuplicateKey,
            detail,
        });
    }
    let header = raw.header;
    if raw.events.len() > MAX_EVENTS_PER_BATCH {
        return Err(BatchError::new(
            BatchErrorCode::TooManyEvents,
            "events",
            format!(
                "{} events, at most {MAX_EVENTS_PER_BATCH} per batch",
                raw.events.len()
            ),
        ));
    }
    check_range(&header)?;
    let mut events = Vec::with_capacity(raw.events.len());
    let mut ids = HashSet::with_capacity(raw.events.len());
    let mut previous: Option<Seq> = None;
    for (i, value) in raw.events.iter().enumerate() {
        let event = decode_event(value.get(), i)?;
        let seq = event.header.seq;
        if seq < header.first_seq || seq > header.last_seq {
            return Err(BatchError::new(
                BatchErrorCode::InvalidRange,
                format!("events[{i}].seq"),
                format!(
                    "{seq} is outside first_seq..=last_seq ({}..={})",
                    header.first_seq, header.last_seq
                ),
            ));
        }
        if previous.is_some_and(|p| seq <= p) {
            return Err(BatchError::new(
                BatchErrorCode::SequenceOverlap,
                format!("events[{i}].seq"),
                format!("{seq} does not follow the previous event's sequence number in ascending order"),
            ));
        }
        if !ids.insert(event.header.id) {
            return Err(BatchError::new(
                BatchErrorCode::DuplicateEventId,
                format!("events[{i}].id"),
                format!("event id {} appears twice in the batch", event.header.id),
            ));
        }
        previous = Some(seq);
        events.push(event);
    }
    check_coverage(&header, &events)?;
    Ok(DecodedBatch { header, events })
}

fn parse_json<'a, T: Deserialize<'a>>(text: &'a [u8], prefix: &str) -> Result<T, BatchError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let detail = FieldError::from_json(path, e.inner());
        let detail = if prefix.is_empty() {
            detail
        } else {
            detail.within(prefix)
        };
        BatchError {
            code: BatchErrorCode::MalformedJson,
            detail,
        }
    })?;
    de.end().map_err(|e| BatchError {
        code: BatchErrorCode::MalformedJson,
        detail: FieldError::from_json(prefix.to_string(), &e),
    })?;
    Ok(value)
}

fn check_version(body: &[u8]) -> Result<(), BatchError> {
    let probe: VersionProbe = parse_json(body, "")?;
    match probe.schema_version {
        Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => Ok(()),
        Some(v) => Err(BatchError::new(
            BatchErrorCode::UnsupportedSchemaVersion,
            "schema_version",
            format!("version {v} is not supported; this hub speaks version {SCHEMA_VERSION}"),
        )),
        None => Err(BatchError::new(
            BatchErrorCode::UnsupportedSchemaVersion,
            "schema_version",
            "is missing",
        )),
    }
}

fn check_range(header: &BatchHeader) -> Result<(), BatchError> {
    if header.first_seq.0 == 0 {
        return Err(BatchError::new(
            BatchErrorCode::InvalidRange,
            "first_seq",
            "sequence numbers start at 1",
        ));
    }
    if header.last_seq.0 > MAX_SEQ {
        // Stores keep sequence numbers as signed 64-bit integers, and the
        // checks below count one past the last number.
        return Err(BatchError::new(
            BatchErrorCode::InvalidRange,
            "last_seq",
            format!(
                "{} is past the largest sequence number, {MAX_SEQ}",
                header.last_seq
            ),
        ));
    }
    if header.last_seq < header.first_seq {
        return Err(BatchError::new(
            BatchErrorCode::InvalidRange,
            "last_seq",
            format!("{} is before first_seq {}", header.last_seq, header.first_seq),
        ));
    }
    let mut next = header.first_seq;
    for (i, r) in header.dropped.iter().enumerate() {
        if r.last < r.first || r.first < header.first_seq || r.last > header.last_seq {
            return Err(BatchError::new(
                BatchErrorCode::InvalidRange,
                format!("dropped[{i}]"),
                format!(
                    "{}..={} is not a range inside first_seq..=last_seq",
                    r.first, r.last
                ),
            ));
        }
        if r.first < next {
            return Err(BatchError::new(
                BatchErrorCode::SequenceOverlap,
                format!("dropped[{i}]"),
                "dropped ranges must be ascending and must not overlap",
            ));
        }
        next = r.last.next();
    }
    Ok(())
}

/// Every number of `first_seq..=last_seq` must be exactly one event or lie in
/// exactly one dropped range. Both lists are ascending here, so a merge walk
/// finds the first number that is missing or claimed twice.
fn check_coverage(header: &BatchHeader, events: &[DecodedEvent<'_>]) -> Result<(), BatchError> {
    let mut expected = header.first_seq;
    let mut ev = events.iter().enumerate().peekable();
    let mut dr = header.dropped.iter().enumerate().peekable();
    loop {
        let next_event = ev.peek().map(|(i, e)| (*i, e.header.seq));
        let next_drop = dr.peek().map(|(i, r)| (*i, **r));
        match (next_event, next_drop) {
            (Some((i, seq)), drop) if drop.is_none_or(|(_, r)| seq < r.first) => {
                if seq != expected {
                    return Err(gap_or_overlap(seq, expected, format!("events[{i}].seq")));
                }
                expected = seq.next();
                ev.next();
            }
            (_, Some((i, r))) => {
                if r.first != expected {
                    return Err(gap_or_overlap(r.first, expected, format!("dropped[{i}]")));
                }
                expected = r.last.next();
                dr.next();
            }
            (None, None) => break,
            (Some(_), None) => unreachable!("the first arm takes every event when no drop is left"),
        }
    }
    if expected != header.last_seq.next() {
        return Err(BatchError::new(
            BatchErrorCode::SequenceGap,
            "last_seq",
            format!(
                "sequence numbers {}..={} are neither events nor dropped",
                expected, header.last_seq
            ),
        ));
    }
    Ok(())
}

fn gap_or_overlap(found: Seq, expected: Seq, field: String) -> BatchError {
    if found > expected {
        BatchError::new(
            BatchErrorCode::SequenceGap,
            field,
            format!("expected sequence number {expected}, found {found}: the numbers between are missing"),
        )
    } else {
        BatchError::new(
            BatchErrorCode::SequenceOverlap,
            field,
            format!("sequence number {found} is claimed twice"),
        )
    }
}

fn decode_event(text: &str, index: usize) -> Result<DecodedEvent<'_>, BatchError> {
    let prefix = format!("events[{index}]");
    super::check_event_shape(text).map_err(|e| match e {
        ShapeError::Limits(detail) => BatchError {
            code: BatchErrorCode::InvalidEvent,
            detail: detail.within(&prefix),
        },
        ShapeError::DuplicateKey(detail) => BatchError {
            code: BatchErrorCode::DuplicateKey,
            detail: detail.within(&prefix),
        },
    })?;
    let raw: RawEvent<'_> = parse_json(text.as_bytes(), &prefix)?;
    let body = match EventKind::parse(raw.kind) {
        Some(kind) => Some(EventBody::decode(kind, raw.data.get()).map_err(|e| BatchError {
            code: BatchErrorCode::InvalidEvent,
            detail: e.within(&format!("{prefix}.data")),
        })?),
        None => None,
    };
    Ok(DecodedEvent {
        header: EventHeader {
            seq: raw.seq,
            id: raw.id,
            occurred_at: raw.occurred_at,
            source: raw.source,
        },
        kind_name: raw.kind,
        body,
        raw: text,
    })
}

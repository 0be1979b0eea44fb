//! `POST /local/v1/events`: hands events to the buffer and answers only after
//! they are committed, with their sequence numbers.
//!
//! Body: `{ "events": [ { "id", "occurred_at"?, "source", "kind", "data" } ] }`.
//! `occurred_at` defaults to now. The request is all or nothing: one invalid
//! event rejects it with the event's field named.
//!
//! Exactly once needs the producer's id: the agent may die after committing a
//! request and before answering it, and the producer then sends it again.
//! With the same ids the hub stores each event once (it keeps event ids
//! unique); with ids made up here the retry would be a second copy. So an
//! event without `id` is refused (400, field `events[i].id`) unless
//! `http.intake_allow_missing_id` is set, which gives it a fresh UUID v7 and
//! makes the intake at-least-once.

use super::{LocalState, error};
use crate::buffer::BufferError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use mes_protocols::{EventBody, EventDraft, EventId, EventKind, FieldError, Source, Timestamp};
use serde::Deserialize;
use serde_json::value::RawValue;

/// Most events one local request may carry.
const MAX_EVENTS: usize = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request<'a> {
    #[serde(borrow)]
    events: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalEvent<'a> {
    id: Option<EventId>,
    occurred_at: Option<Timestamp>,
    source: Source,
    kind: &'a str,
    #[serde(borrow)]
    data: &'a RawValue,
}

pub(super) async fn post_events(State(state): State<LocalState>, body: Bytes) -> Response {
    let drafts = match parse(&body, state.intake_allow_missing_id) {
        Ok(d) => d,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_event",
                e.reason.clone(),
                Some(e.field),
            );
        }
    };
    match state.buffer.append(&drafts).await {
        Ok(receipt) => {
            let committed: Vec<_> = receipt
                .committed
                .iter()
                .map(|(id, seq)| serde_json::json!({ "id": id, "seq": seq }))
                .collect();
            Json(serde_json::json!({ "committed": committed, "refused": receipt.refused })).into_response()
        }
        Err(BufferError::InvalidEvent { index, error: e }) => error(
            StatusCode::BAD_REQUEST,
            "invalid_event",
            e.reason.clone(),
            Some(e.within(&format!("events[{index}]")).field),
        ),
        Err(e) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "buffer_unavailable",
            e.to_string(),
            None,
        ),
    }
}

/// Parses a request; events without `id` are refused unless `allow_missing_id`.
fn parse(body: &[u8], allow_missing_id: bool) -> Result<Vec<EventDraft>, FieldError> {
    let request: Request<'_> = json(body)?;
    if request.events.len() > MAX_EVENTS {
        return Err(FieldError::new(
            "events",
            format!("at most {MAX_EVENTS} events per request"),
        ));
    }
    let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    request
        .events
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let prefix = format!("events[{i}]");
            let event: LocalEvent<'_> = json(raw.get().as_bytes()).map_err(|e| e.within(&prefix))?;
            let kind = EventKind::parse(event.kind).ok_or_else(|| {
                FieldError::new(
                    format!("{prefix}.kind"),
                    format!("unknown event kind `{}`", event.kind),
                )
            })?;
            // Only the agent knows when it was not running; a producer's
            // outage would blank out real machine data on the timeline.
            if kind == EventKind::AgentOutage {
                return Err(FieldError::new(
                    format!("{prefix}.kind"),
                    "`agent_outage` is recorded by the agent itself, never taken from a producer",
                ));
            }
            let body =
                EventBody::decode(kind, event.data.get()).map_err(|e| e.within(&format!("{prefix}.data")))?;
            let id = match (event.id, allow_missing_id) {
                (Some(id), _) => id,
                (None, true) => EventId::new_v7(),
                (None, false) => {
                    return Err(FieldError::new(
                        format!("{prefix}.id"),
                        "an event id (UUID) is required: give each event your own id and send the same id when you retry, \
                         so it is stored once (http.intake_allow_missing_id = true accepts events without one, at-least-once)",
                    ));
                }
            };
            Ok(EventDraft {
                id,
                occurred_at: event.occurred_at.unwrap_or(now),
                source: event.source,
                body,
            })
        })
        .collect()
}

fn json<'a, T: Deserialize<'a>>(text: &'a [u8]) -> Result<T, FieldError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        FieldError::from_json(path, e.inner())
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn names_the_bad_field() {
        let body = br#"{"events":[{"id":"0190c2a4-0000-7000-8000-000000000001","source":{"type":"device","id":"p1"},"kind":"parts_counted",
            "data":{"equipment":"p1","good":1,"scrap":0,"good_total":0,"scrap_total":0}}]}"#;
        let err = parse(body, false).expect_err("total below delta");
        assert_eq!(err.field, "events[0].data.good_total");
    }

    #[test]
    fn unknown_kinds_are_refused_locally() {
        let body = br#"{"events":[{"source":{"type":"device","id":"p1"},"kind":"teleport","data":{}}]}"#;
        assert_eq!(parse(body, true).expect_err("unknown").field, "events[0].kind");
        let outage = br#"{"events":[{"source":{"type":"subsystem","id":"x"},"kind":"agent_outage",
            "data":{"from":"2026-01-05T10:00:00Z","until":"2026-01-05T10:05:00Z","equipment":["p1"]}}]}"#;
        let err = parse(outage, true).expect_err("the agent's own kind");
        assert_eq!(err.field, "events[0].kind");
        assert!(err.reason.contains("recorded by the agent itself"), "{err:?}");
    }

    const WITHOUT_ID: &[u8] = br#"{"events":[
        {"id":"0190c2a4-0000-7000-8000-000000000001","source":{"type":"device","id":"p1"},"kind":"equipment_state_changed","data":{"equipment":"p1","state":"running"}},
        {"source":{"type":"device","id":"p1"},"kind":"equipment_state_changed","data":{"equipment":"p1","state":"idle"}}]}"#;

    #[test]
    fn an_event_without_id_is_refused_by_default() {
        let err = parse(WITHOUT_ID, false).expect_err("no id");
        assert_eq!(err.field, "events[1].id");
        assert!(err.reason.contains("intake_allow_missing_id"), "{}", err.reason);
    }

    #[test]
    fn the_setting_gives_an_event_without_id_a_fresh_one() {
        let drafts = parse(WITHOUT_ID, true).expect("allowed");
        assert_eq!(drafts.len(), 2);
        assert_ne!(drafts[0].id, drafts[1].id);
    }
}

//! `POST /local/v1/events`: hands events to the buffer and answers only after
//! they are committed, with their sequence numbers.
//!
//! Body: `{ "events": [ { "id"?, "occurred_at"?, "source", "kind", "data" } ] }`.
//! `id` and `occurred_at` default to a fresh UUID v7 and now. The request is
//! all or nothing: one invalid event rejects it with the event's field named.

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
    let drafts = match parse(&body) {
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

fn parse(body: &[u8]) -> Result<Vec<EventDraft>, FieldError> {
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
            let body =
                EventBody::decode(kind, event.data.get()).map_err(|e| e.within(&format!("{prefix}.data")))?;
            Ok(EventDraft {
                id: event.id.unwrap_or_else(EventId::new_v7),
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
        let body = br#"{"events":[{"source":{"type":"device","id":"p1"},"kind":"parts_counted",
            "data":{"equipment":"p1","good":1,"scrap":0,"good_total":0,"scrap_total":0}}]}"#;
        let err = parse(body).expect_err("total below delta");
        assert_eq!(err.field, "events[0].data.good_total");
    }

    #[test]
    fn unknown_kinds_are_refused_locally() {
        let body = br#"{"events":[{"source":{"type":"device","id":"p1"},"kind":"teleport","data":{}}]}"#;
        assert_eq!(parse(body).expect_err("unknown").field, "events[0].kind");
    }
}

//! Writing a batch on the agent side.
//!
//! The agent's buffer stores each event as its wire JSON object *without*
//! `seq` (the sequence number is only known at commit). Encoding splices
//! `"seq":N` in front of each stored object instead of parsing and
//! re-serializing it, which keeps the uplink cheap on a small gateway.

use super::BatchHeader;
use crate::ids::Seq;

/// Encodes a batch: `header` plus `events`, each a sequence number and the
/// stored JSON object of the event without its `seq`.
///
/// Every record must be a JSON object (it starts with `{`), which the buffer
/// guarantees because it stores what [`EventDraft::to_record_json`]
/// produced.
///
/// [`EventDraft::to_record_json`]: crate::EventDraft::to_record_json
pub fn encode_batch<'a>(header: &BatchHeader, events: impl IntoIterator<Item = (Seq, &'a str)>) -> Vec<u8> {
    let head = serde_json::to_string(header).expect("a batch header always serializes");
    let mut out = String::with_capacity(head.len() + 64 * 1024);
    out.push_str(&head[..head.len() - 1]);
    out.push_str(",\"events\":[");
    for (i, (seq, record)) in events.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let body = record
            .strip_prefix('{')
            .expect("buffer records are JSON objects (EventDraft::to_record_json)");
        out.push_str("{\"seq\":");
        out.push_str(&seq.0.to_string());
        if body.trim_start().starts_with('}') {
            out.push_str(body);
        } else {
            out.push(',');
            out.push_str(body);
        }
    }
    out.push_str("]}");
    out.into_bytes()
}

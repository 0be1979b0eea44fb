//! `/healthz` (JSON) and `/` (a small status page for whoever opens the
//! gateway's address in a browser).
//!
//! Health is `ok` (200) while the buffer commits, `degraded` (503, with the
//! commit error) while its commits fail: then producers are refused and the
//! uplink cannot record acknowledgements, which is what a readiness probe or
//! a watchdog must see. A failing hub is not degraded: buffering through an
//! outage is the agent's job; `sync.last_error` shows it.

use super::{LocalState, buffer_summary};
use crate::buffer::BufferStats;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use std::sync::atomic::Ordering;

pub(super) async fn health(State(state): State<LocalState>) -> Response {
    let u = &state.uplink;
    let commit_error = state.buffer.stats().commit_error();
    let (status, label) = match commit_error {
        Some(_) => (StatusCode::SERVICE_UNAVAILABLE, "degraded"),
        None => (StatusCode::OK, "ok"),
    };
    let error = commit_error.map(|message| {
        serde_json::json!({
            "code": "buffer_commit_failed",
            "message": format!("the buffer cannot commit: {message}"),
        })
    });
    let body = serde_json::json!({
        "status": label,
        "error": error,
        "buffer": buffer_summary(state.buffer.stats()),
        "sync": {
            "enabled": state.sync_enabled,
            "last_success_ms": u.last_success_ms.load(Ordering::Relaxed),
            "last_error": u.last_error(),
            "clock_offset_ms": u.clock_offset_ms.load(Ordering::Relaxed),
        },
        "equipment": state.machines.board.snapshot(),
    });
    (status, Json(body)).into_response()
}

pub(super) async fn page(State(state): State<LocalState>) -> Html<String> {
    let s = state.buffer.stats();
    let error = state.uplink.last_error().unwrap_or_else(|| "none".into());
    let commit = s
        .commit_error()
        .map_or("ok".to_string(), |e| format!("failing: {e}"));
    let equipment: String = state
        .machines
        .board
        .snapshot()
        .iter()
        .map(|(name, st)| {
            let label = st
                .state
                .map_or("unknown".to_string(), |s| format!("{s:?}").to_lowercase());
            format!(
                "<tr><td>{}</td><td class={label}>{label}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(name),
                html_escape(st.reason.as_deref().unwrap_or("")),
                st.good_total,
                st.scrap_total
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html><head><meta charset=utf-8><title>edge-agent</title>\
         <meta http-equiv=refresh content=5></head><body style=\"font-family:sans-serif\">\
         <h1>edge-agent</h1><table>\
         <tr><td>buffer commits</td><td>{}</td></tr>\
         <tr><td>buffered events</td><td>{}</td></tr>\
         <tr><td>last sequence / acknowledged</td><td>{} / {}</td></tr>\
         <tr><td>dropped / refused</td><td>{} / {}</td></tr>\
         <tr><td>sync</td><td>{}</td></tr><tr><td>last sync error</td><td>{}</td></tr>\
         </table><h2>equipment</h2><table><tr><th>equipment</th><th>state</th><th>reason</th><th>good</th><th>scrap</th></tr>{}</table>\
         <p><a href=/metrics>metrics</a> · <a href=/healthz>health</a></p></body></html>",
        html_escape(&commit),
        BufferStats::get(&s.depth),
        BufferStats::get(&s.last_seq),
        BufferStats::get(&s.acked_seq),
        BufferStats::get(&s.dropped_total),
        BufferStats::get(&s.refused_total),
        if state.sync_enabled {
            "on"
        } else {
            "off (no agent id / token)"
        },
        html_escape(&error),
        equipment,
    ))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

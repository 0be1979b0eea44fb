//! The station pages on the agent's HTTP server: `/stations` (the list),
//! `/stations/{code}` (one page per station, static HTML/CSS/JS embedded in
//! the binary) and its JSON API under `/stations/{code}/api/`:
//! `GET state` and `POST steps` (a [`Step`] as JSON; the answer and the new
//! state come back, so the page never reloads).

use super::service::{StationError, StationHandle};
use super::step::Step;
use crate::local_api::error;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};

const PAGE: &str = include_str!("assets/station.html");
const SCRIPT: &str = include_str!("assets/station.js");
const STYLE: &str = include_str!("assets/station.css");

/// The station routes, to merge into the agent's router.
pub fn router(handle: StationHandle) -> Router {
    Router::new()
        .route("/stations", get(list))
        .route("/stations/{code}", get(page))
        .route("/stations/{code}/api/state", get(state))
        .route("/stations/{code}/api/steps", post(step))
        .route("/station-assets/station.js", get(script))
        .route("/station-assets/station.css", get(style))
        .with_state(handle)
}

async fn list(State(handle): State<StationHandle>) -> Response {
    let mut body = String::from(
        "<!doctype html><html><head><meta charset=utf-8><meta name=viewport content='width=device-width'>\
         <title>Stations</title><link rel=stylesheet href=/station-assets/station.css></head>\
         <body class=list><h1>Stations</h1><ul>",
    );
    for spec in handle.stations() {
        let code = escape(spec.code.as_str());
        body.push_str(&format!("<li><a href='/stations/{code}'>{code}</a></li>"));
    }
    body.push_str("</ul></body></html>");
    Html(body).into_response()
}

async fn page(State(handle): State<StationHandle>, Path(code): Path<String>) -> Response {
    match handle.spec(&code) {
        Ok(_) => Html(PAGE).into_response(),
        Err(e) => failure(e),
    }
}

async fn state(State(handle): State<StationHandle>, Path(code): Path<String>) -> Response {
    match handle.view(&code).await {
        Ok(view) => Json(view).into_response(),
        Err(e) => failure(e),
    }
}

async fn step(State(handle): State<StationHandle>, Path(code): Path<String>, body: Bytes) -> Response {
    if let Err(e) = handle.spec(&code) {
        return failure(e);
    }
    let mut de = serde_json::Deserializer::from_slice(&body);
    let step: Step = match serde_path_to_error::deserialize(&mut de) {
        Ok(step) => step,
        Err(e) => {
            let field = e.path().to_string();
            let field = if field == "." { None } else { Some(field) };
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_step",
                e.inner().to_string(),
                field,
            );
        }
    };
    match handle.step(&code, step).await {
        Ok(reply) => Json(reply).into_response(),
        Err(e) => failure(e),
    }
}

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

fn failure(e: StationError) -> Response {
    match e {
        StationError::UnknownStation(_) => error(
            StatusCode::NOT_FOUND,
            "unknown_station",
            e.to_string(),
            Some("station".into()),
        ),
        StationError::Closed => error(StatusCode::SERVICE_UNAVAILABLE, "stopping", e.to_string(), None),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
        .replace('"', "&quot;")
}

//! The planners' web console: server-rendered pages from the hub binary
//! (askama templates in `templates/`, compiled in; one stylesheet and one
//! hand-written script in `assets/`, embedded), in English and Simplified
//! Chinese (`i18n/`).
//!
//! - Every page asks its right of the viewer's session
//!   (`viewer.rs`: "may this viewer do this action on this module at this
//!   site"); the navigation shows only what the viewer may open
//!   (`chrome.rs`).
//! - Pages only read. Every change a page offers is sent by its script to
//!   the REST API with the session's CSRF token, so the API's checks,
//!   rights and audit log are the only way anything changes.
//! - The board is live: server-sent events fed by ingest
//!   (`crate::live`), never a poll of the database per open page.
//! - Every response carries a Content-Security-Policy without inline
//!   script or style (`render.rs`); templates escape every value.

mod assets;
mod chrome;
pub mod i18n;
mod pages;
mod render;
mod viewer;

use crate::api::HubState;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The console's routes, with their security headers.
pub fn router(state: HubState) -> Router {
    use pages::*;
    let console = Router::new()
        .route("/", get(login::front_door))
        .route("/login", get(login::show))
        .route("/assets/{name}", get(assets::serve))
        .route("/board", get(board::first))
        .route("/sites/{site}/board", get(board::show))
        .route("/sites/{site}/board/events", get(board::events))
        .route("/plan", get(plan::first))
        .route("/sites/{site}/plan", get(plan::show))
        .route("/sites/{site}/plan/drafts/{draft}", get(plan_steer::draft))
        .route("/sites/{site}/plan/dispatch", get(plan_dispatch::show))
        .route("/oee", get(oee::site))
        .route("/oee/equipment/{code}", get(oee::equipment))
        .route("/orders", get(orders::list))
        .route("/orders/{code}", get(order::show))
        .route("/stock", get(stock::balances))
        .route("/stock/materials/{code}", get(stock::material))
        .route("/stock/lots/{lot}", get(stock::lot))
        .route("/shortages", get(reports::shortages))
        .route("/unapproved-stock", get(approvals::unapproved_stock))
        .route("/costs", get(reports::costs))
        .route("/sales", get(reports::sales))
        .route("/master", get(master::index))
        .route("/master/{kind}", get(master::list))
        .route("/master/{kind}/{code}", get(master::record))
        .route("/agents", get(people::agents))
        .route("/users", get(people::users))
        .route("/audit", get(people::audit))
        .fallback(not_found);
    Router::new()
        .route("/", get(login::front_door))
        .route("/console/", get(login::front_door))
        .route("/favicon.ico", get(favicon))
        .nest("/console", console)
        .layer(axum::middleware::map_response(render::security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .with_state(state)
}

async fn not_found(headers: axum::http::HeaderMap) -> render::PageError {
    render::PageError::NotFound(viewer::anonymous_lang(&headers))
}

async fn favicon() -> Response {
    axum::response::Redirect::permanent("/console/assets/favicon.svg").into_response()
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    render::PageError::Internal(i18n::Lang::En, "a console page panicked".into()).into_response()
}

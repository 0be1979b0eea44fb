//! `GET /console/unapproved-stock`: lots on hand whose maker is not (or no
//! longer) approved for their material today, with where they are, and
//! those whose conditional approval ends within 30 days (the API's
//! `/api/v1/reports/unapproved-stock`, for the viewer's sites).

use super::super::chrome::Chrome;
use super::super::render::{PageError, page};
use super::super::viewer::Viewer;
use crate::api::HubState;
use crate::reports::UnapprovedStockReport;
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::State;
use axum::response::Response;

#[derive(Template)]
#[template(path = "unapproved_stock.html")]
struct UnapprovedPage {
    chrome: Chrome,
    report: UnapprovedStockReport,
}

/// `GET /console/unapproved-stock`.
pub async fn unapproved_stock(State(state): State<HubState>, viewer: Viewer) -> Result<Response, PageError> {
    let scope = viewer.require(Module::Stock, Action::View)?;
    let today = mes_protocols::Timestamp::from_unix_millis(crate::store::now_ms())
        .to_datetime()
        .date();
    let report = crate::reports::unapproved_stock_report(
        &state.store,
        viewer.principal.tenant,
        today,
        crate::reports::DEFAULT_EXPIRY_WINDOW_DAYS,
        |site| scope.covers(site),
    )
    .await
    .map_err(|e| viewer.failed(e))?;
    let template = UnapprovedPage {
        chrome: Chrome::new(&viewer, "approvals", viewer.texts().m("approval.title")),
        report,
    };
    Ok(page(&template, viewer.lang))
}

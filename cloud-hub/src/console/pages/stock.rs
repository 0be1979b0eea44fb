//! Stock: balances by material, lot and location (filtered); a material's
//! movements with the balance after each; a lot traced backward (what it
//! was made from) and forward (what it went into) as trees; and the stock
//! documents as forms that post to the API.

use super::super::chrome::Chrome;
use super::super::render::{PageError, page};
use super::super::viewer::Viewer;
use super::orders::visible_sites;
use super::when::date_time;
use crate::api::HubState;
use crate::error::HubError;
use crate::inventory::position::{self, StatementEntry};
use crate::reports::trace::{Direction, LotTrace};
use crate::store::ledger::{BalanceQuery, BalanceRow};
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

/// Balances on one page.
const PAGE: usize = 500;

/// The balance list's filters.
#[derive(Debug, Default, Deserialize)]
pub struct StockQuery {
    material: Option<String>,
    location: Option<String>,
    lot: Option<String>,
    site: Option<String>,
}

/// One field of a stock document form: its name in the API's JSON, its
/// label's catalog key, whether it is required, whether it takes a decimal.
type DocField = (&'static str, &'static str, bool, bool);

/// A stock document form: its type, title key and fields.
pub struct DocForm {
    kind: &'static str,
    title: &'static str,
    fields: Vec<DocField>,
}

/// The stock documents a store keeper posts, each a form of its fields.
fn document_forms() -> Vec<DocForm> {
    let line = |quantity_key: &'static str| -> Vec<DocField> {
        vec![
            ("document", "stock.document", true, false),
            ("material", "orders.material", true, false),
            ("lot", "stock.lot", false, false),
            ("quantity", quantity_key, true, true),
            ("unit", "stock.unit", true, false),
        ]
    };
    let with = |mut fields: Vec<DocField>, more: &[DocField]| {
        fields.extend_from_slice(more);
        fields
    };
    let location: DocField = ("location", "stock.location", true, false);
    vec![
        DocForm {
            kind: "receipt",
            title: "stock.receipt",
            fields: with(
                line("stock.quantity"),
                &[
                    location,
                    ("purchase_order", "stock.purchase_order", false, false),
                    ("unit_price", "stock.unit_price", false, true),
                ],
            ),
        },
        DocForm {
            kind: "transfer",
            title: "stock.transfer",
            fields: with(
                line("stock.quantity"),
                &[
                    ("from", "stock.from", true, false),
                    ("to", "stock.to", true, false),
                ],
            ),
        },
        DocForm {
            kind: "adjustment",
            title: "stock.adjustment",
            fields: with(
                line("stock.signed_quantity"),
                &[location, ("note", "stock.note", true, false)],
            ),
        },
        DocForm {
            kind: "scrap",
            title: "stock.scrap",
            fields: with(
                line("stock.quantity"),
                &[location, ("reason", "board.reason", true, false)],
            ),
        },
        DocForm {
            kind: "stocktake",
            title: "stock.stocktake",
            fields: with(line("stock.counted"), &[location]),
        },
    ]
}

#[derive(Template)]
#[template(path = "stock.html")]
struct StockPage {
    chrome: Chrome,
    rows: Vec<(BalanceRow, String)>,
    material: String,
    location: String,
    lot: String,
    sites: Vec<(String, bool)>,
    more: bool,
    may_post: bool,
    forms: Vec<DocForm>,
}

fn nonempty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// `GET /console/stock`.
pub async fn balances(
    State(state): State<HubState>,
    viewer: Viewer,
    Query(query): Query<StockQuery>,
) -> Result<Response, PageError> {
    let scope = viewer.require(Module::Stock, Action::View)?;
    let site = nonempty(query.site.clone());
    if site.as_ref().is_some_and(|s| !scope.covers(s)) {
        return Err(PageError::Forbidden(viewer.lang));
    }
    let request = BalanceQuery {
        material: nonempty(query.material.clone()),
        location: nonempty(query.location.clone()),
        lot: nonempty(query.lot.clone()),
        site: site.clone(),
        after: None,
        include_zero: false,
        limit: PAGE + 1,
    };
    let mut rows: Vec<BalanceRow> = state
        .store
        .balances(viewer.principal.tenant, request)
        .await
        .map_err(|e| viewer.failed(e))?
        .into_iter()
        .filter(|r| scope.covers(&r.site))
        .collect();
    let more = rows.len() > PAGE;
    rows.truncate(PAGE);
    let t = viewer.texts();
    let selected = site.unwrap_or_default();
    let template = StockPage {
        chrome: Chrome::new(&viewer, "stock", t.m("stock.title")),
        rows: rows
            .into_iter()
            .map(|r| {
                let at = date_time(r.last_movement_at.unix_millis(), 0);
                (r, at)
            })
            .collect(),
        material: query.material.unwrap_or_default(),
        location: query.location.unwrap_or_default(),
        lot: query.lot.unwrap_or_default(),
        sites: visible_sites(&state, &viewer, &scope)
            .await?
            .into_iter()
            .map(|s| {
                let is = s == selected;
                (s, is)
            })
            .collect(),
        more,
        may_post: viewer.may(Module::Stock, Action::Approve),
        forms: document_forms(),
    };
    Ok(page(&template, viewer.lang))
}

#[derive(Template)]
#[template(path = "stock_material.html")]
struct MaterialPage {
    chrome: Chrome,
    entries: Vec<(StatementEntry, String)>,
}

fn found_or(viewer: &Viewer) -> impl Fn(HubError) -> PageError + '_ {
    move |e| match e {
        HubError::NotFound { .. } => viewer.not_found(),
        other => viewer.failed(other),
    }
}

/// `GET /console/stock/materials/{code}`: the material's movements.
pub async fn material(
    State(state): State<HubState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Module::Stock, Action::View)?;
    let entries = position::statement(&state.store, viewer.principal.tenant, &code, None)
        .await
        .map_err(found_or(&viewer))?;
    let t = viewer.texts();
    let template = MaterialPage {
        chrome: Chrome::new(
            &viewer,
            "stock",
            t.fill("stock.material_title", &[("material", &code)]),
        ),
        entries: entries
            .into_iter()
            .map(|e| {
                let at = date_time(e.occurred_at.unix_millis(), 0);
                (e, at)
            })
            .collect(),
    };
    Ok(page(&template, viewer.lang))
}

/// One line of a trace tree as shown: its depth, and what it says.
pub struct TraceLine {
    depth: usize,
    material: String,
    lot: Option<String>,
    quantity: String,
    order: Option<String>,
    manufacturer: Option<String>,
}

fn flatten(traces: &[LotTrace], depth: usize, out: &mut Vec<TraceLine>) {
    for trace in traces {
        out.push(TraceLine {
            depth: depth.min(9),
            material: trace.material.clone(),
            lot: trace.lot.clone(),
            quantity: trace.quantity.to_string(),
            order: None,
            manufacturer: trace.manufacturer.clone(),
        });
        for step in &trace.orders {
            out.push(TraceLine {
                depth: (depth + 1).min(9),
                material: String::new(),
                lot: None,
                quantity: step.quantity.to_string(),
                order: Some(step.order.clone()),
                manufacturer: None,
            });
            flatten(&step.lots, depth + 2, out);
        }
    }
}

#[derive(Template)]
#[template(path = "stock_lot.html")]
struct LotPage {
    chrome: Chrome,
    backward: Vec<TraceLine>,
    forward: Vec<TraceLine>,
}

/// `GET /console/stock/lots/{lot}`: the lot's trace both ways.
pub async fn lot(
    State(state): State<HubState>,
    viewer: Viewer,
    Path(lot): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Module::Stock, Action::View)?;
    let tenant = viewer.principal.tenant;
    let backward = crate::reports::trace_load::lot_trace(&state.store, tenant, &lot, Direction::Backward)
        .await
        .map_err(found_or(&viewer))?;
    let forward = crate::reports::trace_load::lot_trace(&state.store, tenant, &lot, Direction::Forward)
        .await
        .map_err(found_or(&viewer))?;
    let (mut back_lines, mut fwd_lines) = (Vec::new(), Vec::new());
    flatten(&backward, 0, &mut back_lines);
    flatten(&forward, 0, &mut fwd_lines);
    let t = viewer.texts();
    let template = LotPage {
        chrome: Chrome::new(&viewer, "stock", t.fill("stock.lot_title", &[("lot", &lot)])),
        backward: back_lines,
        forward: fwd_lines,
    };
    Ok(page(&template, viewer.lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::{Catalog, Lang};

    #[test]
    fn every_document_form_text_is_in_both_catalogs() {
        for form in document_forms() {
            let keys = std::iter::once(form.title).chain(form.fields.iter().map(|f| f.1));
            for key in keys {
                for lang in [Lang::En, Lang::Zh] {
                    assert_ne!(Catalog::of(lang).m(key), key, "{key} in {}", lang.code());
                }
            }
        }
    }
}

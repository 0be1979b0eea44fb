//! Master data: every kind the API has, listed, each record shown and
//! editable as the API's JSON (sent back with `If-Match` so two people
//! never overwrite each other unseen), new records from a form (materials,
//! routings, production orders have their own fields; every kind takes
//! JSON), and for materials, BOMs and routings the CSV/.xlsx import (the
//! file's row and column errors shown in the page) and CSV export.

use super::super::chrome::Chrome;
use super::super::render::{PageError, page, urlencode};
use super::super::viewer::Viewer;
use crate::api::HubState;
use crate::masterdata::kind::MasterKind;
use crate::masterdata::records as r;
use crate::store::RecordQuery;
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

/// What the console knows of a kind.
#[derive(Debug, Clone, Copy)]
pub struct KindInfo {
    /// Its stored name (`material`).
    pub kind: &'static str,
    /// Its API path segment (`materials`).
    pub path: &'static str,
    /// Its title (English; the API's).
    pub title: &'static str,
    /// The module whose view right reads it.
    pub module: Module,
    /// The module whose edit right changes it.
    pub edit_module: Module,
    /// The action on `edit_module` that changes it (approve for approval
    /// lists).
    pub edit_action: Action,
    /// Whether it has a file import and CSV export.
    pub files: bool,
}

fn info<T: MasterKind>() -> KindInfo {
    KindInfo {
        kind: T::KIND,
        path: T::PATH,
        title: T::TITLE,
        module: T::MODULE,
        edit_module: T::EDIT_MODULE.unwrap_or(T::MODULE),
        edit_action: T::EDIT_ACTION,
        files: matches!(
            T::PATH,
            "materials" | "boms" | "routings" | "manufacturers" | "material-approvals"
        ),
    }
}

impl KindInfo {
    /// Its title in `t`'s language (catalog key `kind.<path>`).
    pub fn title_in(&self, t: &'static crate::console::i18n::Catalog) -> &'static str {
        t.m_or(&format!("kind.{}", self.path), self.title)
    }
}

/// Every kind, in the order the API documents them.
pub fn kinds() -> Vec<KindInfo> {
    vec![
        info::<r::Material>(),
        info::<r::Unit>(),
        info::<r::Bom>(),
        info::<r::Routing>(),
        info::<r::Lot>(),
        info::<r::Manufacturer>(),
        info::<r::MaterialApproval>(),
        info::<r::EquipmentType>(),
        info::<r::Equipment>(),
        info::<r::WorkerType>(),
        info::<r::Worker>(),
        info::<r::Station>(),
        info::<r::Reason>(),
        info::<r::Warehouse>(),
        info::<r::Location>(),
        info::<r::Supplier>(),
        info::<r::Customer>(),
        info::<r::PurchaseOrder>(),
        info::<r::SalesOrder>(),
        info::<r::ProductionOrder>(),
        info::<r::Calendar>(),
        info::<r::SiteSettings>(),
        info::<crate::costing::CostingSettings>(),
    ]
}

#[derive(Template)]
#[template(path = "master_index.html")]
struct IndexPage {
    chrome: Chrome,
    kinds: Vec<(KindInfo, &'static str)>,
}

/// `GET /console/master`.
pub async fn index(viewer: Viewer) -> Result<Response, PageError> {
    let kinds: Vec<KindInfo> = kinds()
        .into_iter()
        .filter(|k| viewer.may(k.module, Action::View))
        .collect();
    if kinds.is_empty() {
        return Err(PageError::Forbidden(viewer.lang));
    }
    let t = viewer.texts();
    let template = IndexPage {
        chrome: Chrome::new(&viewer, "master", t.m("master.title")),
        kinds: kinds.into_iter().map(|k| (k, k.title_in(t))).collect(),
    };
    Ok(page(&template, viewer.lang))
}

fn kind_of(viewer: &Viewer, path: &str) -> Result<KindInfo, PageError> {
    let kind = kinds()
        .into_iter()
        .find(|k| k.path == path)
        .ok_or_else(|| viewer.not_found())?;
    viewer.require(kind.module, Action::View)?;
    Ok(kind)
}

/// A record in the list.
pub struct Row {
    code: String,
    name: String,
    site: String,
    version: i64,
    archived: bool,
}

/// The list's choices.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    archived: Option<String>,
    after: Option<String>,
}

/// Records on one page.
const PAGE: usize = 200;

#[derive(Template)]
#[template(path = "master_list.html")]
struct ListPage {
    chrome: Chrome,
    kind: KindInfo,
    rows: Vec<Row>,
    archived: bool,
    next: Option<String>,
    may_edit: bool,
    example: String,
}

/// A new record's skeleton for the JSON form.
fn example(kind: &str) -> &'static str {
    match kind {
        "material" => r#"{"code": "", "name": "", "kind": "raw", "base_unit": "pcs"}"#,
        "unit" => r#"{"code": "", "name": ""}"#,
        "routing" => {
            r#"{"material": "", "versions": [{"version": "1", "operations": [{"operation": 10, "name": "", "equipment_type": "", "setup_minutes": "0", "run_minutes_per_unit": "1", "worker_type": "", "inputs": []}]}]}"#
        }
        "production_order" => r#"{"code": "", "material": "", "quantity": "1", "site": ""}"#,
        _ => r#"{"code": ""}"#,
    }
}

/// `GET /console/master/{kind}`.
pub async fn list(
    State(state): State<HubState>,
    viewer: Viewer,
    Path(path): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let kind = kind_of(&viewer, &path)?;
    let scope = viewer.require(kind.module, Action::View)?;
    let archived = query.archived.is_some();
    let mut rows = state
        .store
        .list_records(
            viewer.principal.tenant,
            kind.kind,
            RecordQuery {
                after: query.after.clone(),
                limit: PAGE + 1,
                include_archived: archived,
                ..RecordQuery::default()
            },
        )
        .await
        .map_err(|e| viewer.failed(e))?;
    let more = rows.len() > PAGE;
    rows.truncate(PAGE);
    let next = more.then(|| {
        let last = rows.last().map(|r| r.code.clone()).unwrap_or_default();
        format!(
            "/console/master/{}?after={}{}",
            kind.path,
            urlencode(&last),
            if archived { "&archived=1" } else { "" }
        )
    });
    let rows = rows
        .into_iter()
        .filter(|r| r.site.as_ref().is_none_or(|s| scope.covers(s)))
        .map(|r| Row {
            name: r
                .body
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
            site: r.site.unwrap_or_default(),
            code: r.code,
            version: r.version,
            archived: r.archived,
        })
        .collect();
    let t = viewer.texts();
    let template = ListPage {
        chrome: Chrome::new(
            &viewer,
            "master",
            t.fill("master.list_title", &[("kind", kind.title)]),
        ),
        may_edit: viewer.may(kind.edit_module, kind.edit_action),
        example: example(kind.kind).to_string(),
        kind,
        rows,
        archived,
        next,
    };
    Ok(page(&template, viewer.lang))
}

#[derive(Template)]
#[template(path = "master_record.html")]
struct RecordPage {
    chrome: Chrome,
    kind: KindInfo,
    kind_title: &'static str,
    code: String,
    version: i64,
    archived: bool,
    json: String,
    may_edit: bool,
    /// A calendar's week, holidays and maintenance, read from its JSON.
    calendar: Option<super::calendar_view::CalendarView>,
}

/// `GET /console/master/{kind}/{code}`.
pub async fn record(
    State(state): State<HubState>,
    viewer: Viewer,
    Path((path, code)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let kind = kind_of(&viewer, &path)?;
    let scope = viewer.require(kind.module, Action::View)?;
    let row = state
        .store
        .get_record(viewer.principal.tenant, kind.kind, code.clone())
        .await
        .map_err(|e| viewer.failed(e))?
        .filter(|r| r.site.as_ref().is_none_or(|s| scope.covers(s)))
        .ok_or_else(|| viewer.not_found())?;
    let calendar = (kind.kind == crate::masterdata::records::Calendar::KIND)
        .then(|| serde_json::from_value::<crate::masterdata::records::Calendar>(row.body.clone()).ok())
        .flatten()
        .map(|c| super::calendar_view::CalendarView::of(&c, viewer.texts()));
    let template = RecordPage {
        calendar,
        chrome: Chrome::new(
            &viewer,
            "master",
            format!("{} {}", kind.title_in(viewer.texts()), code),
        ),
        json: serde_json::to_string_pretty(&row.body).unwrap_or_default(),
        version: row.version,
        archived: row.archived,
        may_edit: viewer.may(kind.edit_module, kind.edit_action),
        kind_title: kind.title_in(viewer.texts()),
        kind,
        code,
    };
    Ok(page(&template, viewer.lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::{Catalog, Lang};

    #[test]
    fn every_kind_has_a_title_in_both_languages() {
        for kind in kinds() {
            for lang in [Lang::En, Lang::Zh] {
                let key = format!("kind.{}", kind.path);
                assert_ne!(Catalog::of(lang).m(&key), key, "{key} in {}", lang.code());
            }
        }
    }
}

//! Manufacturers and approved-manufacturer lists as files (issue 21):
//! `POST /api/v1/import/{manufacturers,material-approvals}` (CSV or
//! `.xlsx`, optional `?sheet=`), `GET /api/v1/export/<name>.csv`. The
//! same contract as the other master-data files (`masterdata_files.rs`):
//! all or nothing, 422 `import_failed` listing every bad row. Importing
//! lists needs `master_data:approve`, like writing one.

use super::book::{Operation, RouteBook};
use super::guard::TenantCaller;
use super::masterdata_files::{CSV, FILE_BODY_LIMIT, XLSX, csv_schema, failure, upload_format, xlsx_schema};
use super::{ApiFailure, HubState};
use crate::masterdata::approval_files;
use crate::masterdata::files::Counts;
use crate::store::rights::{Action, Module};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::collections::HashMap;

/// The two file kinds.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Manufacturers,
    Approvals,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Manufacturers => "manufacturers",
            Kind::Approvals => "material-approvals",
        }
    }

    /// The right that writes the kind.
    fn write_right(self) -> Action {
        match self {
            Kind::Manufacturers => Action::Edit,
            Kind::Approvals => Action::Approve,
        }
    }
}

/// Adds the import and export routes of both kinds to `book`.
pub(crate) fn add_routes(book: &mut RouteBook) {
    let tag = "Import and export";
    let counts = book.schema::<Counts>();
    for kind in [Kind::Manufacturers, Kind::Approvals] {
        let name = kind.name();
        let summary = json!({"type": "object", "required": [name], "properties": {name: counts.clone()}});
        book.add(
            Operation::new(
                "post",
                format!("/api/v1/import/{name}"),
                tag,
                format!(
                    "Import {name} from a CSV file (Content-Type: {CSV}) or an .xlsx workbook \
                     (Content-Type: {XLSX}); columns as in FORMAT.md. All or nothing: any bad row is 422 \
                     import_failed listing every bad row. Records with the same code are replaced \
                     (a material's list by the file's rows of it). 201 when a record was created, else 200"
                ),
            )
            .right(Module::MasterData, kind.write_right())
            .query("sheet", "for .xlsx: the worksheet to read (default: the first)")
            .file(CSV, csv_schema(name), FILE_BODY_LIMIT)
            .file(XLSX, xlsx_schema(), FILE_BODY_LIMIT)
            .response(summary)
            .status(201)
            .also(200),
            post(
                move |state: State<HubState>,
                      caller: Extension<TenantCaller>,
                      headers: HeaderMap,
                      query: Query<HashMap<String, String>>,
                      body: Bytes| { import(kind, state, caller, headers, query, body) },
            ),
        );
        book.add(
            Operation::new(
                "get",
                format!("/api/v1/export/{name}.csv"),
                tag,
                format!("The active {name} as CSV (text/csv) that the import reads back to the same records"),
            )
            .right(Module::MasterData, Action::View)
            .produces(CSV),
            get(move |state: State<HubState>, caller: Extension<TenantCaller>| export(kind, state, caller)),
        );
    }
}

async fn import(
    kind: Kind,
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let format = upload_format(&headers, &raw)?;
    let store = &state.store;
    let result = match kind {
        Kind::Manufacturers => approval_files::import_manufacturers(store, tenant, body.into(), format).await,
        Kind::Approvals => approval_files::import_approvals(store, tenant, body.into(), format).await,
    };
    match result {
        Ok(counts) => {
            let status = if counts.created > 0 {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, Json(json!({ kind.name(): counts }))).into_response())
        }
        Err(e) => failure(e),
    }
}

async fn export(
    kind: Kind,
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Response, ApiFailure> {
    let csv = match kind {
        Kind::Manufacturers => approval_files::export_manufacturers(&state.store, tenant).await?,
        Kind::Approvals => approval_files::export_approvals(&state.store, tenant).await?,
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.csv\"", kind.name()),
            ),
        ],
        csv,
    )
        .into_response())
}

//! Master-data files over HTTP: `POST /api/v1/import/{materials,boms,routings}`
//! take a CSV (`Content-Type: text/csv`) or `.xlsx` body (optional
//! `?sheet=`), `POST /api/v1/import/workbook` an `.xlsx` with the sheets
//! `materials`, `boms` and `routings`; `GET /api/v1/export/<kind>.csv`
//! writes what an import reads back. The work is in
//! [`crate::masterdata::files`]; this file maps HTTP to it.
//!
//! A file with any bad row is 422 `import_failed`, listing every bad row
//! (`error.rows`), and writes nothing.

use super::book::{Operation, RouteBook};
use super::guard::TenantCaller;
use super::{ApiFailure, HubState};
use crate::error::HubError;
use crate::masterdata::files::{self, FileImportError, FileKind, Format, ImportSummary};
use crate::masterdata::import::{FileError, ImportErrors, RowError};
use crate::store::rights::{Action, Module};
use crate::store::{Store, TenantId};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;

/// Largest file accepted, bytes. A factory's master data is thousands of
/// rows; 16 MiB leaves room for a bloated workbook.
const FILE_BODY_LIMIT: usize = 16 << 20;

/// The content type of a CSV body.
const CSV: &str = "text/csv";
/// The content type of an `.xlsx` body.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a kind's import answers: the response, or why it wrote nothing.
pub(super) type Imported = Result<Response, FileImportError>;

/// A kind of file with an import and an export route: the master-data
/// kinds here, manufacturers and approval lists in `approval_files.rs`.
/// A kind says only what differs; [`add_file_routes`] gives every kind the
/// same paths, query, bodies, status codes and error answers.
pub(super) trait FileRoutes: Copy + Send + Sync + 'static {
    /// The kind in the paths: `/api/v1/import/{name}`,
    /// `/api/v1/export/{name}.csv`.
    fn name(self) -> &'static str;
    /// What an import does to a record whose code exists (for the API
    /// document).
    fn replaces(self) -> &'static str;
    /// The right an import needs.
    fn write_right(self) -> Action;
    /// The schema of a successful import's body.
    fn summary(self, book: &mut RouteBook) -> Value;
    /// Imports a file, all or nothing: the answer, 201 when a record was
    /// created, else 200 ([`imported`]).
    fn import(
        self,
        store: &Store,
        tenant: TenantId,
        bytes: Vec<u8>,
        format: Format,
    ) -> impl Future<Output = Imported> + Send;
    /// The active records as CSV that the import reads back.
    fn export(self, store: &Store, tenant: TenantId)
    -> impl Future<Output = Result<String, HubError>> + Send;
}

impl FileRoutes for FileKind {
    fn name(self) -> &'static str {
        match self {
            FileKind::Materials => "materials",
            FileKind::Boms => "boms",
            FileKind::Routings => "routings",
        }
    }

    fn replaces(self) -> &'static str {
        "an archived one restored"
    }

    fn write_right(self) -> Action {
        Action::Edit
    }

    fn summary(self, book: &mut RouteBook) -> Value {
        book.schema::<ImportSummary>()
    }

    async fn import(self, store: &Store, tenant: TenantId, bytes: Vec<u8>, format: Format) -> Imported {
        let summary = files::import_file(store, tenant, self, bytes, format).await?;
        Ok(imported(summary.created_any(), summary))
    }

    async fn export(self, store: &Store, tenant: TenantId) -> Result<String, HubError> {
        files::export(store, tenant, self).await
    }
}

/// The tag of every file route in the API document.
const TAG: &str = "Import and export";

/// Adds the import and export routes of every kind in `kinds` to `book`.
pub(super) fn add_file_routes<K: FileRoutes>(book: &mut RouteBook, kinds: &[K]) {
    for &kind in kinds {
        let name = kind.name();
        let summary = kind.summary(book);
        let replaces = kind.replaces();
        book.add(
            Operation::new(
                "post",
                format!("/api/v1/import/{name}"),
                TAG,
                format!(
                    "Import {name} from the body, a CSV file (Content-Type: {CSV}) or an .xlsx workbook \
                     (Content-Type: {XLSX}); columns as in FORMAT.md. All or nothing: any bad row is 422 \
                     import_failed listing every bad row. Records with the same code are replaced \
                     ({replaces}). 201 when a record was created, else 200"
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
                      body: Bytes| { import_file(kind, state, caller, headers, query, body) },
            ),
        );
        book.add(
            Operation::new(
                "get",
                format!("/api/v1/export/{name}.csv"),
                TAG,
                format!("The active {name} as CSV (text/csv) that the import reads back to the same records"),
            )
            .right(Module::MasterData, Action::View)
            .produces(CSV),
            get(move |state: State<HubState>, caller: Extension<TenantCaller>| export(kind, state, caller)),
        );
    }
}

/// Adds the import and export routes to `book`.
pub(crate) fn add_routes(book: &mut RouteBook) {
    add_file_routes(book, &[FileKind::Materials, FileKind::Boms, FileKind::Routings]);
    let summary = book.schema::<ImportSummary>();
    book.add(
        Operation::new(
            "post",
            "/api/v1/import/workbook",
            TAG,
            format!(
                "Import an .xlsx workbook (Content-Type: {XLSX}) with the sheets materials, boms and routings \
                 (each optional; BOMs and routings may use the workbook's materials) in one transaction. All \
                 or nothing as the single-kind imports; 201 when a record was created, else 200"
            ),
        ).right(Module::MasterData, Action::Edit)
        .file(XLSX, xlsx_schema(), FILE_BODY_LIMIT)
        .response(summary)
        .status(201)
        .also(200),
        post(import_workbook),
    );
}

/// A CSV file's schema in the document: text, columns as in FORMAT.md.
fn csv_schema(name: &str) -> Value {
    json!({"type": "string", "description": format!("a CSV file of {name}, columns as in FORMAT.md")})
}

/// An `.xlsx` workbook's schema in the document: bytes.
fn xlsx_schema() -> Value {
    json!({"type": "string", "contentMediaType": XLSX,
           "description": "an .xlsx workbook, sent as the raw body"})
}

async fn import_file<K: FileRoutes>(
    kind: K,
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let format = upload_format(&headers, &raw)?;
    match kind.import(&state.store, tenant, body.into(), format).await {
        Ok(answer) => Ok(answer),
        Err(e) => failure(e),
    }
}

async fn import_workbook(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    if let Some(name) = raw.keys().min() {
        return Err(ApiFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("unknown query parameter `{name}`; a workbook import reads the sheets materials, boms and routings"),
        )
        .field(name));
    }
    if media_type(&headers)? != Media::Xlsx {
        return Err(unsupported(&format!(
            "a workbook import takes an .xlsx body ({XLSX})"
        )));
    }
    match files::import_workbook(&state.store, tenant, body.into()).await {
        Ok(summary) => Ok(imported(summary.created_any(), summary)),
        Err(e) => failure(e),
    }
}

async fn export<K: FileRoutes>(
    kind: K,
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
) -> Result<Response, ApiFailure> {
    let csv = kind.export(&state.store, tenant).await?;
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

/// The format of an uploaded file: its media type, and for a workbook the
/// `sheet` of the query (the only query parameter an upload takes).
fn upload_format(headers: &HeaderMap, raw: &HashMap<String, String>) -> Result<Format, ApiFailure> {
    only_sheet(raw)?;
    match (media_type(headers)?, raw.get("sheet")) {
        // A rule across the query and the body's type (422).
        (Media::Csv, Some(_)) => Err(ApiFailure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
            "`sheet` applies to .xlsx bodies; a CSV file has no sheets",
        )
        .field("sheet")),
        (Media::Csv, None) => Ok(Format::Csv),
        (Media::Xlsx, sheet) => Ok(Format::Xlsx {
            sheet: sheet.cloned(),
        }),
    }
}

fn only_sheet(raw: &HashMap<String, String>) -> Result<(), ApiFailure> {
    match raw.keys().filter(|k| k.as_str() != "sheet").min() {
        Some(name) => Err(ApiFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("unknown query parameter `{name}`; this takes sheet"),
        )
        .field(name)),
        None => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    Csv,
    Xlsx,
}

/// The body's format from its `Content-Type` (parameters such as
/// `charset` ignored).
fn media_type(headers: &HeaderMap) -> Result<Media, ApiFailure> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match given.as_deref() {
        Some(CSV) => Ok(Media::Csv),
        Some(XLSX) => Ok(Media::Xlsx),
        Some(other) => Err(unsupported(&format!(
            "Content-Type {other} is not a file this imports; send {CSV} or {XLSX}"
        ))),
        None => Err(unsupported(&format!(
            "no Content-Type; send {CSV} or {XLSX} with the file as the body"
        ))),
    }
}

fn unsupported(message: &str) -> ApiFailure {
    ApiFailure::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        message,
    )
    .field("Content-Type")
}

/// A successful import's answer: 201 with `body` when it created a
/// record, 200 when it only replaced records.
pub(super) fn imported(created: bool, body: impl Serialize) -> Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(body)).into_response()
}

/// The answer to an import that wrote nothing: 422 with every bad row or
/// the record's bad field, or the service's error.
fn failure(error: FileImportError) -> Result<Response, ApiFailure> {
    match error {
        FileImportError::Rejected(errors) => Ok(rejected(&errors)),
        FileImportError::Record { kind, code, error } => {
            let (message, field) = match *error {
                crate::error::HubError::Invalid(f) => (
                    format!(
                        "{} `{code}` from the file: {} {}; nothing was imported",
                        kind.replace('_', " "),
                        f.field,
                        f.reason
                    ),
                    f.field,
                ),
                other => return Err(other.into()),
            };
            Err(ApiFailure::new(StatusCode::UNPROCESSABLE_ENTITY, "import_failed", message).field(field))
        }
        FileImportError::Service(e) => Err(e.into()),
        FileImportError::Internal(reason) => {
            tracing::error!(reason, "master-data import task failed");
            Err(ApiFailure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the file could not be processed",
            ))
        }
    }
}

/// The 422 answer: the API's error shape with `error.rows` listing every
/// bad row (empty when the file as a whole could not be read).
fn rejected(errors: &ImportErrors) -> Response {
    let rows: Vec<Value> = errors.rows().iter().map(row_json).collect();
    let (message, field) = match errors {
        ImportErrors::Rows(list) => (
            format!(
                "{} error(s) in the file; nothing was imported. First: {}",
                list.len(),
                list.first().map(ToString::to_string).unwrap_or_default()
            ),
            None,
        ),
        ImportErrors::File(e) => {
            let field = matches!(e, FileError::MissingSheet { .. }).then_some("sheet");
            (format!("{e}; nothing was imported"), field)
        }
    };
    let body = json!({"error": {
        "code": "import_failed",
        "message": message,
        "field": field,
        "rows": rows,
    }});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

fn row_json(e: &RowError) -> Value {
    let column = e.column.as_ref();
    json!({
        "sheet": e.sheet,
        "row": e.row,
        "column": column.map(|c| c.name.clone()),
        "letter": column.and_then(|c| c.letter.clone()),
        "value": e.value,
        "reason": e.reason,
        "text": e.to_string(),
    })
}

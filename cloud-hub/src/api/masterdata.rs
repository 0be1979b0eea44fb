//! The REST routes of every master-data kind, generic over
//! [`MasterKind`]: `GET/POST /api/v1/<kinds>`,
//! `GET/PUT/DELETE /api/v1/<kinds>/{code}`, `POST …/{code}/restore`.
//!
//! Items are the record's fields plus `archived`, `version` and
//! `updated_at`; those three are ignored when a record is sent back, so a
//! client can GET, edit and PUT. `PUT` honours `If-Match: <version>`.

use super::book::{Operation, RouteBook};
use super::guard::{AuditNote, SiteAccess, TenantCaller};
use super::params::{ListParams, Page};
use super::{ApiFailure, HubState};
use crate::masterdata::MasterKind;
use crate::masterdata::service::{self, Stored};
use crate::store::rights::Action;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{delete, get, post, put};
use mes_protocols::{FieldError, Timestamp};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Fields the API adds to every item, dropped from what a client sends.
const BOOKKEEPING: [&str; 3] = ["archived", "version", "updated_at"];

/// A stored record as an API item.
pub(crate) fn item<T: MasterKind>(stored: &Stored<T>) -> Value {
    let mut value = serde_json::to_value(&stored.record).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("archived".into(), stored.archived.into());
        map.insert("version".into(), stored.version.into());
        map.insert(
            "updated_at".into(),
            Timestamp::from_unix_millis(stored.updated_at).to_string().into(),
        );
    }
    value
}

/// `4.0` is the integer 4 to JSON Schema (and so to the OpenAPI document),
/// but serde refuses it for an integer field: read such numbers as the
/// integers they are, while a double holds them exactly (below 10^15).
fn integral_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 1e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// Reads a request body, a JSON object, as `T`, naming the field that is
/// wrong; an object naming a key twice is refused, naming the key.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiFailure> {
    parse_json(body, JsonShape::Object)
}

/// [`parse_body`] for the one kind of body that is a JSON array (a list
/// replaced whole, such as a user's roles).
pub(crate) fn parse_list<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiFailure> {
    parse_json(body, JsonShape::Array)
}

/// What a body's top level must be. serde reads a struct from an array
/// too (its fields in order), so an object type must say so itself: a
/// `[]` sent for an object whose fields all have defaults would otherwise
/// be taken as an empty change.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JsonShape {
    Object,
    Array,
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], shape: JsonShape) -> Result<T, ApiFailure> {
    if let Some(path) = super::duplicate_keys::first_duplicate(body) {
        return Err(ApiFailure::new(
            StatusCode::BAD_REQUEST,
            "duplicate_key",
            format!("the key `{path}` appears twice in one object; send each key once"),
        )
        .field(path));
    }
    let mut value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiFailure::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            format!("the body is not JSON: {e}"),
        )
    })?;
    let (wanted, expected) = match shape {
        JsonShape::Object => (value.is_object(), "a JSON object"),
        JsonShape::Array => (value.is_array(), "a JSON array"),
    };
    if !wanted {
        return Err(ApiFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("the body must be {expected}"),
        ));
    }
    if let Value::Object(map) = &mut value {
        for key in BOOKKEEPING {
            map.remove(key);
        }
    }
    integral_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = FieldError::from_json(e.path().to_string(), e.inner());
        ApiFailure::new(StatusCode::BAD_REQUEST, "invalid_body", field.reason).field(field.field)
    })
}

fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiFailure> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiFailure::new(
                StatusCode::BAD_REQUEST,
                "invalid_header",
                "If-Match must be the record's version number",
            )
            .field("If-Match")
        })
}

fn with_etag<T: MasterKind>(status: StatusCode, stored: &Stored<T>) -> Response {
    (
        status,
        [(header::ETAG, format!("\"{}\"", stored.version))],
        Json(item(stored)),
    )
        .into_response()
}

/// [`with_etag`] with the change noted for the audit log.
fn audited<T: MasterKind>(status: StatusCode, before: Option<&Stored<T>>, after: &Stored<T>) -> Response {
    let mut response = with_etag(status, after);
    response.extensions_mut().insert(AuditNote {
        object_kind: Some(T::KIND.into()),
        object_code: Some(after.record.code().to_string()),
        before: before.map(item),
        after: Some(item(after)),
    });
    response
}

/// Whether a caller whose right reaches `scope` may see or change
/// `record` (records of no site: anyone holding the right).
fn within<T: MasterKind>(scope: &SiteAccess, record: &T) -> bool {
    record.site().is_none_or(|site| scope.0.covers(site.as_str()))
}

/// 404 for a record of a site the caller's right does not reach: to them
/// it does not exist.
fn visible<T: MasterKind>(
    scope: &SiteAccess,
    stored: Stored<T>,
    code: &str,
) -> Result<Stored<T>, ApiFailure> {
    if within(scope, &stored.record) {
        Ok(stored)
    } else {
        Err(ApiFailure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{} `{code}` not found", T::KIND),
        ))
    }
}

async fn list<T: MasterKind>(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Json<Page>, ApiFailure> {
    let params = ListParams::parse(raw, T::FILTERS)?;
    let limit = params.query.limit;
    let rows = service::list::<T>(&state.store, tenant, params.query).await?;
    // The page is cut before records of other sites are left out, so
    // `next` still walks every record.
    let next = (rows.len() == limit)
        .then(|| rows.last().map(|r| r.record.code().to_string()))
        .flatten();
    Ok(Json(Page {
        items: rows
            .iter()
            .filter(|r| within(&scope, &r.record))
            .map(item)
            .collect(),
        next,
    }))
}

async fn create<T: MasterKind>(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let record: T = parse_body(&body)?;
    if !within(&scope, &record) {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your right does not reach the site this record names",
        )
        .field("site"));
    }
    let stored = service::create(&state.store, tenant, record).await?;
    Ok(audited(StatusCode::CREATED, None, &stored))
}

async fn read<T: MasterKind>(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    Path(code): Path<String>,
) -> Result<Response, ApiFailure> {
    let stored = visible(
        &scope,
        service::get::<T>(&state.store, tenant, &code).await?,
        &code,
    )?;
    Ok(with_etag(StatusCode::OK, &stored))
}

async fn update<T: MasterKind>(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let version = if_match(&headers)?;
    // 404 before 400: another tenant's code must look like no code at all.
    let before = visible(
        &scope,
        service::get::<T>(&state.store, tenant, &code).await?,
        &code,
    )?;
    let record: T = parse_body(&body)?;
    if !within(&scope, &record) {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your right does not reach the site this record names",
        )
        .field("site"));
    }
    let stored = service::update(&state.store, tenant, &code, record, version).await?;
    Ok(audited(StatusCode::OK, Some(&before), &stored))
}

async fn archive<T: MasterKind>(
    state: State<HubState>,
    caller: Extension<TenantCaller>,
    scope: Extension<SiteAccess>,
    code: Path<String>,
) -> Result<Response, ApiFailure> {
    set_archived::<T>(state, caller, scope, code, true).await
}

async fn restore<T: MasterKind>(
    state: State<HubState>,
    caller: Extension<TenantCaller>,
    scope: Extension<SiteAccess>,
    code: Path<String>,
) -> Result<Response, ApiFailure> {
    set_archived::<T>(state, caller, scope, code, false).await
}

async fn set_archived<T: MasterKind>(
    State(state): State<HubState>,
    Extension(TenantCaller(tenant)): Extension<TenantCaller>,
    Extension(scope): Extension<SiteAccess>,
    Path(code): Path<String>,
    archived: bool,
) -> Result<Response, ApiFailure> {
    let before = visible(
        &scope,
        service::get::<T>(&state.store, tenant, &code).await?,
        &code,
    )?;
    let stored = service::set_archived::<T>(&state.store, tenant, &code, archived).await?;
    Ok(audited(StatusCode::OK, Some(&before), &stored))
}

/// Adds the routes of kind `T` to `book`.
pub(crate) fn add_kind<T: MasterKind>(book: &mut RouteBook) {
    let schema = book.schema::<T>();
    let item = book.item_schema::<T>();
    let collection = format!("/api/v1/{}", T::PATH);
    let one = format!("{collection}/{{code}}");
    let tag = T::TITLE;
    let page = json!({"type": "object", "required": ["items", "next"], "properties": {
        "items": {"type": "array", "items": item},
        "next": {"type": ["string", "null"],
                 "description": "pass as `after` for the next page; null on the last"}}});
    let (view, edit) = (T::MODULE, T::EDIT_MODULE.unwrap_or(T::MODULE));
    let mut list_op = Operation::new(
        "get",
        &collection,
        tag,
        format!("List {} records", T::TITLE.to_lowercase()),
    )
    .right(view, Action::View)
    .response(page);
    for (name, description, schema) in ListParams::documented(T::FILTERS) {
        list_op = list_op.query_typed(&name, &description, schema);
    }
    book.add(list_op, get(list::<T>));
    book.add(
        Operation::new(
            "post",
            &collection,
            tag,
            format!("Create a {}", T::TITLE.to_lowercase()),
        )
        .right(edit, T::EDIT_ACTION)
        .request(schema.clone())
        .response(item.clone())
        .status(201),
        post(create::<T>),
    );
    book.add(
        Operation::new("get", &one, tag, format!("Read a {}", T::TITLE.to_lowercase()))
            .right(view, Action::View)
            .response(item.clone()),
        get(read::<T>),
    );
    book.add(
        Operation::new(
            "put",
            &one,
            tag,
            format!("Replace a {} (If-Match: version)", T::TITLE.to_lowercase()),
        )
        .right(edit, T::EDIT_ACTION)
        .request(schema)
        .response(item.clone()),
        put(update::<T>),
    );
    book.add(
        Operation::new(
            "delete",
            &one,
            tag,
            format!("Archive a {}", T::TITLE.to_lowercase()),
        )
        .right(edit, T::EDIT_ACTION)
        .describe(
            "Archives the record; nothing is deleted. It stays readable (`archived: true`), \
             lists show it with `archived=true`, references to it are refused, and \
             `POST …/restore` brings it back.",
        )
        .response(item.clone()),
        delete(archive::<T>),
    );
    book.add(
        Operation::new(
            "post",
            format!("{one}/restore"),
            tag,
            format!("Restore an archived {}", T::TITLE.to_lowercase()),
        )
        .right(edit, T::EDIT_ACTION)
        .response(item),
        post(restore::<T>),
    );
}

//! The route book: every route of the API is added here together with its
//! documentation, so the router and the OpenAPI document
//! (`GET /api/v1/openapi.json`) come from the same list and cannot drift.
//! The same list gives every route its guard (`guard.rs`: token, body
//! limit, JSON content type) before anything reads the body.
//!
//! The document is OpenAPI 3.1, whose schemas are JSON Schema 2020-12 (what
//! `schemars` writes). Request and response schemas are generated apart,
//! for deserializing and for serializing, because they differ: a record as
//! answered carries `archived`, `version` and `updated_at`, which a record
//! sent must not (`additionalProperties: false`). A type that reads the same
//! both ways has one schema; one that does not has a `…Response` twin.

use super::HubState;
use super::guard::{self, Caller, Rule};
use crate::store::rights::{Action, Module, Right};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::MethodRouter;
use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Largest body of a route that names no other limit (JSON records and
/// actions), bytes.
pub(crate) const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// Where the schemas live in the document.
const SCHEMAS: &str = "#/components/schemas/";

/// One documented operation.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// `get`, `post`, `put`, `delete`.
    pub method: &'static str,
    /// The axum path (`/api/v1/materials/{code}`), also the OpenAPI path.
    pub path: String,
    /// One line saying what it does.
    pub summary: String,
    /// Group in the document.
    pub tag: String,
    /// Who may call it.
    pub caller: Caller,
    /// The right a user must hold to call it (tenant routes). A tenant
    /// route that declares none is refused to everyone (deny by default).
    pub right: Option<Right>,
    /// Query parameters: (name, description, schema).
    pub query: Vec<(String, String, Value)>,
    /// The JSON request body's schema, if it takes one.
    pub request: Option<Value>,
    /// The success response's schema.
    pub response: Option<Value>,
    /// The success status.
    pub status: u16,
    /// Other success statuses answered with the same body (a retried
    /// idempotent create is 200 where a new one is 201).
    pub also: Vec<u16>,
    /// Bodies in other media types than JSON: (media type, schema).
    pub files: Vec<(String, Value)>,
    /// Media type of a success answer that is not JSON (`text/csv`).
    pub produces: Option<String>,
    /// Largest body, bytes ([`DEFAULT_BODY_LIMIT`] unless set); `None`:
    /// the handler enforces a limit of its own (ingest, from the config)
    /// and the guard checks `Content-Length` against `handler_limit`.
    pub body_limit: Option<usize>,
    /// A longer description (CommonMark) after the summary.
    pub description: Option<String>,
    /// Whether the body may be left out (actions with defaults).
    pub body_optional: bool,
}

impl Operation {
    /// An operation with no parameters or bodies yet.
    pub fn new(method: &'static str, path: impl Into<String>, tag: &str, summary: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            summary: summary.into(),
            tag: tag.into(),
            caller: Caller::Tenant,
            right: None,
            query: Vec::new(),
            request: None,
            response: None,
            status: 200,
            also: Vec::new(),
            files: Vec::new(),
            produces: None,
            body_limit: Some(DEFAULT_BODY_LIMIT),
            description: None,
            body_optional: false,
        }
    }

    /// Who may call it.
    pub fn caller(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self
    }

    /// The right a user must hold: `action` on `module`.
    pub fn right(mut self, module: Module, action: Action) -> Self {
        self.right = Some(Right::new(module, action));
        self
    }

    /// Adds a query parameter whose schema follows from its name (see
    /// [`query_schema`]).
    pub fn query(self, name: &str, description: &str) -> Self {
        self.query_typed(name, description, query_schema(name))
    }

    /// Adds a query parameter with its schema (the range or form the
    /// handler enforces).
    pub fn query_typed(mut self, name: &str, description: &str, schema: Value) -> Self {
        self.query.push((name.into(), description.into(), schema));
        self
    }

    /// Takes a body in `media` (a file), up to `limit` bytes.
    pub fn file(mut self, media: &str, schema: Value, limit: usize) -> Self {
        self.files.push((media.into(), schema));
        self.body_limit = Some(limit);
        self
    }

    /// Answers success in `media` (text), not JSON.
    pub fn produces(mut self, media: &str) -> Self {
        self.produces = Some(media.into());
        self
    }

    /// The handler reads the body itself under a limit of its own.
    pub fn own_body_limit(mut self) -> Self {
        self.body_limit = None;
        self
    }

    /// The body may be left out (every field has a default).
    pub fn optional_body(mut self) -> Self {
        self.body_optional = true;
        self
    }

    /// A longer description.
    pub fn describe(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Sets the request body schema.
    pub fn request(mut self, schema: Value) -> Self {
        self.request = Some(schema);
        self
    }

    /// Sets the response schema.
    pub fn response(mut self, schema: Value) -> Self {
        self.response = Some(schema);
        self
    }

    /// Sets the success status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Documents another success status with the same body.
    pub fn also(mut self, status: u16) -> Self {
        self.also.push(status);
        self
    }
}

/// Routes and their documentation, built together.
pub(crate) struct RouteBook {
    routes: Vec<(Operation, MethodRouter<HubState>)>,
    requests: SchemaGenerator,
    responses: SchemaGenerator,
    /// Kinds whose items (record + bookkeeping) are answered: schema name.
    items: BTreeSet<String>,
}

fn generator(contract: Contract) -> SchemaGenerator {
    SchemaGenerator::new(SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
        s.contract = contract;
    }))
}

/// How schemars describes a `Decimal` as read: a string with an exponent
/// or any number, which is `rust_decimal`'s own reading, not the hub's.
const SCHEMARS_DECIMAL_READ: &str = "^-?\\d+(\\.\\d+)?([eE]\\d+)?$";

/// Largest integer a decimal may be written as unquoted: well inside what
/// a JSON parser reads exactly (every declared maximum is below it).
const DECIMAL_INTEGER_MAX: i64 = 999_999_999_999_999;

/// Every decimal (and unsigned integer) in a request schema as the hub reads it
/// (`mes_protocols::decimal::text`): a string in the grammar (no exponent,
/// no `+`) or an integer (`5`, or `5.0`, which JSON Schema counts as an
/// integer too), never a fraction.
fn decimals_as_read(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str) == Some(SCHEMARS_DECIMAL_READ) {
                // `number` becomes `integer`; `null` (an optional one) stays.
                if let Some(Value::Array(types)) = map.get_mut("type") {
                    for t in types.iter_mut().filter(|t| *t == "number") {
                        *t = json!("integer");
                    }
                }
                // At most 28 digits: the grammar keeps 29 exactly and refuses
                // more (400); values past a field's maximum are 422.
                map.insert("pattern".into(), json!("^-?[0-9]{1,16}(\\.[0-9]{1,12})?$"));
                map.insert("minimum".into(), json!(-DECIMAL_INTEGER_MAX));
                map.insert("maximum".into(), json!(DECIMAL_INTEGER_MAX));
            }
            // schemars leaves integers unbounded (unsigned ones bounded
            // below); serde refuses what their type cannot hold (400), so
            // the document says it.
            let range = match map.get("format").and_then(Value::as_str) {
                Some("uint8") => Some((json!(0), json!(u8::MAX))),
                Some("uint16") => Some((json!(0), json!(u16::MAX))),
                Some("uint32") => Some((json!(0), json!(u32::MAX))),
                Some("uint64" | "uint") => Some((json!(0), json!(u64::MAX))),
                Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
                Some("int64" | "int") => Some((json!(i64::MIN), json!(i64::MAX))),
                _ => None,
            };
            if let Some((least, most)) = range {
                map.entry("minimum").or_insert(least);
                map.entry("maximum").or_insert(most);
            }
            map.values_mut().for_each(decimals_as_read);
        }
        Value::Array(items) => items.iter_mut().for_each(decimals_as_read),
        _ => {}
    }
}

impl RouteBook {
    /// An empty book.
    pub fn new() -> Self {
        let mut book = Self {
            routes: Vec::new(),
            requests: generator(Contract::Deserialize),
            responses: generator(Contract::Serialize),
            items: BTreeSet::new(),
        };
        // Path parameters refer to it.
        book.schema::<mes_protocols::Code>();
        book
    }

    /// A reference to `T`'s schema in the document's components. Used in
    /// a request body it is `T` as read; in a response, `T` as written.
    pub fn schema<T: JsonSchema>(&mut self) -> Value {
        // Both generators see the same types in the same order, so they
        // give them the same names.
        self.responses.subschema_for::<T>();
        let mut schema = self.requests.subschema_for::<T>().to_value();
        decimals_as_read(&mut schema);
        schema
    }

    /// A reference to the schema of a stored record of kind `T` as the
    /// API answers it: its fields plus `archived`, `version`, `updated_at`.
    pub fn item_schema<T: JsonSchema>(&mut self) -> Value {
        let reference = self.schema::<T>();
        let name = reference["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix(SCHEMAS))
            .expect("a record kind is a named schema")
            .to_string();
        let item = json!({"$ref": format!("{SCHEMAS}{name}Item")});
        self.items.insert(name);
        item
    }

    /// Adds `route` at `operation.path` (several methods of one path merge).
    pub fn add(&mut self, operation: Operation, route: MethodRouter<HubState>) {
        self.routes.push((operation, route));
    }

    /// The OpenAPI 3.1 document of the book.
    pub fn openapi(&mut self) -> Value {
        let (mut schemas, response_names) = self.components();
        let mut paths = Map::new();
        for (op, _) in &self.routes {
            let entry = paths
                .entry(op.path.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            entry[op.method] = operation_doc(op, &response_names);
        }
        // Only what the operations use (a request-only type has no use
        // for its response twin).
        let mut used = BTreeSet::new();
        let mut pending = vec![Value::Object(paths.clone())];
        while let Some(value) = pending.pop() {
            for name in referenced(&value) {
                if used.insert(name.clone())
                    && let Some(schema) = schemas.get(&name)
                {
                    pending.push(schema.clone());
                }
            }
        }
        schemas.retain(|name, _| used.contains(name));
        json!({
            "openapi": "3.1.0",
            "info": {"title": "Shop-floor MES hub API", "version": env!("CARGO_PKG_VERSION"),
                "description": "Every error is `{\"error\": {\"code\", \"message\", \"field\"}}`. \
                    Authenticated routes check the bearer token before reading the body (401), \
                    bodies are limited in size (413) and JSON bodies need \
                    `Content-Type: application/json` (415); a JSON object naming a key twice is 400. \
                    Every other route needs a right (`x-required-right`, `module:action`): a user without \
                    it is answered 403. \
                    DELETE of a record archives it (it stays readable, `archived: true`, and \
                    `POST …/restore` brings it back); nothing is ever deleted."},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "apiToken": {"type": "http", "scheme": "bearer",
                        "description": "an API token of a user (`POST /api/v1/users/{login}/tokens`, \
                            or `cloud-hub token add` for the tenant's service user): the user's rights, \
                            narrowed to the token's if it has any"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "__Host-mes_session",
                        "description": "a browser session (`POST /api/v1/auth/login`); requests that \
                            change something also send the session's CSRF token in `X-CSRF-Token`"},
                    "agentToken": {"type": "http", "scheme": "bearer",
                        "description": "an agent token (`cloud-hub agent add`)"},
                },
            },
        })
    }

    /// Every schema of the document, and the rename map that turns a
    /// request schema's name into the one to use in a response.
    fn components(&self) -> (Map<String, Value>, BTreeMap<String, String>) {
        let mut requests = self.requests.definitions().clone();
        requests.values_mut().for_each(decimals_as_read);
        let requests = &requests;
        let responses = self.responses.definitions();
        // A response type gets a twin when it differs from the request
        // type of the same name, or refers to a type that does.
        let mut renames: BTreeMap<String, String> = BTreeMap::new();
        loop {
            let before = renames.len();
            for (name, schema) in responses {
                if renames.contains_key(name) {
                    continue;
                }
                if requests.get(name) != Some(&rename_refs(schema, &renames)) {
                    renames.insert(name.clone(), format!("{name}Response"));
                }
            }
            if renames.len() == before {
                break;
            }
        }
        let mut schemas = requests.clone();
        for (name, schema) in responses {
            if let Some(twin) = renames.get(name) {
                schemas.insert(twin.clone(), rename_refs(schema, &renames));
            }
        }
        for name in &self.items {
            let written = renames.get(name).unwrap_or(name);
            schemas.insert(format!("{name}Item"), item_of(&schemas[written]));
        }
        schemas.insert("ApiError".into(), api_error_schema());
        (schemas, renames)
    }

    /// The router of every added route, each behind its guard.
    pub fn into_router(self, state: &HubState) -> Router<HubState> {
        let mut router = Router::new();
        for (op, route) in self.routes {
            let body_limit = op.body_limit.unwrap_or(state.limits.max_body_bytes);
            let rule = Rule {
                caller: op.caller,
                right: op.right,
                json_body: op.request.is_some(),
                body_limit,
                action: guard::action_name(op.method, &op.path),
                site_param: guard::site_param(&op.path),
            };
            let route = route.layer(DefaultBodyLimit::max(body_limit)).route_layer(
                axum::middleware::from_fn_with_state((state.clone(), rule), guard::check),
            );
            router = router.route(&op.path, route);
        }
        router
    }
}

/// One operation's entry in the document.
fn operation_doc(op: &Operation, response_names: &BTreeMap<String, String>) -> Value {
    let mut parameters: Vec<Value> = path_params(&op.path)
        .into_iter()
        .map(|name| {
            let schema = path_param_schema(&name);
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    parameters.extend(op.query.iter().map(|(name, description, schema)| {
        json!({"name": name, "in": "query", "required": false,
               "description": description, "schema": schema})
    }));
    let success = match (&op.response, &op.produces) {
        (Some(schema), media) => {
            let mut content = json!({"application/json": {"schema": rename_refs(schema, response_names)}});
            // JSON, or `media` when the caller asks for it (`format=csv`).
            if let Some(media) = media {
                content[media.as_str()] = json!({"schema": {"type": "string"}});
            }
            json!({"description": "success", "content": content})
        }
        (None, Some(media)) => json!({"description": "success",
            "content": {media: {"schema": {"type": "string"}}}}),
        (None, None) => json!({"description": "success"}),
    };
    let mut responses = json!({
        op.status.to_string(): success,
        "default": {"description": "an error",
            "content": {"application/json": {"schema": {"$ref": format!("{SCHEMAS}ApiError")}}}},
    });
    for status in &op.also {
        responses[status.to_string()] = responses[op.status.to_string()].clone();
    }
    let mut doc = json!({
        "summary": op.summary,
        "operationId": operation_id(op),
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(text) = &op.description {
        doc["description"] = json!(text);
    }
    let mut content = Map::new();
    if let Some(schema) = &op.request {
        content.insert("application/json".into(), json!({"schema": schema}));
    }
    for (media, schema) in &op.files {
        content.insert(media.clone(), json!({"schema": schema}));
    }
    if !content.is_empty() {
        doc["requestBody"] = json!({"required": !op.body_optional, "content": content});
    }
    doc["security"] = match op.caller {
        Caller::Public => json!([]),
        Caller::Agent => json!([{"agentToken": []}]),
        Caller::Tenant | Caller::Myself => json!([{"apiToken": []}, {"session": []}]),
    };
    if let Some(right) = op.right {
        doc["x-required-right"] = json!(right.to_string());
        let described = doc["description"]
            .as_str()
            .map(|d| format!("{d}\n\n"))
            .unwrap_or_default();
        doc["description"] = json!(format!("{described}Needs the right `{right}` (403 without it)."));
    }
    doc
}

/// `get_api_v1_materials_code`: unique per method and path.
fn operation_id(op: &Operation) -> String {
    let path: String = op
        .path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut id = format!("{}_{}", op.method, path.trim_matches('_'));
    while id.contains("__") {
        id = id.replace("__", "_");
    }
    id
}

/// The schema of a query parameter by its name: one name means one thing
/// and one form on every route, as the handlers parse it.
fn query_schema(name: &str) -> Value {
    match name {
        "limit" => json!({"type": "integer", "minimum": 1, "maximum": super::params::MAX_LIMIT}),
        "archived" | "zero" => json!({"type": "boolean"}),
        "at" => json!({"type": "string", "format": "date-time"}),
        "on" | "from" | "to" => json!({"type": "string", "format": "date"}),
        "period" => json!({"type": "string", "enum": ["day", "week", "month", "year"]}),
        "format" => json!({"type": "string", "enum": ["json", "csv"]}),
        "quantity" | "lot_size" => {
            json!({"type": "string", "pattern": "^(?!0+(\\.0+)?$)[0-9]{1,12}(\\.[0-9]{1,6})?$",
            "description": "a decimal above zero"})
        }
        "after" | "sheet" => json!({"type": "string"}),
        _ => json!({"$ref": format!("{SCHEMAS}Code")}),
    }
}

/// The schema of a path parameter: a line number, else a code.
fn path_param_schema(name: &str) -> Value {
    if name == "line" {
        json!({"type": "integer", "minimum": 1, "maximum": u32::MAX})
    } else {
        json!({"$ref": format!("{SCHEMAS}Code")})
    }
}

/// `schema` (a record as written) with the fields the API adds to items.
fn item_of(schema: &Value) -> Value {
    let mut item = schema.clone();
    if let Some(properties) = item.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert("archived".into(), json!({"type": "boolean",
            "description": "archived records are kept and readable; DELETE archives, POST …/restore restores"}));
        properties.insert(
            "version".into(),
            json!({"type": "integer", "minimum": 1,
            "description": "the record's version; send it as If-Match to replace it"}),
        );
        properties.insert(
            "updated_at".into(),
            json!({"type": "string", "format": "date-time",
            "description": "when the record was last written (UTC)"}),
        );
    }
    if let Some(required) = item.get_mut("required").and_then(Value::as_array_mut) {
        required.extend(["archived", "version", "updated_at"].map(Value::from));
    } else {
        item["required"] = json!(["archived", "version", "updated_at"]);
    }
    item
}

/// The error answer of every route.
fn api_error_schema() -> Value {
    json!({"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "description": "stable machine-readable code"},
            "message": {"type": "string"},
            "field": {"type": ["string", "null"], "description": "the request field to blame"},
            "acked_seq": {"type": "integer", "minimum": 0,
                "description": "sync errors: the highest sequence number stored"},
            "rows": {"type": "array", "description": "import errors: every bad row",
                "items": {"type": "object"}}}}}})
}

/// The names of the component schemas `value` refers to.
fn referenced(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix(SCHEMAS))
                {
                    out.push(name.to_string());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// `value` with every `$ref` to a renamed schema pointing at its new name.
fn rename_refs(value: &Value, renames: &BTreeMap<String, String>) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let renamed = match (key.as_str(), v.as_str().and_then(|r| r.strip_prefix(SCHEMAS))) {
                        ("$ref", Some(name)) => renames.get(name).map(|n| json!(format!("{SCHEMAS}{n}"))),
                        _ => None,
                    };
                    (key.clone(), renamed.unwrap_or_else(|| rename_refs(v, renames)))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| rename_refs(v, renames)).collect()),
        other => other.clone(),
    }
}

/// The `{name}` segments of an axum path.
pub(crate) fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.trim_start_matches('*').to_string())
        .collect()
}

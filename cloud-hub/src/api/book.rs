//! The route book: every route of the API is added here together with its
//! documentation, so the router and the OpenAPI document
//! (`GET /api/v1/openapi.json`) come from the same list and cannot drift.

use super::HubState;
use axum::Router;
use axum::routing::MethodRouter;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// Anyone (health, metrics, this document).
    Public,
    /// An agent, by its agent token.
    Agent,
    /// A tenant's API token.
    Tenant,
}

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
    /// Query parameters: (name, description).
    pub query: Vec<(String, String)>,
    /// The JSON request body's schema, if it takes one.
    pub request: Option<Value>,
    /// The success response's schema.
    pub response: Option<Value>,
    /// The success status.
    pub status: u16,
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
            query: Vec::new(),
            request: None,
            response: None,
            status: 200,
        }
    }

    /// Who may call it.
    pub fn caller(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, description: &str) -> Self {
        self.query.push((name.into(), description.into()));
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
}

/// Routes and their documentation, built together.
pub(crate) struct RouteBook {
    router: Router<HubState>,
    operations: Vec<Operation>,
    schemas: SchemaGenerator,
}

impl RouteBook {
    /// An empty book.
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            operations: Vec::new(),
            schemas: SchemaGenerator::new(SchemaSettings::openapi3()),
        }
    }

    /// A reference to `T`'s schema in the document's components.
    pub fn schema<T: JsonSchema>(&mut self) -> Value {
        self.schemas.subschema_for::<T>().to_value()
    }

    /// Adds `route` at `operation.path` (several methods of one path merge).
    pub fn add(&mut self, operation: Operation, route: MethodRouter<HubState>) {
        let router = std::mem::take(&mut self.router);
        self.router = router.route(&operation.path, route);
        self.operations.push(operation);
    }

    /// The OpenAPI 3 document of the book.
    pub fn openapi(&mut self) -> Value {
        let mut paths = Map::new();
        for op in &self.operations {
            let entry = paths
                .entry(op.path.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let mut parameters: Vec<Value> = path_params(&op.path)
                .into_iter()
                .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
                .collect();
            parameters.extend(op.query.iter().map(|(name, description)| {
                json!({"name": name, "in": "query", "required": false,
                       "description": description, "schema": {"type": "string"}})
            }));
            let mut doc = json!({
                "summary": op.summary,
                "tags": [op.tag],
                "parameters": parameters,
                "responses": {
                    op.status.to_string(): match &op.response {
                        Some(schema) => json!({"description": "success",
                            "content": {"application/json": {"schema": schema}}}),
                        None => json!({"description": "success"}),
                    },
                    "default": {"description": "an error",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}},
                },
            });
            if let Some(schema) = &op.request {
                doc["requestBody"] = json!({"required": true,
                    "content": {"application/json": {"schema": schema}}});
            }
            doc["security"] = match op.caller {
                Caller::Public => json!([]),
                Caller::Agent => json!([{"agentToken": []}]),
                Caller::Tenant => json!([{"apiToken": []}]),
            };
            entry[op.method] = doc;
        }
        let mut schemas = Map::new();
        for (name, schema) in self.schemas.definitions() {
            schemas.insert(name.clone(), schema.clone());
        }
        schemas.insert(
            "ApiError".into(),
            json!({"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "field": {"type": "string"}, "acked_seq": {"type": "integer"}}}}}),
        );
        json!({
            "openapi": "3.0.3",
            "info": {"title": "Shop-floor MES hub API", "version": env!("CARGO_PKG_VERSION")},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "apiToken": {"type": "http", "scheme": "bearer",
                        "description": "a tenant API token (`cloud-hub token add`)"},
                    "agentToken": {"type": "http", "scheme": "bearer",
                        "description": "an agent token (`cloud-hub agent add`)"},
                },
            },
        })
    }

    /// The router of every added route.
    pub fn into_router(self) -> Router<HubState> {
        self.router
    }
}

/// The `{name}` segments of an axum path.
pub(crate) fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.trim_start_matches('*').to_string())
        .collect()
}

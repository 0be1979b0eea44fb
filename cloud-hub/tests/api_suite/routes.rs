//! The routes of the API as its OpenAPI document lists them: the cases
//! that must cover every route walk this list, so a route added to the
//! route book is covered without editing them.

use axum::http::Method;
use serde_json::Value;

/// Who an operation is for, from its `security`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No security: anyone.
    Public,
    /// `apiToken`: a tenant's API token.
    Tenant,
    /// `agentToken`: an agent's token.
    Agent,
}

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Route {
    /// Its method.
    pub method: Method,
    /// Its path with `{parameters}`.
    pub path: String,
    /// Who may call it.
    pub caller: Caller,
    /// The names of its path parameters, in order.
    pub path_params: Vec<String>,
    /// The names of its query parameters.
    pub query: Vec<String>,
    /// Its request body's schema, if it takes one.
    pub request: Option<Value>,
    /// Its documented success status.
    pub status: u16,
}

impl Route {
    /// `METHOD path`, for messages.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The path before its first parameter, without a trailing slash: the
    /// collection a `{code}` route belongs to.
    pub fn collection(&self) -> &str {
        let end = self.path.find('{').unwrap_or(self.path.len());
        self.path[..end].trim_end_matches('/')
    }

    /// The path with every parameter replaced by `value(name)`.
    pub fn fill(&self, mut value: impl FnMut(&str) -> String) -> String {
        let mut path = self.path.clone();
        for name in &self.path_params {
            path = path.replace(&format!("{{{name}}}"), &percent_encode(&value(name)));
        }
        path
    }
}

/// Every operation of `doc`, in path then method order.
#[track_caller]
pub fn routes(doc: &Value) -> Vec<Route> {
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut routes = Vec::new();
    for (path, item) in paths {
        let item = item
            .as_object()
            .unwrap_or_else(|| panic!("path {path} is an object"));
        for (method, op) in item {
            let method: Method = method
                .to_uppercase()
                .parse()
                .unwrap_or_else(|_| panic!("{path}: {method} is an HTTP method"));
            let security = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path} states its security"));
            let caller = match security.first().and_then(Value::as_object) {
                None => Caller::Public,
                Some(s) if s.contains_key("apiToken") => Caller::Tenant,
                Some(s) if s.contains_key("agentToken") => Caller::Agent,
                Some(s) => panic!("{method} {path}: unknown security scheme {s:?}"),
            };
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let named = |place: &str| -> Vec<String> {
                params
                    .iter()
                    .filter(|p| p["in"] == place)
                    .map(|p| p["name"].as_str().expect("a parameter has a name").to_string())
                    .collect()
            };
            let status = op["responses"]
                .as_object()
                .and_then(|r| r.keys().find_map(|k| k.parse::<u16>().ok().filter(|s| *s < 300)))
                .unwrap_or_else(|| panic!("{method} {path} documents its success status"));
            routes.push(Route {
                method,
                path: path.clone(),
                caller,
                path_params: named("path"),
                query: named("query"),
                request: op
                    .pointer("/requestBody/content/application~1json/schema")
                    .cloned(),
                status,
            });
        }
    }
    routes
}

/// `text` with everything but unreserved URL characters percent-encoded.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

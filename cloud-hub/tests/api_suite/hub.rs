//! The hub under test: the real router (`cloud_hub::api::router`) in
//! process, called request by request with `oneshot`, on a test database;
//! tenants, sites, agents and API tokens are made through the store, as the
//! command line makes them.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use cloud_hub::api::{HubState, IngestLimits, router};
use cloud_hub::metrics::HubMetrics;
use cloud_hub::store::Store;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// The router on one store.
#[derive(Clone)]
pub struct Hub {
    router: Router,
    /// The store under the router.
    pub store: Store,
    /// The router's state (its budgets and gates, for tests that fill them).
    pub state: HubState,
}

/// A provisioned tenant: one site, one API token, one agent. Every code of
/// its fixtures starts with `prefix`, so a code seen in another tenant's
/// answer is recognisably this tenant's.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The tenant's short name.
    pub slug: String,
    /// The prefix of its record codes (`bravo-`).
    pub prefix: String,
    /// Its site's short name.
    pub site: String,
    /// Its API token.
    pub token: String,
    /// Its agent's id.
    pub agent_id: String,
    /// Its agent's token.
    pub agent_token: String,
}

impl Tenant {
    /// This tenant's code for `name` (`bravo-steel`).
    pub fn code(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

impl Hub {
    /// The router on `store`, with the default ingest limits.
    pub fn new(store: &Store) -> Hub {
        Hub::with_clock(store, cloud_hub::clock::system_clock())
    }

    /// [`Hub::new`] whose "now" is `clock`.
    pub fn with_clock(store: &Store, clock: cloud_hub::clock::Clock) -> Hub {
        Hub::with(
            store,
            IngestLimits {
                max_body_bytes: 4 << 20,
                max_inflated_bytes: 32 << 20,
                ..IngestLimits::default()
            },
            clock,
        )
    }

    /// The router on `store` with ingest `limits`.
    pub fn with(store: &Store, limits: IngestLimits, clock: cloud_hub::clock::Clock) -> Hub {
        let state = HubState::new(store.clone(), Arc::new(HubMetrics::default()), limits, clock);
        Hub {
            router: router(state.clone()),
            store: store.clone(),
            state,
        }
    }

    /// Creates tenant `name` (prefix `name-`, site `name-site`) with an API
    /// token and an agent, through the store's blocking methods.
    pub async fn tenant(&self, name: &str) -> Tenant {
        let store = self.store.clone();
        let slug = format!("tenant-{name}");
        let site = format!("{name}-site");
        let (token, agent) = {
            let (slug, site) = (slug.clone(), site.clone());
            tokio::task::spawn_blocking(move || {
                store.create_tenant(&slug).expect("a new tenant is created");
                store.create_site(&slug, &site).expect("a new site is created");
                let token = store
                    .create_api_token(&slug, "api-suite")
                    .expect("an API token is created");
                let agent = store
                    .create_agent(&slug, &site, "gateway")
                    .expect("an agent is created");
                (token, agent)
            })
            .await
            .expect("the provisioning thread finishes")
        };
        Tenant {
            slug,
            prefix: format!("{name}-"),
            site,
            token: token.token,
            agent_id: agent.agent_id.to_string(),
            agent_token: agent.token,
        }
    }

    /// A request to build and send.
    pub fn req(&self, method: Method, path: impl Into<String>) -> Call<'_> {
        Call {
            hub: self,
            method,
            path: path.into(),
            token: None,
            body: None,
            if_match: None,
            headers: Vec::new(),
            stream: None,
        }
    }

    /// `GET path` with `token`.
    pub async fn get(&self, path: impl Into<String>, token: &str) -> Reply {
        self.req(Method::GET, path).token(token).send().await
    }

    /// `POST path` with `token` and a JSON body.
    pub async fn post(&self, path: impl Into<String>, token: &str, body: &Value) -> Reply {
        self.req(Method::POST, path).token(token).json(body).send().await
    }
}

/// One request being built.
pub struct Call<'h> {
    hub: &'h Hub,
    method: Method,
    path: String,
    token: Option<String>,
    body: Option<Vec<u8>>,
    if_match: Option<String>,
    headers: Vec<(String, String)>,
    stream: Option<Body>,
}

impl Call<'_> {
    /// Sends `Authorization: Bearer <token>`.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    /// Sends `value` as a JSON body.
    pub fn json(mut self, value: &Value) -> Self {
        self.body = Some(serde_json::to_vec(value).expect("a JSON value serialises"));
        self
    }

    /// Sends `bytes` as the body, labelled JSON.
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.body = Some(bytes.to_vec());
        self
    }

    /// Sends header `name: value` (a `Content-Type` given here replaces
    /// the JSON one).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sends `body` as it is, with no Content-Type unless one is given.
    pub fn stream(mut self, body: Body) -> Self {
        self.stream = Some(body);
        self
    }

    /// Sends `If-Match: <value>`.
    pub fn if_match(mut self, value: impl ToString) -> Self {
        self.if_match = Some(value.to_string());
        self
    }

    /// Sends the request through the router and reads the whole answer.
    pub async fn send(self) -> Reply {
        let what = format!("{} {}", self.method, self.path);
        let mut request = Request::builder().method(self.method).uri(&self.path);
        if let Some(token) = &self.token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(version) = &self.if_match {
            request = request.header(header::IF_MATCH, version);
        }
        let typed = self
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let body = match (self.stream, self.body) {
            (Some(body), _) => body,
            (None, Some(bytes)) => {
                if !typed {
                    request = request.header(header::CONTENT_TYPE, "application/json");
                }
                Body::from(bytes)
            }
            (None, None) => Body::empty(),
        };
        let request = request.body(body).expect("the test builds a valid request");
        let response = self
            .hub
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router's error type is Infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("an in-process body can be read")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            what,
            status,
            headers,
            etag,
            body,
            text,
        }
    }
}

/// A whole answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// `METHOD path`, for messages.
    pub what: String,
    /// The status.
    pub status: StatusCode,
    /// Every header of the answer.
    pub headers: axum::http::HeaderMap,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{} answered {} {}",
            self.what,
            self.status,
            self.text
        );
        self
    }

    /// Asserts an error answer: status, `error.code` and `error.field`.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str, field: Option<&str>) -> Self {
        let reply = self.expect(status);
        let error = &reply.body["error"];
        assert_eq!(
            error["code"].as_str(),
            Some(code),
            "{}: error code in {}",
            reply.what,
            reply.text
        );
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}: an error says why: {}",
            reply.what,
            reply.text
        );
        assert_eq!(
            error["field"].as_str(),
            field,
            "{}: error field in {}",
            reply.what,
            reply.text
        );
        reply
    }

    /// The item's `version`.
    #[track_caller]
    pub fn version(&self) -> i64 {
        self.body["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("{}: no version in {}", self.what, self.text))
    }

    /// The `code`s (or `material`s, for BOMs and routings) of a list page's items.
    #[track_caller]
    pub fn codes(&self) -> Vec<String> {
        self.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: not a list page: {}", self.what, self.text))
            .iter()
            .map(|item| code_of(item).unwrap_or_else(|| panic!("{}: item without code: {item}", self.what)))
            .collect()
    }

    /// A list page's `next` cursor.
    pub fn next(&self) -> Option<String> {
        self.body["next"].as_str().map(str::to_string)
    }
}

/// A record's code: its `code`, or for the per-material kinds (BOMs,
/// routings) its `material`.
pub fn code_of(item: &Value) -> Option<String> {
    item.get("code")
        .or_else(|| item.get("material"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// `value` with the bookkeeping fields the API adds removed.
pub fn without_bookkeeping(value: &Value) -> Value {
    let mut value = value.clone();
    if let Value::Object(map) = &mut value {
        for key in ["archived", "version", "updated_at"] {
            map.remove(key);
        }
    }
    value
}

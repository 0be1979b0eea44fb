//! The one HTTP connection to the hub: client (timeouts, user agent,
//! rustls), base URL and the agent's bearer token, and the one mapping of
//! answers: a success is its body (with the hub's `Date` and when the
//! request went and came back, for the clock offset), anything else a
//! [`HubFailure`] carrying the hub's JSON error when it sent one.

use super::reachable::HubReachable;
use mes_protocols::Seq;
use mes_protocols::wire::ApiError;
use reqwest::RequestBuilder;
use reqwest::header::{AUTHORIZATION, DATE};
use std::time::{Duration, SystemTime};

/// Why a request to the hub gave no answer the caller can use.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HubFailure {
    /// The hub could not be reached or did not answer in time.
    #[error("hub unreachable: {0}")]
    Network(String),
    /// The hub answered with an error status.
    #[error("hub answered {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The error code of the hub's JSON error, empty without one.
        code: String,
        /// The hub's message, with the field it names (`… (field since)`),
        /// or the start of its body when it was not a JSON error.
        message: String,
        /// What the hub has stored of this agent's sequence, when it says.
        acked_seq: Option<Seq>,
    },
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The body.
    pub body: Vec<u8>,
    /// The hub's `Date` header, when it sent a readable one.
    pub date: Option<SystemTime>,
    /// When the request was sent, by the agent's clock.
    pub sent: SystemTime,
    /// When the answer arrived, by the agent's clock.
    pub received: SystemTime,
}

/// The agent's connection to one hub; cheap to clone (the client pools its
/// connections).
#[derive(Clone)]
pub struct HubConnection {
    http: reqwest::Client,
    base: String,
    auth: String,
    reachable: HubReachable,
}

impl std::fmt::Debug for HubConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("HubConnection").field("base", &self.base).finish()
    }
}

impl HubConnection {
    /// A connection to the hub at `base_url` with the agent's bearer
    /// `token`; a request gives up after `timeout`.
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("mes-edge-agent/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            auth: format!("Bearer {token}"),
            reachable: HubReachable::default(),
        })
    }

    /// Raised at every successful answer through this connection.
    pub fn reachable(&self) -> &HubReachable {
        &self.reachable
    }

    /// A GET of `path` (`/api/v1/...`) with the agent's token.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .header(AUTHORIZATION, &self.auth)
    }

    /// A POST to `path` with the agent's token.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .header(AUTHORIZATION, &self.auth)
    }

    /// Sends `request` (made by [`get`](Self::get) or [`post`](Self::post))
    /// and reads the whole answer.
    pub async fn exchange(&self, request: RequestBuilder) -> Result<Answer, HubFailure> {
        let sent = SystemTime::now();
        let response = request
            .send()
            .await
            .map_err(|e| HubFailure::Network(error_chain(&e)))?;
        let received = SystemTime::now();
        let status = response.status();
        let date = response
            .headers()
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        let body = response
            .bytes()
            .await
            .map_err(|e| HubFailure::Network(error_chain(&e)))?;
        if !status.is_success() {
            return Err(failure(status.as_u16(), &body));
        }
        self.reachable.reached();
        Ok(Answer {
            body: body.to_vec(),
            date,
            sent,
            received,
        })
    }
}

/// The failure an error answer describes: the hub's JSON error when the
/// body is one, else the start of the body.
fn failure(status: u16, body: &[u8]) -> HubFailure {
    match serde_json::from_slice::<ApiError>(body) {
        Ok(e) => HubFailure::Status {
            status,
            message: match e.error.field {
                Some(field) => format!("{} (field {field})", e.error.message),
                None => e.error.message,
            },
            code: e.error.code,
            acked_seq: e.error.acked_seq,
        },
        Err(_) => HubFailure::Status {
            status,
            code: String::new(),
            message: String::from_utf8_lossy(body).chars().take(300).collect(),
            acked_seq: None,
        },
    }
}

/// An error with its chain of causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_keep_code_field_and_sequence_and_others_their_start() {
        let body =
            br#"{"error":{"code":"sequence_gap","message":"expected 5","field":"first_seq","acked_seq":4}}"#;
        match failure(409, body) {
            HubFailure::Status {
                status,
                code,
                message,
                acked_seq,
            } => {
                assert_eq!((status, code.as_str()), (409, "sequence_gap"));
                assert_eq!(message, "expected 5 (field first_seq)");
                assert_eq!(acked_seq, Some(Seq(4)));
            }
            other => panic!("unexpected {other:?}"),
        }
        let failure = failure(502, b"<html>bad gateway</html>");
        assert_eq!(failure.to_string(), "hub answered 502: <html>bad gateway</html>");
    }
}

//! The one place where failures become HTTP answers: a status and the JSON
//! body `{ "error": { "code", "message", "field" } }`.

use crate::ingest::{BodyError, is_too_large};
use crate::store::{IngestRejection, StoreError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use mes_protocols::Seq;
use mes_protocols::wire::{ApiError, ApiErrorDetail};

/// An error answer of the API.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ApiError,
    /// Seconds to send as `Retry-After` (503 and 429 answers).
    pub retry_after: Option<u64>,
}

impl ApiFailure {
    /// A failure with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ApiError {
                error: ApiErrorDetail {
                    code: code.into(),
                    message: message.into(),
                    field: None,
                    acked_seq: None,
                },
            },
            retry_after: None,
        }
    }

    /// 503 (or 429 with `status`): the hub is busy; the caller may retry
    /// after `seconds` (sent as `Retry-After`).
    pub fn busy(status: StatusCode, code: &str, message: impl Into<String>, seconds: u64) -> Self {
        let mut failure = Self::new(status, code, message);
        failure.retry_after = Some(seconds);
        failure
    }

    /// 422 `invalid` blaming `field`: a request the document allows that a
    /// rule beyond it refuses (a rule across fields, or against the
    /// tenant's data).
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", reason).field(field)
    }

    /// The same failure, blaming `field`.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.body.error.field = (!field.is_empty()).then_some(field);
        self
    }

    fn acked(mut self, acked: Seq) -> Self {
        self.body.error.acked_seq = Some(acked);
        self
    }

    /// 401: no or unknown bearer token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or unknown bearer token",
        )
    }

    /// The machine-readable code.
    pub fn code(&self) -> &str {
        &self.body.error.code
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, name } => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} `{name}` not found"),
            ),
            StoreError::Exists { what, name } => Self::new(
                StatusCode::CONFLICT,
                "exists",
                format!("{what} `{name}` exists already"),
            ),
            StoreError::VersionConflict {
                what,
                name,
                expected,
                found,
            } => Self::new(
                StatusCode::CONFLICT,
                "version_conflict",
                format!("{what} `{name}` is at version {found}, not {expected}: read it again"),
            ),
            other => {
                tracing::error!(error = %other, "storage failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "storage_error",
                    "the hub could not store or read data",
                )
            }
        }
    }
}

impl From<BodyError> for ApiFailure {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { limit } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the decompressed batch is larger than {limit} bytes"),
            ),
            BodyError::BadGzip(msg) => Self::new(StatusCode::BAD_REQUEST, "malformed_body", msg),
            BodyError::Batch(b) => {
                let status = if is_too_large(&b) {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                };
                Self::new(status, b.code.as_str(), b.detail.reason).field(b.detail.field)
            }
        }
    }
}

impl From<IngestRejection> for ApiFailure {
    fn from(r: IngestRejection) -> Self {
        match r {
            IngestRejection::Gap { acked, first } => Self::new(
                StatusCode::CONFLICT,
                "sequence_gap",
                format!(
                    "the hub has this incarnation up to {acked}; a batch starting at {first} leaves a gap"
                ),
            )
            .field("first_seq")
            .acked(acked),
            IngestRejection::Conflict { acked, seq } => Self::new(
                StatusCode::CONFLICT,
                "sequence_conflict",
                format!("sequence {seq} is stored with a different event (stored up to {acked})"),
            )
            .field("events")
            .acked(acked),
        }
    }
}

impl From<crate::error::HubError> for ApiFailure {
    fn from(e: crate::error::HubError) -> Self {
        use crate::error::HubError as E;
        match e {
            E::Invalid(field) => Self::invalid(field.field, field.reason),
            E::NotFound { kind, code } => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{} `{code}` not found", kind.replace('_', " ")),
            ),
            E::Exists { kind, code } => Self::new(
                StatusCode::CONFLICT,
                "exists",
                format!(
                    "{} `{code}` exists already (perhaps archived)",
                    kind.replace('_', " ")
                ),
            )
            .field("code"),
            E::VersionConflict {
                kind,
                code,
                expected,
                found,
            } => Self::new(
                StatusCode::CONFLICT,
                "version_conflict",
                format!(
                    "{} `{code}` is at version {found}, not {expected}: read it again",
                    kind.replace('_', " ")
                ),
            )
            .field("If-Match"),
            E::InvalidState { kind, code, reason } => Self::new(
                StatusCode::CONFLICT,
                "invalid_state",
                format!("{} `{code}`: {reason}", kind.replace('_', " ")),
            )
            .field("status"),
            E::Unreadable { kind, code, reason } => {
                tracing::error!(kind, code, reason, "stored record cannot be read");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "storage_error",
                    format!("stored {} `{code}` cannot be read", kind.replace('_', " ")),
                )
            }
            E::Store(e) => e.into(),
        }
    }
}

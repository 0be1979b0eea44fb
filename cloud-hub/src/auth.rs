//! Bearer tokens on the HTTP side: reading the `Authorization` header. How
//! tokens are made and hashed lives with the store (`store::tokens`), which
//! is the only place that turns a token into a tenant.

pub use crate::store::tokens::{AGENT_TOKEN_PREFIX, API_TOKEN_PREFIX, hash_token, new_token};

/// The token of an `Authorization: Bearer …` header value.
pub fn bearer(header: Option<&axum::http::HeaderValue>) -> Option<&str> {
    let value = header?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

//! Browser sessions on the HTTP side: the cookie (its name, attributes and
//! secret), the CSRF check, and when a session has expired. The store
//! keeps only the SHA-256 of the cookie's secret.

use crate::store::tokens::{hash_token, new_token};
use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq;

/// The cookie's name when the hub is reached over HTTPS (or on
/// `localhost`, which browsers treat as secure): the `__Host-` prefix
/// makes browsers refuse it unless it is `Secure`, has `Path=/` and no
/// `Domain`, so no other host or path can set or shadow it.
pub const SECURE_COOKIE: &str = "__Host-mes_session";
/// The cookie's name over plain HTTP on a plant network, where browsers
/// refuse `Secure` cookies (and so `__Host-` ones).
pub const PLAIN_COOKIE: &str = "mes_session";
/// The header a state-changing request of a browser session carries its
/// CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A new session secret (256 random bits) and the hash the store keeps.
pub fn new_secret() -> (String, Vec<u8>) {
    let secret = new_token("mess_");
    let hash = hash_token(&secret);
    (secret, hash)
}

/// A new CSRF token (256 random bits).
pub fn new_csrf_token() -> String {
    new_token("csrf_")
}

/// The hash of a cookie's secret, as stored.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    hash_token(secret)
}

/// Whether the request reached the hub over HTTPS (a proxy says so with
/// `X-Forwarded-Proto`) or on localhost: then the cookie is `Secure` and
/// `__Host-` prefixed.
pub fn secure_context(headers: &HeaderMap) -> bool {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    forwarded_https || matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

/// The `Set-Cookie` value that starts a session.
pub fn set_cookie(secret: &str, secure: bool) -> String {
    if secure {
        format!("{SECURE_COOKIE}={secret}; Path=/; HttpOnly; Secure; SameSite=Lax")
    } else {
        format!("{PLAIN_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax")
    }
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    if secure {
        format!("{SECURE_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0")
    } else {
        format!("{PLAIN_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }
}

/// The session secret a request's cookies carry, if any.
pub fn secret_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| (*name == SECURE_COOKIE || *name == PLAIN_COOKIE) && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// Whether the request carries the session's CSRF token (compared in
/// constant time).
pub fn csrf_matches(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(CSRF_HEADER)
        .map(|v| bool::from(v.as_bytes().ct_eq(expected.as_bytes())))
        .unwrap_or(false)
}

/// Why a session has ended on its own at `now`, if it has.
pub fn expiry(
    created_at: i64,
    last_seen_at: i64,
    now: i64,
    idle_ms: i64,
    absolute_ms: i64,
) -> Option<&'static str> {
    if now - created_at >= absolute_ms {
        Some("absolute timeout")
    } else if now - last_seen_at >= idle_ms {
        Some("idle timeout")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_secret_is_long_and_only_its_hash_is_kept() {
        let (secret, hash) = new_secret();
        assert!(secret.len() >= 40, "256 bits in base64");
        assert_eq!(hash, secret_hash(&secret));
        assert_ne!(new_secret().0, secret);
    }

    #[test]
    fn the_cookie_is_host_prefixed_and_secure_over_https_or_localhost() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("localhost:8080"));
        assert!(secure_context(&headers));
        headers.insert(header::HOST, HeaderValue::from_static("10.0.0.5:8080"));
        assert!(!secure_context(&headers));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(secure_context(&headers));
        let cookie = set_cookie("abc", true);
        assert!(cookie.starts_with("__Host-mes_session=abc; Path=/; HttpOnly; Secure; SameSite=Lax"));
        assert!(!set_cookie("abc", false).contains("Secure"));
    }

    #[test]
    fn the_secret_is_read_from_either_cookie_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("lang=zh; __Host-mes_session=s3cret"),
        );
        assert_eq!(secret_from(&headers).as_deref(), Some("s3cret"));
        headers.insert(header::COOKIE, HeaderValue::from_static("mes_session="));
        assert_eq!(secret_from(&headers), None);
    }

    #[test]
    fn csrf_must_match_exactly() {
        let mut headers = HeaderMap::new();
        assert!(!csrf_matches(&headers, "csrf_x"));
        headers.insert(CSRF_HEADER, HeaderValue::from_static("csrf_y"));
        assert!(!csrf_matches(&headers, "csrf_x"));
        headers.insert(CSRF_HEADER, HeaderValue::from_static("csrf_x"));
        assert!(csrf_matches(&headers, "csrf_x"));
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let (idle, absolute) = (30 * 60_000, 12 * 3_600_000);
        assert_eq!(expiry(0, 0, idle - 1, idle, absolute), None);
        assert_eq!(expiry(0, 0, idle, idle, absolute), Some("idle timeout"));
        assert_eq!(
            expiry(0, absolute - 1, absolute, idle, absolute),
            Some("absolute timeout")
        );
    }
}

//! Turning templates into responses, and the friendly error pages: a
//! person sees what happened in their language and where to go next; the
//! details go to the log, never onto the page.

use super::i18n::{Catalog, Lang};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

/// Why a page is not shown.
#[derive(Debug)]
pub enum PageError {
    /// Nobody is logged in: to the login page, then back to `back_to`.
    Login {
        /// The page asked for (path and query).
        back_to: String,
    },
    /// The viewer lacks the page's right (403).
    Forbidden(Lang),
    /// No such page or record (404).
    NotFound(Lang),
    /// Something failed on our side (500); the text is logged only.
    Internal(Lang, String),
}

impl From<crate::error::HubError> for PageError {
    fn from(e: crate::error::HubError) -> Self {
        match e {
            crate::error::HubError::NotFound { .. } => PageError::NotFound(Lang::En),
            other => PageError::Internal(Lang::En, other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Catalog,
    status: u16,
    title: &'a str,
    explain: &'a str,
}

/// Where the login page may send a person back to: a console path only
/// (never another site: no open redirect).
pub fn safe_back_to(back_to: &str) -> &str {
    let local = back_to.starts_with("/console/") && !back_to.starts_with("//") && !back_to.contains('\\');
    if local { back_to } else { "/console/" }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (lang, status, title, explain) = match &self {
            PageError::Login { back_to } => {
                let target = format!("/console/login?next={}", urlencode(safe_back_to(back_to)));
                return Redirect::to(&target).into_response();
            }
            PageError::Forbidden(lang) => (
                *lang,
                StatusCode::FORBIDDEN,
                "error.forbidden",
                "error.forbidden_explain",
            ),
            PageError::NotFound(lang) => (
                *lang,
                StatusCode::NOT_FOUND,
                "error.not_found",
                "error.not_found_explain",
            ),
            PageError::Internal(lang, detail) => {
                tracing::error!(error = %detail, "console page failed");
                (
                    *lang,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error.internal",
                    "error.internal_explain",
                )
            }
        };
        let t = Catalog::of(lang);
        let page = ErrorPage {
            t,
            status: status.as_u16(),
            title: t.m(title),
            explain: t.m(explain),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page does not render");
                status.into_response()
            }
        }
    }
}

/// A rendered page (200), or the 500 page when the template fails.
pub fn page(template: &impl Template, lang: Lang) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => PageError::Internal(lang, format!("template: {e}")).into_response(),
    }
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The Content-Security-Policy of every console response: scripts,
/// styles, images and connections from the hub only; no inline script
/// or style; no framing; forms post only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the console's security headers to a response: the CSP, no MIME
/// sniffing, no referrer to other sites, and (pages, which carry a CSRF
/// token) no caching.
pub async fn security_headers(response: Response) -> Response {
    let mut response = response;
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let is_html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_to_stays_on_the_console() {
        assert_eq!(safe_back_to("/console/orders?x=1"), "/console/orders?x=1");
        assert_eq!(safe_back_to("//evil.example/console/"), "/console/");
        assert_eq!(safe_back_to("https://evil.example/"), "/console/");
        assert_eq!(safe_back_to("/console/\\evil"), "/console/");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(urlencode("/console/a b?c=d&e"), "/console/a%20b%3Fc%3Dd%26e");
    }
}

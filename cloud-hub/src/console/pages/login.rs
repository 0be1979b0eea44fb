//! The login page and the console's front door. The form posts to the
//! API's `POST /api/v1/auth/login` from the page's script (one login path
//! for the console and API clients: the same throttling, one-session rule
//! and audit), then goes to the page asked for.

use super::super::chrome::SECTIONS;
use super::super::i18n::{Catalog, LANG_COOKIE, Lang};
use super::super::render::{PageError, page, safe_back_to, urlencode};
use super::super::viewer::{Viewer, anonymous_lang};
use crate::store::rights::Action;
use askama::Template;
use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Catalog,
    next: String,
    next_encoded: String,
    tenant: String,
    other_lang: &'static str,
    other_lang_name: &'static str,
}

/// The login page's query.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// The page to go to after logging in.
    next: Option<String>,
    /// A language picked on the page (`en`, `zh`).
    lang: Option<String>,
    /// The company, filled in.
    tenant: Option<String>,
}

/// `GET /console/login`.
pub async fn show(headers: HeaderMap, Query(query): Query<LoginQuery>) -> Response {
    let picked = query.lang.as_deref().and_then(Lang::from_code);
    let lang = picked.unwrap_or_else(|| anonymous_lang(&headers));
    let next = safe_back_to(query.next.as_deref().unwrap_or("/console/")).to_string();
    let other = lang.other();
    let template = LoginPage {
        t: Catalog::of(lang),
        next_encoded: urlencode(&next),
        next,
        tenant: query.tenant.unwrap_or_default().chars().take(100).collect(),
        other_lang: other.code(),
        other_lang_name: Catalog::of(other).m("lang.own_name"),
    };
    let mut response = page(&template, lang);
    if let Some(lang) = picked
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        ))
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /` and `GET /console/`: the first section the viewer may open.
pub async fn front_door(viewer: Result<Viewer, PageError>) -> Response {
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(refusal) => return refusal.into_response(),
    };
    match SECTIONS
        .iter()
        .find(|(_, _, _, module)| viewer.may(*module, Action::View))
    {
        Some((_, href, _, _)) => Redirect::to(href).into_response(),
        None => PageError::Forbidden(viewer.lang).into_response(),
    }
}

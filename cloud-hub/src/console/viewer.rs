//! Who is looking at a console page: the browser session's user (the
//! cookie only; API tokens are for the API), their language and CSRF
//! token, and the check every page makes, "may this viewer do this action
//! on this module (at this site)".
//!
//! A page without a session redirects to the login page with the page to
//! come back to; a page the viewer lacks the right for is a friendly 403.

use super::i18n::{Catalog, Lang};
use super::render::PageError;
use crate::access::principal::{self, Principal, Refusal};
use crate::api::HubState;
use crate::store::access::Credential;
use crate::store::rights::{Action, Module, Right, SiteScope};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};

/// The logged-in user of a page request.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The user and what they hold.
    pub principal: Principal,
    /// The language pages are shown in.
    pub lang: Lang,
    /// The session's CSRF token, which the page's script sends with every
    /// change it asks of the API.
    pub csrf_token: String,
}

impl Viewer {
    /// The viewer's texts.
    pub fn texts(&self) -> &'static Catalog {
        Catalog::of(self.lang)
    }

    /// A 404 page in the viewer's language.
    pub fn not_found(&self) -> PageError {
        PageError::NotFound(self.lang)
    }

    /// A 500 page in the viewer's language; `detail` goes to the log only.
    pub fn failed(&self, detail: impl std::fmt::Display) -> PageError {
        PageError::Internal(self.lang, detail.to_string())
    }

    /// Whether the viewer holds `action` on `module` anywhere.
    pub fn may(&self, module: Module, action: Action) -> bool {
        self.principal.scope_of(Right::new(module, action)).is_some()
    }

    /// Where the viewer holds `action` on `module`, or a 403 page.
    pub fn require(&self, module: Module, action: Action) -> Result<SiteScope, PageError> {
        self.principal
            .scope_of(Right::new(module, action))
            .ok_or(PageError::Forbidden(self.lang))
    }

    /// A 403 page unless the viewer holds `action` on `module` at `site`.
    pub fn require_at(&self, module: Module, action: Action, site: &str) -> Result<(), PageError> {
        if self.require(module, action)?.covers(site) {
            Ok(())
        } else {
            Err(PageError::Forbidden(self.lang))
        }
    }
}

impl FromRequestParts<HubState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<Self, Self::Rejection> {
        let back_to = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let login = || PageError::Login {
            back_to: back_to.clone(),
        };
        // Pages take the session cookie only: a bearer header is not how a
        // browser comes, and the API is where tokens go.
        let mut headers = parts.headers.clone();
        headers.remove(axum::http::header::AUTHORIZATION);
        let principal = match principal::authenticate(
            &state.store,
            &state.access,
            &headers,
            &Method::GET,
            (state.clock)(),
        )
        .await
        {
            Ok(principal) => principal,
            Err(Refusal::Unauthenticated | Refusal::CsrfMissing) => return Err(login()),
            Err(Refusal::Store(e)) => {
                return Err(PageError::Internal(anonymous_lang(&parts.headers), e.to_string()));
            }
        };
        let Credential::Session { csrf_token, .. } = &principal.credential else {
            return Err(login());
        };
        let csrf_token = csrf_token.clone();
        let lang = Lang::choose(principal.language.as_deref(), &parts.headers);
        Ok(Viewer {
            principal,
            lang,
            csrf_token,
        })
    }
}

/// The language of a page nobody is logged in to (the login page, error
/// pages before a session is known).
pub fn anonymous_lang(headers: &HeaderMap) -> Lang {
    Lang::choose(None, headers)
}

//! What every page around its content shows: the navigation (only the
//! links the viewer holds the right for), the user, the language switch,
//! and the CSRF token the page's script sends with changes.

use super::i18n::Catalog;
use super::viewer::Viewer;
use crate::store::rights::{Action, Module};

/// One link of the navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// Its text.
    pub label: &'static str,
    /// Its stable name (`board`, `orders`, ...), for tests and styling.
    pub name: &'static str,
    /// Whether it is the page shown.
    pub current: bool,
}

/// The console's sections: name, path, catalog key and the right that
/// shows the link (the page itself checks the same right).
pub const SECTIONS: &[(&str, &str, &str, Module)] = &[
    ("board", "/console/board", "nav.board", Module::Equipment),
    ("oee", "/console/oee", "nav.oee", Module::Equipment),
    ("orders", "/console/orders", "nav.orders", Module::Production),
    ("plan", "/console/plan", "nav.plan", Module::Scheduling),
    ("master", "/console/master", "nav.master", Module::MasterData),
    ("stock", "/console/stock", "nav.stock", Module::Stock),
    ("shortages", "/console/shortages", "nav.shortages", Module::Stock),
    (
        "approvals",
        "/console/unapproved-stock",
        "nav.approvals",
        Module::Stock,
    ),
    ("costs", "/console/costs", "nav.costs", Module::Costing),
    ("sales", "/console/sales", "nav.sales", Module::Sales),
    ("agents", "/console/agents", "nav.agents", Module::Agents),
    ("users", "/console/users", "nav.users", Module::System),
];

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The viewer's texts.
    pub t: &'static Catalog,
    /// `<html lang>`.
    pub lang_tag: &'static str,
    /// The code of the language the switch offers.
    pub other_lang: &'static str,
    /// The switch's text (the other language's own name).
    pub other_lang_name: &'static str,
    /// The viewer's login.
    pub user: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The links the viewer may follow.
    pub nav: Vec<NavLink>,
    /// The page's title.
    pub title: String,
}

impl Chrome {
    /// The frame of the page `current` (a section name) titled by the
    /// catalog key `title_key`.
    pub fn new(viewer: &Viewer, current: &str, title: impl Into<String>) -> Chrome {
        let t = viewer.texts();
        let other = viewer.lang.other();
        Chrome {
            t,
            lang_tag: viewer.lang.tag(),
            other_lang: other.code(),
            other_lang_name: Catalog::of(other).m("lang.own_name"),
            user: viewer.principal.login.clone(),
            csrf_token: viewer.csrf_token.clone(),
            nav: SECTIONS
                .iter()
                .filter(|(_, _, _, module)| viewer.may(*module, Action::View))
                .map(|&(name, href, key, _)| NavLink {
                    href,
                    label: t.m(key),
                    name,
                    current: name == current,
                })
                .collect(),
            title: title.into(),
        }
    }
}

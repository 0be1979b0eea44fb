//! The console's message catalogs: every text a page shows, by key, in
//! English and Simplified Chinese (`i18n/en.toml`, `i18n/zh.toml`,
//! embedded in the binary). A user's stored language wins; else the
//! `mes_lang` cookie (the login page's switch); else the browser's
//! `Accept-Language`; else English.
//!
//! A key missing from a catalog shows the English text (and the key
//! itself if English lacks it too); the test below keeps the two catalogs
//! to the same keys and every key the templates use present.

use axum::http::{HeaderMap, header};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A language the console is shipped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Its code as stored on a user and in the cookie (`en`, `zh`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// Its BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }

    /// The language of a stored or sent code (`zh`, `zh-CN`, `en-GB`, ...).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The other language (what the switch offers).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// The language for a request: `stored` (the user's setting), else the
    /// `mes_lang` cookie, else the first `Accept-Language` entry we ship,
    /// else English.
    pub fn choose(stored: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(lang) = stored.and_then(Lang::from_code) {
            return lang;
        }
        if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(|v| Lang::from_code(&v)) {
            return lang;
        }
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .into_iter()
            .flat_map(|v| v.split(','))
            .filter_map(|entry| {
                let mut parts = entry.split(';');
                let tag = parts.next()?.trim();
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((Lang::from_code(tag)?, weight))
            })
            .filter(|(_, weight)| *weight > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(lang, _)| lang)
            .unwrap_or(Lang::En)
    }
}

/// The cookie the login page's language switch sets (before anyone is
/// logged in; a user's own setting wins over it).
pub const LANG_COOKIE: &str = "mes_lang";

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

/// One language's texts.
#[derive(Debug)]
pub struct Catalog {
    lang: Lang,
    texts: HashMap<String, String>,
}

const EN: &str = include_str!("i18n/en.toml");
const ZH: &str = include_str!("i18n/zh.toml");

fn parse(lang: Lang, source: &str) -> Catalog {
    // The catalogs are part of the binary and checked by the tests below;
    // a broken one shows keys rather than stopping the hub.
    let texts = match toml::from_str::<HashMap<String, String>>(source) {
        Ok(texts) => texts,
        Err(e) => {
            tracing::error!(language = lang.code(), error = %e, "console catalog does not parse");
            HashMap::new()
        }
    };
    Catalog { lang, texts }
}

impl Catalog {
    /// The catalog of `lang`.
    pub fn of(lang: Lang) -> &'static Catalog {
        static EN_CATALOG: OnceLock<Catalog> = OnceLock::new();
        static ZH_CATALOG: OnceLock<Catalog> = OnceLock::new();
        match lang {
            Lang::En => EN_CATALOG.get_or_init(|| parse(Lang::En, EN)),
            Lang::Zh => ZH_CATALOG.get_or_init(|| parse(Lang::Zh, ZH)),
        }
    }

    /// Its language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The text of `key` (English when this catalog lacks it, the key
    /// itself when English does too).
    pub fn m<'a>(&'a self, key: &'a str) -> &'a str {
        if let Some(text) = self.texts.get(key) {
            return text;
        }
        if self.lang != Lang::En
            && let Some(text) = Catalog::of(Lang::En).texts.get(key)
        {
            return text;
        }
        key
    }

    /// The text of `key`, or `fallback` when neither this catalog nor
    /// English has it (for keys made at run time, such as a kind's title).
    pub fn m_or<'a>(&'a self, key: &str, fallback: &'a str) -> &'a str {
        self.texts
            .get(key)
            .or_else(|| Catalog::of(Lang::En).texts.get(key))
            .map_or(fallback, String::as_str)
    }

    /// The text of `key` with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.m(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::collections::BTreeSet;

    fn keys(source: &str) -> BTreeSet<String> {
        toml::from_str::<HashMap<String, String>>(source)
            .expect("the catalog parses")
            .into_keys()
            .collect()
    }

    #[test]
    fn both_catalogs_have_the_same_keys() {
        let (en, zh) = (keys(EN), keys(ZH));
        let only_en: Vec<_> = en.difference(&zh).collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in zh.toml: {only_en:?}");
        assert!(only_zh.is_empty(), "missing in en.toml: {only_zh:?}");
    }

    #[test]
    fn every_key_the_templates_and_pages_use_is_in_the_catalog() {
        let en = keys(EN);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console");
        let mut missing = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("console folder reads") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                // This file's own tests name keys that do not exist.
                if path.file_name().is_some_and(|n| n == "i18n.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for marker in [".m(\"", ".fill(\""] {
                    for piece in text.split(marker).skip(1) {
                        let key = piece.split('"').next().unwrap_or_default();
                        if !key.is_empty() && !en.contains(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys not in en.toml: {missing:#?}");
    }

    #[test]
    fn the_language_comes_from_the_user_then_the_cookie_then_the_browser() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::choose(None, &headers), Lang::En);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE,zh-CN;q=0.9,en;q=0.8"),
        );
        assert_eq!(Lang::choose(None, &headers), Lang::Zh);
        headers.insert(header::COOKIE, HeaderValue::from_static("mes_lang=en"));
        assert_eq!(Lang::choose(None, &headers), Lang::En);
        assert_eq!(Lang::choose(Some("zh"), &headers), Lang::Zh);
        assert_eq!(Lang::choose(Some("fr"), &headers), Lang::En);
    }

    #[test]
    fn a_missing_text_falls_back_to_english_then_the_key() {
        let zh = Catalog::of(Lang::Zh);
        assert_ne!(zh.m("nav.board"), Catalog::of(Lang::En).m("nav.board"));
        assert_eq!(zh.m("no.such.key"), "no.such.key");
        assert_eq!(
            Catalog::of(Lang::En).fill("board.since", &[("time", "08:00")]),
            "since 08:00"
        );
    }
}

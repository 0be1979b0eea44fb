//! Headless Chromium for the page tests (Debian's `chromium` and
//! `chromium-driver`; `.ci/run` installs them), driven through
//! chromedriver by `fantoccini`. Shared by the station and console tests
//! (`#[path = "support/browser.rs"] mod browser;`); a test skips with a
//! printed reason when the browser is not installed.

use fantoccini::{Client, ClientBuilder, Locator};
use mes_tests::{eventually, free_port};
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process and a headless Chromium session through it; the
/// process is killed when dropped.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[allow(dead_code)] // each test file uses its own share of these
impl Browser {
    /// Starts chromedriver on a free port and opens a session with a
    /// window of `width`×`height` and the browser languages `languages`
    /// (e.g. "en-US"), or `None` (with the reason printed) when the
    /// browser is not installed.
    pub async fn start_sized(width: u32, height: u32, languages: &str) -> Option<Browser> {
        for needed in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(needed).exists() {
                eprintln!("skipping: {needed} is not installed (apt-get install chromium chromium-driver)");
                return None;
            }
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let status = reqwest::Client::new();
        eventually("chromedriver to answer", Duration::from_secs(20), || {
            let request = status.get(format!("{url}/status")).send();
            async move { request.await.ok().filter(|r| r.status().is_success()).map(drop) }
        })
        .await;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": CHROMIUM,
                   "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                            format!("--window-size={width},{height}"), format!("--lang={languages}")],
                   "prefs": {"intl.accept_languages": languages}}),
        );
        // Both rustls crypto backends are in the build; pick one explicitly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .expect("TLS roots load")
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a Chromium session opens");
        Some(Browser { client, driver })
    }

    /// [`Browser::start_sized`] at 1280×1600 in English.
    pub async fn start() -> Option<Browser> {
        Self::start_sized(1280, 1600, "en-US").await
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("page loads");
    }

    /// The page's URL now.
    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    /// Types `value` into the element with `id` after clearing it.
    pub async fn fill(&self, id: &str, value: &str) {
        let el = self.client.find(Locator::Id(id)).await.expect("field");
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("typing");
    }

    /// Types `value` into the field named `name` inside form `form`.
    pub async fn fill_in(&self, form: &str, name: &str, value: &str) {
        let el = self
            .client
            .find(Locator::Css(&format!("#{form} [name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("field {name} of form {form}: {e}"));
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("typing");
    }

    /// Picks option `value` of the select with `id`.
    pub async fn select(&self, id: &str, value: &str) {
        let el = self.client.find(Locator::Id(id)).await.expect("select");
        el.select_by_value(value).await.expect("select option");
    }

    /// Picks option `value` of the select named `name` inside form `form`.
    pub async fn select_in(&self, form: &str, name: &str, value: &str) {
        self.client
            .find(Locator::Css(&format!("#{form} select[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("select {name} of form {form}: {e}"))
            .select_by_value(value)
            .await
            .expect("select option");
    }

    /// Picks option `value` of the select matching CSS `selector`.
    pub async fn select_css(&self, selector: &str, value: &str) {
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("select {selector}: {e}"))
            .select_by_value(value)
            .await
            .expect("select option");
    }

    /// Types `value` into the field matching CSS `selector`.
    pub async fn fill_css(&self, selector: &str, value: &str) {
        let el = self
            .client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("field {selector}: {e}"));
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("typing");
    }

    /// Clicks the element matching CSS `selector`.
    pub async fn click_css(&self, selector: &str) {
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("element {selector}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Clicks the element with `id`.
    pub async fn click(&self, id: &str) {
        self.click_css(&format!("#{id}")).await;
    }

    /// The text of the element with `id`.
    pub async fn text_of(&self, id: &str) -> String {
        self.text_css(&format!("#{id}")).await
    }

    /// The text of the element matching CSS `selector`.
    pub async fn text_css(&self, selector: &str) -> String {
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("element {selector}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// Whether an element matches CSS `selector`.
    pub async fn exists(&self, selector: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(selector))
            .await
            .expect("query")
            .is_empty()
    }

    /// Waits until the text of CSS `selector` satisfies `want` (any page
    /// load or live update in between), naming `what` if it never does.
    pub async fn wait_text(&self, what: &str, selector: &str, want: impl Fn(&str) -> bool) -> String {
        let client = self.client.clone();
        let want = &want;
        eventually(what, Duration::from_secs(20), || {
            let client = client.clone();
            async move {
                let text = client
                    .find(Locator::Css(selector))
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                want(&text).then_some(text)
            }
        })
        .await
    }

    /// Waits until an element matches CSS `selector`.
    pub async fn wait_for(&self, what: &str, selector: &str) {
        let client = self.client.clone();
        eventually(what, Duration::from_secs(20), || {
            let client = client.clone();
            async move { client.find(Locator::Css(selector)).await.ok().map(drop) }
        })
        .await;
    }

    /// Saves a PNG of the window to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot folder");
        }
        std::fs::write(path, png).expect("screenshot written");
    }
}

//! A browser session against a running hub: logs in through the API as a
//! person does (`POST /api/v1/auth/login`), then sends the session cookie
//! with every request, the console's pages and the JSON API alike.

use anyhow::Context;
use std::time::{Duration, Instant};

/// A logged-in session.
#[derive(Clone)]
pub struct Session {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

impl Session {
    /// Logs `login` of `tenant` in at the hub at `base`.
    pub async fn login(base: &str, tenant: &str, login: &str, password: &str) -> anyhow::Result<Session> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .context("an HTTP client")?;
        let reply = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"tenant": tenant, "login": login, "password": password}))
            .send()
            .await
            .context("logging in")?;
        let status = reply.status();
        let cookie = reply
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|pair| pair.starts_with("__Host-mes_session=") || pair.starts_with("mes_session="))
            .map(str::to_string);
        let body = reply.text().await.unwrap_or_default();
        anyhow::ensure!(status.is_success(), "login answered {status}: {body}");
        Ok(Session {
            client,
            base: base.to_string(),
            cookie: cookie.context("the login set no session cookie")?,
        })
    }

    /// A GET of `path` with the session's cookie, not yet sent.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
    }

    /// The hub's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The underlying client (for the agent's ingest requests).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// GETs `path` and reads the whole body, timed from sending the request
    /// to the body's last byte; an answer other than 200, or a body without
    /// `must_contain`, is an error.
    pub async fn timed(&self, path: &str, must_contain: &str) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let reply = self
            .get(path)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = reply.status();
        let body = reply
            .text()
            .await
            .with_context(|| format!("reading GET {path}"))?;
        let took = started.elapsed();
        anyhow::ensure!(
            status == reqwest::StatusCode::OK,
            "GET {path} answered {status}: {}",
            body.chars().take(300).collect::<String>()
        );
        anyhow::ensure!(
            body.contains(must_contain),
            "GET {path}: the answer does not contain {must_contain:?}"
        );
        Ok(took)
    }
}

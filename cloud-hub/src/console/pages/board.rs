//! The shop-floor board of a site: one card per machine, live. The page
//! is rendered whole; then its script opens `…/board/events` (server-sent
//! events) and swaps in each card that changed, as HTML rendered here in
//! the viewer's language, and the stale-agent banner. Boards are read per
//! site and change by `crate::live`, never per open page.

use super::super::chrome::Chrome;
use super::super::i18n::Catalog;
use super::super::render::{PageError, page};
use super::super::viewer::Viewer;
use super::when::{ago, clock_time};
use crate::api::HubState;
use crate::machines::board::{Board, BoardMachine};
use crate::masterdata::records::SiteSettings;
use crate::masterdata::service;
use crate::store::RecordQuery;
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::Stream;
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;

/// A machine card as shown.
pub struct CardView {
    /// The equipment's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// `running`, `idle`, `down`, `setup`, `offline` or `unknown`.
    pub state_class: &'static str,
    /// The state in the viewer's language.
    pub state_label: &'static str,
    /// Since when, unix ms.
    pub since: Option<i64>,
    /// "since 08:05" (site time) in the viewer's language.
    pub since_text: String,
    /// The stop's reason.
    pub reason: Option<String>,
    /// The run on it.
    pub run: Option<crate::machines::board::RunNow>,
    /// Workers present, comma-separated.
    pub workers: String,
    /// Good parts this shift.
    pub good: i64,
    /// Scrap parts this shift.
    pub scrap: i64,
}

#[derive(Template)]
#[template(path = "board_card.html")]
struct CardTemplate<'a> {
    t: &'static Catalog,
    card: &'a CardView,
}

#[derive(Template)]
#[template(path = "board_banner.html")]
struct BannerTemplate {
    t: &'static Catalog,
    lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    chrome: Chrome,
    sites: Vec<(String, bool)>,
    site: String,
    counting: String,
    banner_html: String,
    cards_html: Vec<String>,
}

fn state_of(state: Option<&str>) -> (&'static str, &'static str) {
    match state {
        Some("running") => ("running", "state.running"),
        Some("idle") => ("idle", "state.idle"),
        Some("down") => ("down", "state.down"),
        Some("setup") => ("setup", "state.setup"),
        Some("offline") => ("offline", "state.offline"),
        _ => ("unknown", "state.unknown"),
    }
}

fn card_view(t: &'static Catalog, machine: &BoardMachine, offset: i64) -> CardView {
    let (state_class, key) = state_of(machine.state.as_deref());
    CardView {
        code: machine.code.clone(),
        name: machine.name.clone(),
        state_class,
        state_label: t.m(key),
        since: machine.since,
        since_text: machine
            .since
            // The clock time it began (stable between reads, so a card is
            // sent again only when something on it changed).
            .map(|at| t.fill("board.since", &[("time", &clock_time(at, offset))]))
            .unwrap_or_default(),
        reason: machine.reason.clone(),
        run: machine.run.clone(),
        workers: machine.workers.join(", "),
        good: machine.good,
        scrap: machine.scrap,
    }
}

fn card_html(t: &'static Catalog, machine: &BoardMachine, offset: i64) -> String {
    let card = card_view(t, machine, offset);
    CardTemplate { t, card: &card }.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "board card does not render");
        String::new()
    })
}

fn banner_lines(t: &'static Catalog, board: &Board) -> Vec<String> {
    if board.agents.is_empty() {
        return vec![t.m("board.no_agent").to_string()];
    }
    board
        .agents
        .iter()
        .filter(|a| a.behind)
        .map(|a| {
            let contact = match a.last_contact_at {
                Some(at) => t.fill("board.last_contact", &[("ago", &ago(t, board.as_of - at))]),
                None => t.m("board.never_contacted").to_string(),
            };
            let offset = a
                .clock_offset_ms
                .map(|ms| format!("{:.1}", ms as f64 / 1000.0))
                .unwrap_or_else(|| "?".into());
            t.fill(
                "board.agent_behind",
                &[
                    ("agent", &a.name),
                    ("contact", &contact),
                    ("backlog", &a.backlog.to_string()),
                    ("offset", &offset),
                ],
            )
        })
        .collect()
}

fn banner_html(t: &'static Catalog, board: &Board) -> String {
    BannerTemplate {
        t,
        lines: banner_lines(t, board),
    }
    .render()
    .unwrap_or_default()
}

fn counting_text(t: &'static Catalog, board: &Board, offset_minutes: i64) -> String {
    let at = clock_time(board.counting_since, offset_minutes);
    if board.counting_shift {
        t.fill("board.counting_shift", &[("time", &at)])
    } else {
        t.fill("board.counting_today", &[("time", &at)])
    }
}

/// The sites the viewer may see the board of, with their UTC offsets.
async fn visible_sites(state: &HubState, viewer: &Viewer) -> Result<Vec<(String, i64)>, PageError> {
    let scope = viewer.require(Module::Equipment, Action::View)?;
    let sites =
        service::list_all::<SiteSettings>(&state.store, viewer.principal.tenant, RecordQuery::default())
            .await
            .map_err(|e| viewer.failed(e))?;
    Ok(sites
        .into_iter()
        .map(|s| (s.record.code.to_string(), i64::from(s.record.utc_offset_minutes)))
        .filter(|(code, _)| scope.covers(code))
        .collect())
}

/// `GET /console/board`: the first site's board the viewer may see.
pub async fn first(State(state): State<HubState>, viewer: Viewer) -> Result<Response, PageError> {
    let sites = visible_sites(&state, &viewer).await?;
    match sites.first() {
        Some((site, _)) => Ok(Redirect::to(&format!("/console/sites/{site}/board")).into_response()),
        None => Err(viewer.not_found()),
    }
}

/// `GET /console/sites/{site}/board`.
pub async fn show(
    State(state): State<HubState>,
    viewer: Viewer,
    Path(site): Path<String>,
) -> Result<Response, PageError> {
    viewer.require_at(Module::Equipment, Action::View, &site)?;
    let sites = visible_sites(&state, &viewer).await?;
    let Some(offset) = sites.iter().find(|(code, _)| *code == site).map(|(_, o)| *o) else {
        return Err(viewer.not_found());
    };
    let board =
        crate::machines::board::site_board(&state.store, viewer.principal.tenant, &site, (state.clock)())
            .await
            .map_err(|e| match e {
                crate::error::HubError::NotFound { .. } => viewer.not_found(),
                other => viewer.failed(other),
            })?;
    let t = viewer.texts();
    let chrome = Chrome::new(&viewer, "board", t.fill("board.title", &[("site", &site)]));
    let template = BoardPage {
        chrome,
        sites: sites
            .iter()
            .map(|(code, _)| (code.clone(), *code == site))
            .collect(),
        counting: counting_text(t, &board, offset),
        banner_html: banner_html(t, &board),
        cards_html: board.machines.iter().map(|m| card_html(t, m, offset)).collect(),
        site,
    };
    Ok(page(&template, viewer.lang))
}

/// What one open page has been sent, to send it only what changed.
#[derive(Default)]
struct Sent {
    cards: HashMap<String, String>,
    banner: Option<String>,
    counting: Option<String>,
}

fn updates(t: &'static Catalog, board: &Board, offset: i64, sent: &mut Sent) -> Vec<Event> {
    let mut events = Vec::new();
    for machine in &board.machines {
        let html = card_html(t, machine, offset);
        if sent.cards.get(&machine.code) != Some(&html) {
            let data = serde_json::json!({"id": format!("m-{}", machine.code), "html": html});
            events.push(Event::default().event("card").data(data.to_string()));
            sent.cards.insert(machine.code.clone(), html);
        }
    }
    let banner = banner_html(t, board);
    if sent.banner.as_ref() != Some(&banner) {
        let data = serde_json::json!({"id": "banner", "html": banner, "inner": true});
        events.push(Event::default().event("banner").data(data.to_string()));
        sent.banner = Some(banner);
    }
    let counting = counting_text(t, board, offset);
    if sent.counting.as_ref() != Some(&counting) {
        let data = serde_json::json!({"id": "counting", "text": counting});
        events.push(Event::default().event("counting").data(data.to_string()));
        sent.counting = Some(counting);
    }
    events
}

/// `GET /console/sites/{site}/board/events`: the board's changes as
/// server-sent events (`card`, `banner`, `counting`; each a JSON object
/// naming the element to replace), from the site's live board.
pub async fn events(
    State(state): State<HubState>,
    viewer: Viewer,
    Path(site): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    viewer.require_at(Module::Equipment, Action::View, &site)?;
    let sites = visible_sites(&state, &viewer).await?;
    let Some(offset) = sites.iter().find(|(code, _)| *code == site).map(|(_, o)| *o) else {
        return Err(viewer.not_found());
    };
    let t = viewer.texts();
    let boards = state
        .live
        .watch_board(&state.store, state.clock.clone(), viewer.principal.tenant, &site);
    // Each turn sends what changed since the page's last turn; the first
    // sends the whole board once (the page was rendered moments before).
    let first = vec![Event::default().event("live").data("connected")];
    let stream = futures_util::stream::unfold(
        (boards, Sent::default(), VecDeque::from(first)),
        move |(mut boards, mut sent, mut pending)| async move {
            loop {
                if let Some(event) = pending.pop_front() {
                    return Some((Ok(event), (boards, sent, pending)));
                }
                let board: Option<Arc<Board>> = boards.borrow_and_update().clone();
                if let Some(board) = board {
                    pending.extend(updates(t, &board, offset, &mut sent));
                    if !pending.is_empty() {
                        continue;
                    }
                }
                boards.changed().await.ok()?;
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

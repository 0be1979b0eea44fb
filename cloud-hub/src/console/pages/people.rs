//! Sites and agents, and the access-control screens: users with their
//! roles, the roles' rights, live sessions and the audit log. Changes go
//! through the API (add an agent, add or disable a user, end a session);
//! a new agent's token is shown once, by the page's script, from the
//! API's answer.

use super::super::chrome::Chrome;
use super::super::render::{PageError, page};
use super::super::viewer::Viewer;
use super::when::{ago, date_time};
use crate::api::HubState;
use crate::machines::board::{BEHIND_AFTER_MS, BEHIND_BACKLOG};
use crate::store::AgentSummary;
use crate::store::access::{AuditQuery, AuditRow, RoleRow, SessionRow, UserRow};
use crate::store::rights::{Action, Module};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

/// An agent as the page shows it.
pub struct AgentView {
    agent: AgentSummary,
    contact: String,
    behind: bool,
    offset: String,
}

#[derive(Template)]
#[template(path = "agents.html")]
struct AgentsPage {
    chrome: Chrome,
    agents: Vec<AgentView>,
    sites: Vec<String>,
    may_add: bool,
}

/// `GET /console/agents`.
pub async fn agents(State(state): State<HubState>, viewer: Viewer) -> Result<Response, PageError> {
    let scope = viewer.require(Module::Agents, Action::View)?;
    let t = viewer.texts();
    let now = (state.clock)();
    let agents = state
        .store
        .list_agents(viewer.principal.tenant)
        .await
        .map_err(|e| viewer.failed(e))?
        .into_iter()
        .filter(|a| scope.covers(&a.site))
        .map(|a| AgentView {
            contact: a
                .last_contact_at
                .map(|at| t.fill("board.last_contact", &[("ago", &ago(t, now - at))]))
                .unwrap_or_else(|| t.m("board.never_contacted").to_string()),
            behind: a.last_contact_at.is_none_or(|at| now - at > BEHIND_AFTER_MS)
                || a.reported_depth > BEHIND_BACKLOG,
            offset: a
                .clock_offset_ms
                .map(|ms| format!("{:.1} s", ms as f64 / 1000.0))
                .unwrap_or_default(),
            agent: a,
        })
        .collect();
    let template = AgentsPage {
        chrome: Chrome::new(&viewer, "agents", t.m("agents.title")),
        agents,
        sites: super::orders::visible_sites(&state, &viewer, &scope).await?,
        may_add: viewer.may(Module::Agents, Action::Admin),
    };
    Ok(page(&template, viewer.lang))
}

/// A user as the page shows it.
pub struct UserView {
    user: UserRow,
    roles: String,
    /// The role editor's rows: each direct grant (role, its sites
    /// comma-separated, empty for every site) and one empty row to add.
    slots: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserView>,
    roles: Vec<(RoleRow, String)>,
    sessions: Vec<(SessionRow, String, String)>,
    may_admin: bool,
}

/// `GET /console/users`.
pub async fn users(State(state): State<HubState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Module::System, Action::View)?;
    let tenant = viewer.principal.tenant;
    let failed = |e: crate::store::StoreError| viewer.failed(e);
    let users = state.store.list_users(tenant).await.map_err(failed)?;
    let roles = state.store.list_roles(tenant).await.map_err(failed)?;
    let sessions = state.store.live_sessions(tenant, None).await.map_err(failed)?;
    let t = viewer.texts();
    let template = UsersPage {
        chrome: Chrome::new(&viewer, "users", t.m("users.title")),
        users: users
            .into_iter()
            .map(|u| UserView {
                slots: u
                    .roles
                    .iter()
                    .map(|g| {
                        (
                            g.role.clone(),
                            g.sites.as_ref().map(|s| s.join(", ")).unwrap_or_default(),
                        )
                    })
                    .chain(std::iter::once((String::new(), String::new())))
                    .collect(),
                roles: u
                    .roles
                    .iter()
                    .map(|g| match &g.sites {
                        Some(sites) => format!("{} ({})", g.role, sites.join(", ")),
                        None => g.role.clone(),
                    })
                    .chain(u.groups.iter().map(|g| format!("⟨{g}⟩")))
                    .collect::<Vec<_>>()
                    .join(", "),
                user: u,
            })
            .collect(),
        roles: roles
            .into_iter()
            .map(|r| {
                let rights = r
                    .rights
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ");
                (r, rights)
            })
            .collect(),
        sessions: sessions
            .into_iter()
            .map(|s| {
                let (since, seen) = (date_time(s.created_at, 0), date_time(s.last_seen_at, 0));
                (s, since, seen)
            })
            .collect(),
        may_admin: viewer.may(Module::System, Action::Admin),
    };
    Ok(page(&template, viewer.lang))
}

/// The audit page's filters.
#[derive(Debug, Default, Deserialize)]
pub struct AuditFilter {
    actor: Option<String>,
    object: Option<String>,
    before: Option<i64>,
}

/// Audit rows on one page.
const AUDIT_PAGE: usize = 100;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<(AuditRow, String)>,
    actor: String,
    object: String,
    next: Option<i64>,
}

/// `GET /console/audit`.
pub async fn audit(
    State(state): State<HubState>,
    viewer: Viewer,
    Query(filter): Query<AuditFilter>,
) -> Result<Response, PageError> {
    viewer.require(Module::System, Action::View)?;
    let nonempty = |v: &Option<String>| v.clone().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let rows = state
        .store
        .query_audit(
            viewer.principal.tenant,
            AuditQuery {
                actor: nonempty(&filter.actor),
                object_code: nonempty(&filter.object),
                before_id: filter.before.filter(|b| *b > 0),
                limit: AUDIT_PAGE,
                ..AuditQuery::default()
            },
        )
        .await
        .map_err(|e| viewer.failed(e))?;
    let next = (rows.len() == AUDIT_PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let t = viewer.texts();
    let template = AuditPage {
        chrome: Chrome::new(&viewer, "users", t.m("audit.title")),
        rows: rows
            .into_iter()
            .map(|r| {
                let at = date_time(r.at, 0);
                (r, at)
            })
            .collect(),
        actor: filter.actor.unwrap_or_default(),
        object: filter.object.unwrap_or_default(),
        next,
    };
    Ok(page(&template, viewer.lang))
}

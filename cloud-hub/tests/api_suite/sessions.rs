//! Browser sessions and logins (issue 15): the cookie, CSRF, logout on the
//! server, idle and absolute expiry, the one-session option and ending the
//! other session from the login, rate limits, a password change ending
//! the other sessions, and the audit log of all of it (append-only).

use crate::harness::TestDb;
use crate::hub::{Hub, Reply, Tenant};
use axum::http::{Method, header};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

const PASSWORD: &str = "violet tractor 19 lemons";

/// A clock the test moves.
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn new() -> (TestClock, cloud_hub::clock::Clock) {
        let now = Arc::new(AtomicI64::new(1_767_000_000_000));
        let read = now.clone();
        (TestClock(now), Arc::new(move || read.load(Ordering::SeqCst)))
    }

    fn advance_minutes(&self, minutes: i64) {
        self.0.fetch_add(minutes * 60_000, Ordering::SeqCst);
    }
}

/// A person `login` with `roles` and the tenant's password.
async fn person(hub: &Hub, t: &Tenant, login: &str, roles: &[&str], single_session: bool) {
    let roles: Vec<Value> = roles.iter().map(|r| json!({"role": r})).collect();
    hub.post(
        "/api/v1/users",
        &t.token,
        &json!({"login": login, "password": PASSWORD, "roles": roles, "single_session": single_session}),
    )
    .await
    .expect(201);
}

/// A logged-in browser: its cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

fn login_body(t: &Tenant, login: &str, password: &str) -> Value {
    json!({"tenant": t.slug, "login": login, "password": password})
}

async fn login(hub: &Hub, body: &Value, agent: &str) -> Reply {
    hub.req(Method::POST, "/api/v1/auth/login")
        .header("host", "localhost:8080")
        .header("user-agent", agent)
        .json(body)
        .send()
        .await
}

fn browser(reply: Reply) -> Browser {
    let reply = reply.expect(200);
    let set = reply.headers[header::SET_COOKIE]
        .to_str()
        .expect("a text cookie")
        .to_string();
    assert!(
        set.starts_with("__Host-mes_session=") && set.contains("HttpOnly") && set.contains("Secure"),
        "{set}"
    );
    assert!(set.contains("SameSite=Lax") && set.contains("Path=/"), "{set}");
    Browser {
        cookie: set.split(';').next().expect("name=value").to_string(),
        csrf: reply.body["csrf_token"]
            .as_str()
            .expect("a CSRF token")
            .to_string(),
    }
}

impl Browser {
    async fn call(
        &self,
        hub: &Hub,
        method: Method,
        path: &str,
        body: Option<&Value>,
        csrf: Option<&str>,
    ) -> Reply {
        let mut call = hub.req(method, path).header("cookie", &self.cookie);
        if let Some(csrf) = csrf {
            call = call.header("x-csrf-token", csrf);
        }
        if let Some(body) = body {
            call = call.json(body);
        }
        call.send().await
    }

    async fn get(&self, hub: &Hub, path: &str) -> Reply {
        self.call(hub, Method::GET, path, None, None).await
    }
}

/// Log in, use the session, change something with and without the CSRF
/// token, log out: the session is gone on the server.
pub async fn a_session_needs_csrf_for_changes_and_ends_at_logout(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    person(&hub, &t, "pia", &["planner"], false).await;
    let b = browser(login(&hub, &login_body(&t, "pia", PASSWORD), "Firefox").await);
    let me = b.get(&hub, "/api/v1/auth/me").await.expect(200);
    assert_eq!(me.body["login"], "pia");
    assert_eq!(me.body["csrf_token"], b.csrf.as_str());
    b.get(&hub, "/api/v1/materials").await.expect(200);
    // A planner may not see users.
    b.get(&hub, "/api/v1/users")
        .await
        .expect_error(403, "forbidden", None);
    let unit = json!({"code": "pcs", "name": "Piece"});
    for csrf in [None, Some("csrf_wrong")] {
        b.call(&hub, Method::POST, "/api/v1/units", Some(&unit), csrf)
            .await
            .expect_error(403, "csrf_token_missing", Some("X-CSRF-Token"));
    }
    hub.get("/api/v1/units/pcs", &t.token).await.expect(404);
    b.call(&hub, Method::POST, "/api/v1/units", Some(&unit), Some(&b.csrf))
        .await
        .expect(201);
    b.call(&hub, Method::POST, "/api/v1/auth/logout", None, Some(&b.csrf))
        .await
        .expect(200);
    b.get(&hub, "/api/v1/materials")
        .await
        .expect_error(401, "unauthorized", None);
    // Only the secret's hash is stored, and nothing is left live.
    let sessions = hub.get("/api/v1/sessions", &t.token).await.expect(200);
    assert_eq!(sessions.body["items"], json!([]));
    assert!(
        !sessions
            .text
            .contains(b.cookie.split('=').nth(1).expect("a value"))
    );
}

/// A session ends after its idle timeout, and after its absolute one even
/// while in use.
pub async fn sessions_expire_when_idle_and_when_old(db: &TestDb) {
    let (clock, read) = TestClock::new();
    let hub = Hub::with_clock(&db.store, read);
    let t = hub.tenant("alpha").await;
    person(&hub, &t, "pia", &["viewer"], false).await;
    let idle = browser(login(&hub, &login_body(&t, "pia", PASSWORD), "A").await);
    let busy = browser(login(&hub, &login_body(&t, "pia", PASSWORD), "B").await);
    clock.advance_minutes(29);
    // 29 minutes since its last request: still in.
    idle.get(&hub, "/api/v1/auth/me").await.expect(200);
    busy.get(&hub, "/api/v1/auth/me").await.expect(200);
    clock.advance_minutes(20);
    busy.get(&hub, "/api/v1/auth/me").await.expect(200);
    clock.advance_minutes(11);
    // 31 minutes since its last request: ended.
    idle.get(&hub, "/api/v1/auth/me")
        .await
        .expect_error(401, "unauthorized", None);
    busy.get(&hub, "/api/v1/auth/me").await.expect(200);
    // `busy` is used every 20 minutes; 12 hours after its login it ends.
    let mut minutes = 60;
    while minutes + 20 < 12 * 60 {
        clock.advance_minutes(20);
        minutes += 20;
        busy.get(&hub, "/api/v1/auth/me").await.expect(200);
    }
    clock.advance_minutes(20);
    busy.get(&hub, "/api/v1/auth/me")
        .await
        .expect_error(401, "unauthorized", None);
}

/// With the one-session option a second login is refused naming where
/// and since when the first is; sending the password again with
/// `end_other_sessions` ends it and logs in.
pub async fn one_session_refuses_a_second_login_until_the_first_is_ended(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    person(&hub, &t, "sam", &["supervisor"], true).await;
    let first = browser(login(&hub, &login_body(&t, "sam", PASSWORD), "Chrome on the office PC").await);
    let refused = login(&hub, &login_body(&t, "sam", PASSWORD), "Tablet")
        .await
        .expect_error(409, "session_elsewhere", None);
    let message = refused.body["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains("Chrome on the office PC") && message.contains("UTC"),
        "{message}"
    );
    first.get(&hub, "/api/v1/auth/me").await.expect(200);
    // A wrong password does not end anything.
    let mut wrong = login_body(&t, "sam", "not the password at all");
    wrong["end_other_sessions"] = json!(true);
    login(&hub, &wrong, "Tablet")
        .await
        .expect_error(401, "login_failed", None);
    first.get(&hub, "/api/v1/auth/me").await.expect(200);
    let mut again = login_body(&t, "sam", PASSWORD);
    again["end_other_sessions"] = json!(true);
    let second = browser(login(&hub, &again, "Tablet").await);
    first.get(&hub, "/api/v1/auth/me").await.expect(401);
    second.get(&hub, "/api/v1/auth/me").await.expect(200);
    // The tenant-wide option does the same for users without the flag.
    person(&hub, &t, "ria", &["viewer"], false).await;
    hub.req(Method::PUT, "/api/v1/settings/access")
        .token(&t.token)
        .json(&json!({"single_session": true}))
        .send()
        .await
        .expect(200);
    browser(login(&hub, &login_body(&t, "ria", PASSWORD), "A").await);
    login(&hub, &login_body(&t, "ria", PASSWORD), "B")
        .await
        .expect(409);
}

/// Wrong logins and wrong passwords get the same answer; after a few
/// failures attempts must wait, and after many the account is locked even
/// for the right password; a success resets the count.
pub async fn failed_logins_are_throttled_then_locked(db: &TestDb) {
    let (clock, read) = TestClock::new();
    let hub = Hub::with_clock(&db.store, read);
    let t = hub.tenant("alpha").await;
    person(&hub, &t, "pia", &["viewer"], false).await;
    let wrong_password = login(&hub, &login_body(&t, "pia", "wrong password here"), "x")
        .await
        .expect_error(401, "login_failed", None);
    let wrong_login = login(&hub, &login_body(&t, "nobody", "wrong password here"), "x")
        .await
        .expect_error(401, "login_failed", None);
    assert_eq!(wrong_password.body, wrong_login.body);
    login(&hub, &login_body(&t, "pia", "wrong password here"), "x")
        .await
        .expect(401);
    login(&hub, &login_body(&t, "pia", "wrong password here"), "x")
        .await
        .expect(401);
    // Three failures: the next attempt must wait, even with the password.
    let wait = login(&hub, &login_body(&t, "pia", PASSWORD), "x")
        .await
        .expect_error(429, "login_throttled", None);
    assert!(wait.headers.contains_key(header::RETRY_AFTER));
    clock.advance_minutes(1);
    browser(login(&hub, &login_body(&t, "pia", PASSWORD), "x").await);
    // Ten failures within the hour lock the account.
    for _ in 0..10 {
        login(&hub, &login_body(&t, "pia", "wrong password here"), "x").await;
        clock.advance_minutes(5);
    }
    let locked = login(&hub, &login_body(&t, "pia", PASSWORD), "x")
        .await
        .expect_error(429, "login_throttled", None);
    assert!(locked.text.contains("too many"), "{}", locked.text);
    clock.advance_minutes(61);
    browser(login(&hub, &login_body(&t, "pia", PASSWORD), "x").await);
}

/// A password change ends the user's other sessions, keeps this one, and
/// the policy refuses short and common passwords.
pub async fn a_password_change_ends_the_other_sessions(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    person(&hub, &t, "pia", &["viewer"], false).await;
    let here = browser(login(&hub, &login_body(&t, "pia", PASSWORD), "A").await);
    let there = browser(login(&hub, &login_body(&t, "pia", PASSWORD), "B").await);
    for (new, why) in [("short", "at least 12"), ("password1234", "common")] {
        let reply = here
            .call(
                &hub,
                Method::POST,
                "/api/v1/auth/password",
                Some(&json!({"current": PASSWORD, "new": new})),
                Some(&here.csrf),
            )
            .await
            .expect_error(422, "invalid", Some("new"));
        assert!(reply.text.contains(why), "{}", reply.text);
    }
    here.call(
        &hub,
        Method::POST,
        "/api/v1/auth/password",
        Some(&json!({"current": PASSWORD, "new": "seven orange kites at dawn"})),
        Some(&here.csrf),
    )
    .await
    .expect(200);
    here.get(&hub, "/api/v1/auth/me").await.expect(200);
    there.get(&hub, "/api/v1/auth/me").await.expect(401);
    login(&hub, &login_body(&t, "pia", "seven orange kites at dawn"), "C")
        .await
        .expect(200);
}

/// The audit log holds logins, failures, logouts and changes with their
/// before and after values; never a password or a token.
pub async fn the_audit_log_records_who_did_what_with_before_and_after(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    person(&hub, &t, "pia", &["planner"], false).await;
    login(&hub, &login_body(&t, "pia", "wrong password here"), "x")
        .await
        .expect(401);
    let b = browser(login(&hub, &login_body(&t, "pia", PASSWORD), "Firefox").await);
    let unit = json!({"code": "pcs", "name": "Piece"});
    b.call(&hub, Method::POST, "/api/v1/units", Some(&unit), Some(&b.csrf))
        .await
        .expect(201);
    let renamed = json!({"code": "pcs", "name": "Pieces"});
    b.call(
        &hub,
        Method::PUT,
        "/api/v1/units/pcs",
        Some(&renamed),
        Some(&b.csrf),
    )
    .await
    .expect(200);
    b.call(&hub, Method::POST, "/api/v1/auth/logout", None, Some(&b.csrf))
        .await
        .expect(200);
    let log = hub.get("/api/v1/audit?limit=50", &t.token).await.expect(200);
    let items = log.body["items"].as_array().expect("items").clone();
    let find = |action: &str, outcome: &str| {
        items
            .iter()
            .find(|r| r["action"] == action && r["outcome"] == outcome)
            .unwrap_or_else(|| panic!("no {action} {outcome} in {}", log.text))
            .clone()
    };
    find("login", "refused");
    let ok = find("login", "ok");
    assert_eq!(ok["actor"], "pia");
    assert_eq!(ok["user_agent"], "Firefox");
    find("POST /api/v1/auth/logout", "ok");
    find("POST /api/v1/users", "ok");
    let change = find("PUT /api/v1/units/{code}", "ok");
    assert_eq!(change["object_kind"], "unit");
    assert_eq!(change["object_code"], "pcs");
    assert_eq!(change["before"]["name"], "Piece");
    assert_eq!(change["after"]["name"], "Pieces");
    assert!(!log.text.contains(PASSWORD) && !log.text.contains("mes_") && !log.text.contains("mess_"));
    // Filters: by who and by object.
    let mine = hub
        .get("/api/v1/audit?actor=pia&object_kind=unit", &t.token)
        .await
        .expect(200);
    assert_eq!(
        mine.body["items"].as_array().map(Vec::len),
        Some(2),
        "{}",
        mine.text
    );
    // A planner may not read it; nothing can change or delete a record.
    let planner = browser(login(&hub, &login_body(&t, "pia", PASSWORD), "x").await);
    planner
        .get(&hub, "/api/v1/audit")
        .await
        .expect_error(403, "forbidden", None);
}

/// What the document bounds the server refuses, naming the field (400):
/// the fuzzer's findings on the access routes.
pub async fn access_inputs_past_their_documented_bounds_are_400(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let long = "x".repeat(501);
    hub.post(
        "/api/v1/roles",
        &t.token,
        &json!({"name": "r", "description": long, "rights": []}),
    )
    .await
    .expect_error(400, "invalid_body", Some("description"));
    hub.get("/api/v1/audit?before=0", &t.token)
        .await
        .expect_error(400, "invalid_query", Some("before"));
    hub.get(format!("/api/v1/audit?object_kind={}", "k".repeat(201)), &t.token)
        .await
        .expect_error(400, "invalid_query", Some("object_kind"));
    hub.get("/api/v1/audit?who=anna", &t.token)
        .await
        .expect_error(400, "invalid_query", Some("who"));
    login(
        &hub,
        &json!({"tenant": t.slug, "login": "l".repeat(101), "password": "p"}),
        "x",
    )
    .await
    .expect_error(400, "invalid_body", Some("login"));
}

/// A name past the document's 100 characters is 400 (a schema error); an
/// empty or blank one is 422 naming the field, for users, tokens, roles
/// and groups alike.
pub async fn blank_names_are_422_and_long_ones_400(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let long = "n".repeat(101);
    for (path, field, body) in [
        ("/api/v1/users", "login", json!({"login": ""})),
        (
            "/api/v1/users",
            "display_name",
            json!({"login": "ann", "display_name": "  "}),
        ),
        ("/api/v1/roles", "name", json!({"name": " ", "rights": []})),
        ("/api/v1/groups", "name", json!({"name": ""})),
    ] {
        hub.post(path, &t.token, &body)
            .await
            .expect_error(422, "invalid", Some(field));
    }
    person(&hub, &t, "pia", &["viewer"], false).await;
    hub.post("/api/v1/users/pia/tokens", &t.token, &json!({"name": "   "}))
        .await
        .expect_error(422, "invalid", Some("name"));
    for (path, field, body) in [
        ("/api/v1/users", "login", json!({"login": long})),
        ("/api/v1/roles", "name", json!({"name": long, "rights": []})),
        ("/api/v1/groups", "name", json!({"name": long})),
        ("/api/v1/users/pia/tokens", "name", json!({"name": long})),
    ] {
        hub.post(path, &t.token, &body)
            .await
            .expect_error(400, "invalid_body", Some(field));
    }
}

/// A session used on one hub sees, at its next request there, what
/// another hub on the same database changed: the user's language and
/// roles, and the end of the session (a logout, an admin ending it).
pub async fn a_change_on_another_hub_counts_at_a_cached_sessions_next_request(db: &TestDb) {
    let here = Hub::new(&db.store);
    let there = Hub::new(&db.reopen());
    let t = here.tenant("alpha").await;
    person(&here, &t, "pia", &["planner"], false).await;
    let b = browser(login(&here, &login_body(&t, "pia", PASSWORD), "A").await);
    let other = browser(login(&here, &login_body(&t, "pia", PASSWORD), "B").await);
    for _ in 0..2 {
        let me = b.get(&here, "/api/v1/auth/me").await.expect(200);
        assert_eq!(me.body["language"], Value::Null);
        b.get(&here, "/api/v1/users").await.expect(403);
    }
    there
        .req(Method::PUT, "/api/v1/users/pia")
        .token(&t.token)
        .json(&json!({"language": "zh"}))
        .send()
        .await
        .expect(200);
    let me = b.get(&here, "/api/v1/auth/me").await.expect(200);
    assert_eq!(me.body["language"], "zh");
    there
        .req(Method::PUT, "/api/v1/users/pia/roles")
        .token(&t.token)
        .json(&json!([{"role": "admin"}]))
        .send()
        .await
        .expect(200);
    b.get(&here, "/api/v1/users").await.expect(200);
    // Ended on the other hub: by its logout, and by an admin.
    b.call(&there, Method::POST, "/api/v1/auth/logout", None, Some(&b.csrf))
        .await
        .expect(200);
    b.get(&here, "/api/v1/auth/me")
        .await
        .expect_error(401, "unauthorized", None);
    let id = other.get(&here, "/api/v1/auth/me").await.expect(200).body["session_id"]
        .as_str()
        .expect("a session id")
        .to_string();
    there
        .req(Method::DELETE, format!("/api/v1/sessions/{id}"))
        .token(&t.token)
        .send()
        .await
        .expect(200);
    other
        .get(&here, "/api/v1/auth/me")
        .await
        .expect_error(401, "unauthorized", None);
}

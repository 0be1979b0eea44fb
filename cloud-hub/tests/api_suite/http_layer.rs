//! The HTTP layer's rules, on every route they cover: a body is never read
//! before the token is checked, JSON routes take JSON only, a key named
//! twice is refused, gzip must be one member, and what the hub takes on at
//! once is bounded (the ingest memory budget, planning per tenant, the size
//! of a what-if).

use crate::harness::TestDb;
use crate::hub::{Hub, Reply};
use crate::routes::{Caller, routes};
use axum::body::{Body, Bytes};
use axum::http::Method;
use cloud_hub::api::IngestLimits;
use serde_json::{Value, json};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

/// A body that records whether anyone read from it.
struct Tripwire {
    read: Arc<AtomicBool>,
}

impl http_body::Body for Tripwire {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.read.store(true, Ordering::SeqCst);
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(b"{}")))))
    }
}

fn assert_retry_after(reply: &Reply) {
    assert!(
        reply
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some(),
        "{} says when to retry: {:?}",
        reply.what,
        reply.headers
    );
}

/// Without a valid token, no route with a body reads a byte of it: the
/// answer is 401 and the body is untouched (before, four action routes
/// read the whole body before checking the token).
pub async fn bodies_are_not_read_before_the_token_is_checked(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let doc = cloud_hub::api::openapi_document();
    let mut checked = 0;
    for route in routes(&doc).iter().filter(|r| r.caller != Caller::Public) {
        if route.method != Method::POST && route.method != Method::PUT {
            continue;
        }
        let path = route.fill(|_| "x".to_string());
        for token in [None, Some("mest_not_a_token"), Some(t.agent_token.as_str())] {
            let token = if route.caller == Caller::Agent && token == Some(t.agent_token.as_str()) {
                Some(t.token.as_str())
            } else {
                token
            };
            let read = Arc::new(AtomicBool::new(false));
            let mut call = hub
                .req(route.method.clone(), &path)
                .header("content-type", "application/json")
                .stream(Body::new(Tripwire { read: read.clone() }));
            if let Some(token) = token {
                call = call.token(token);
            }
            call.send().await.expect_error(401, "unauthorized", None);
            assert!(
                !read.load(Ordering::SeqCst),
                "{} read the body of a request with token {token:?}",
                route.name()
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} route and token pairs");
}

/// A JSON route refuses a body that is not labelled JSON (415, naming the
/// header); an empty body of an action with defaults needs no label.
pub async fn json_routes_take_json_only(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let unit = json!({"code": t.code("kg"), "name": "Kilogram"});
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
    ] {
        hub.req(Method::POST, "/api/v1/units")
            .token(&t.token)
            .header("content-type", content_type)
            .raw(unit.to_string().as_bytes())
            .send()
            .await
            .expect_error(415, "unsupported_media_type", Some("Content-Type"));
    }
    hub.req(Method::POST, "/api/v1/units")
        .token(&t.token)
        .stream(Body::from(unit.to_string()))
        .send()
        .await
        .expect_error(415, "unsupported_media_type", Some("Content-Type"));
    hub.req(Method::POST, "/api/v1/units")
        .token(&t.token)
        .header("content-type", "application/json; charset=utf-8")
        .raw(unit.to_string().as_bytes())
        .send()
        .await
        .expect(201);
    // Nothing was stored by the refused ones.
    let list = hub.get("/api/v1/units", &t.token).await.expect(200);
    assert_eq!(list.codes(), vec![t.code("kg")]);
    let reply = hub
        .req(Method::POST, format!("/api/v1/schedules/{}/run", t.site))
        .token(&t.token)
        .send()
        .await;
    assert_ne!(
        reply.status.as_u16(),
        415,
        "an empty body needs no type: {}",
        reply.text
    );
}

/// An object naming a key twice is 400 naming the key (before, the last
/// value won without a word).
pub async fn keys_named_twice_are_refused(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let body = format!(
        r#"{{"code": "{0}", "name": "Kilogram", "code": "{0}-2"}}"#,
        t.code("kg")
    );
    hub.req(Method::POST, "/api/v1/units")
        .token(&t.token)
        .raw(body.as_bytes())
        .send()
        .await
        .expect_error(400, "duplicate_key", Some("code"));
    let nested = format!(
        r#"{{"code": "{0}", "name": "Kilogram", "alternatives": [{{"unit": "g", "unit": "t"}}]}}"#,
        t.code("kg")
    );
    hub.req(Method::POST, "/api/v1/units")
        .token(&t.token)
        .raw(nested.as_bytes())
        .send()
        .await
        .expect_error(400, "duplicate_key", Some("alternatives[0].unit"));
    let list = hub.get("/api/v1/units", &t.token).await.expect(200);
    assert!(list.codes().is_empty(), "nothing stored: {}", list.text);
}

fn batch(agent_id: &str, first: u64, n: u64) -> Value {
    let events: Vec<Value> = (first..first + n)
        .map(|seq| {
            json!({"seq": seq, "id": uuid::Uuid::now_v7(), "occurred_at": "2026-01-10T07:59:59.000Z",
                   "source": {"type": "device", "id": "press-1"}, "kind": "api_suite_probe", "data": {}})
        })
        .collect();
    json!({"schema_version": 1, "agent_id": agent_id, "incarnation": "01a21495-81bd-765a-bf8c-615d889778d7",
           "first_seq": first, "last_seq": first + n - 1,
           "buffer": {"depth": n, "dropped_total": 0, "refused_total": 0},
           "sent_at": "2026-01-10T08:00:00.000Z", "events": events})
}

async fn ingest_gzip(hub: &Hub, token: &str, body: Vec<u8>) -> Reply {
    hub.req(Method::POST, "/api/v1/ingest")
        .token(token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .raw(&body)
        .send()
        .await
}

/// A gzip body is one member with nothing after it; data after a valid
/// member is refused, not ignored (before, it was dropped unread and the
/// batch acknowledged).
pub async fn gzip_data_after_the_member_is_refused(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let json = batch(&t.agent_id, 1, 3).to_string();
    let mut body = mes_protocols::wire::gzip(json.as_bytes());
    body.extend(mes_protocols::wire::gzip(b"{\"more\": true}"));
    let reply = ingest_gzip(&hub, &t.agent_token, body)
        .await
        .expect_error(400, "malformed_body", None);
    assert!(reply.text.contains("member"), "{}", reply.text);
    // Garbage after the member: its last bytes are no size either, so it
    // is refused as too large or as malformed, never stored.
    let mut body = mes_protocols::wire::gzip(json.as_bytes());
    body.extend(b"trailing garbage");
    let reply = ingest_gzip(&hub, &t.agent_token, body).await;
    assert!(
        matches!(reply.status.as_u16(), 400 | 413) && reply.body["error"]["code"].is_string(),
        "{} {}",
        reply.status,
        reply.text
    );
    let reply = ingest_gzip(&hub, &t.agent_token, mes_protocols::wire::gzip(json.as_bytes()))
        .await
        .expect(200);
    assert_eq!(reply.body["acked_seq"], 3, "{}", reply.text);
}

/// A sync batch naming a key twice, in its envelope, an event's header or
/// anywhere in an event's data (of a known kind or one kept raw), plain or
/// gzipped, is 400 `duplicate_key` naming the path, and nothing of it is
/// stored (before, the ingest body was not checked: the last value won in
/// what was read, and the raw event was stored with both).
pub async fn ingest_keys_named_twice_are_refused(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let good = batch(&t.agent_id, 1, 3).to_string();
    let cases = [
        (
            good.replacen(r#""data":{}"#, r#""data":{"text":"a","text":"b"}"#, 1),
            "events[0].data.text",
        ),
        (
            good.replacen(
                r#""data":{}"#,
                r#""data":{"nested":[{"ok":1},{"v":1,"w":2,"v":3}]}"#,
                1,
            ),
            "events[0].data.nested[1].v",
        ),
        (
            good.replacen(
                r#""kind":"api_suite_probe""#,
                r#""kind":"api_suite_probe","kind":"x""#,
                1,
            ),
            "events[0].kind",
        ),
        (
            good.replacen(r#""first_seq":1"#, r#""first_seq":1,"first_seq":1"#, 1),
            "first_seq",
        ),
        (
            good.replacen(r#""depth":3"#, r#""depth":3,"depth":3"#, 1),
            "buffer.depth",
        ),
    ];
    for (body, field) in &cases {
        assert_ne!(body, &good, "the case {field} changes the batch");
        hub.req(Method::POST, "/api/v1/ingest")
            .token(&t.agent_token)
            .header("content-type", "application/json")
            .raw(body.as_bytes())
            .send()
            .await
            .expect_error(400, "duplicate_key", Some(field));
        ingest_gzip(&hub, &t.agent_token, mes_protocols::wire::gzip(body.as_bytes()))
            .await
            .expect_error(400, "duplicate_key", Some(field));
    }
    // An escaped spelling of the same key is the same key.
    let escaped = good.replacen(r#""data":{}"#, r#""data":{"ab":1,"a\u0062":2}"#, 1);
    ingest_gzip(
        &hub,
        &t.agent_token,
        mes_protocols::wire::gzip(escaped.as_bytes()),
    )
    .await
    .expect_error(400, "duplicate_key", Some("events[0].data.ab"));
    // Nothing was stored: the batch is taken from its first number.
    let reply = ingest_gzip(&hub, &t.agent_token, mes_protocols::wire::gzip(good.as_bytes()))
        .await
        .expect(200);
    assert_eq!(reply.body["acked_seq"], 3, "{}", reply.text);
    assert_eq!(reply.body["stored"], 3, "{}", reply.text);
}

/// When ingest bodies in memory fill the budget, a batch waits briefly,
/// then gets 503 with Retry-After, and is stored when sent again after
/// the budget has room.
pub async fn ingest_over_the_memory_budget_is_503_with_retry_after(db: &TestDb) {
    let limits = IngestLimits {
        max_body_bytes: 64 << 10,
        max_inflated_bytes: 256 << 10,
        max_inflight_bytes: 1 << 20,
    };
    let hub = Hub::with(&db.store, limits, cloud_hub::clock::system_clock());
    let t = hub.tenant("alpha").await;
    let budget = hub.state.ingest_budget.clone();
    let mut held = budget.empty();
    budget
        .reserve_total(&mut held, budget.total())
        .await
        .expect("an idle hub's budget is free");
    let body = mes_protocols::wire::gzip(batch(&t.agent_id, 1, 5).to_string().as_bytes());
    let reply = ingest_gzip(&hub, &t.agent_token, body.clone())
        .await
        .expect_error(503, "busy", None);
    assert_retry_after(&reply);
    drop(held);
    let reply = ingest_gzip(&hub, &t.agent_token, body).await.expect(200);
    assert_eq!(reply.body["acked_seq"], 5, "{}", reply.text);
    assert_eq!(
        budget.available(),
        budget.total(),
        "every reservation is given back"
    );
}

/// A what-if is bounded in size (orders added, machines down) and a
/// tenant runs at most two schedules or what-ifs at once (429 with
/// Retry-After); other tenants are not held up.
pub async fn what_ifs_are_bounded_in_size_and_per_tenant(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let other = hub.tenant("bravo").await;
    let path = format!("/api/v1/schedules/{}/what-if", t.site);
    let orders: Vec<Value> = (0..201)
        .map(|i| json!({"code": format!("wi-{i}"), "material": t.code("bolt"), "quantity": "1"}))
        .collect();
    hub.post(&path, &t.token, &json!({"add_orders": orders}))
        .await
        .expect_error(400, "invalid_body", Some("add_orders"));
    let down: Vec<Value> = (0..201)
        .map(|_| json!({"equipment": t.code("press-1"), "from": "2026-01-10T08:00:00Z", "to": "2026-01-10T09:00:00Z"}))
        .collect();
    hub.post(&path, &t.token, &json!({"machines_down": down}))
        .await
        .expect_error(400, "invalid_body", Some("machines_down"));
    let tenant = db
        .store
        .tenant_by_api_token(&t.token)
        .await
        .expect("the store answers")
        .expect("the token is valid");
    let gate = &hub.state.planning_gate;
    let _first = gate.try_enter(tenant).expect("a first place");
    let _second = gate.try_enter(tenant).expect("a second place");
    for route in ["what-if", "run"] {
        let reply = hub
            .post(
                &format!("/api/v1/schedules/{}/{route}", t.site),
                &t.token,
                &json!({}),
            )
            .await
            .expect_error(429, "too_many_requests", None);
        assert_retry_after(&reply);
    }
    let reply = hub
        .post(
            &format!("/api/v1/schedules/{}/what-if", other.site),
            &other.token,
            &json!({}),
        )
        .await;
    assert_ne!(reply.status.as_u16(), 429, "{}", reply.text);
}

/// One HTTP/1.1 exchange over a socket: sends `request` (while reading,
/// since the server may answer before it has read everything) and reads
/// until the server closes or a whole answer is in; returns the status,
/// the head and the body.
async fn raw_exchange(addr: std::net::SocketAddr, request: Vec<u8>) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("the hub accepts");
    let (mut reader, mut writer) = stream.into_split();
    let sending = tokio::spawn(async move {
        // The server may close before it read it all: that is its answer.
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n = tokio::time::timeout_at(deadline, reader.read(&mut buf))
            .await
            .expect("an answer within 10 s")
            .unwrap_or(0);
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer).to_string();
        let whole = text.find("\r\n\r\n").is_some_and(|end| {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse::<usize>().ok());
            length.is_some_and(|l| answer.len() >= end + 4 + l)
        });
        if n == 0 || whole {
            break;
        }
    }
    drop(sending);
    let text = String::from_utf8_lossy(&answer).to_string();
    let end = text
        .find("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer head in {text:?}"));
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    (status, text[..end].to_string(), text[end + 4..].to_string())
}

/// What hyper refuses by itself before any route runs (a URI over 64 KiB:
/// 414; headers over its buffer or more than 100 of them: 431; a head that
/// is not HTTP: 400) is answered in the API's error shape (before, with an
/// empty body), and everything else passes the hub's listener untouched.
pub async fn http_layer_refusals_are_json(db: &TestDb) {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    let server = tokio::spawn(
        axum::serve(
            cloud_hub::api::JsonRefusalListener::new(listener),
            cloud_hub::api::router(hub.state.clone()),
        )
        .into_future(),
    );
    let headers: String = (0..120).map(|i| format!("x-h{i}: 1\r\n")).collect();
    let cases = [
        (
            format!(
                "GET /api/v1/units?x={} HTTP/1.1\r\nhost: hub\r\n\r\n",
                "a".repeat(70_000)
            ),
            414,
            "uri_too_long",
        ),
        (
            format!(
                "GET /api/v1/units HTTP/1.1\r\nhost: hub\r\nx-big: {}\r\n\r\n",
                "a".repeat(600_000)
            ),
            431,
            "headers_too_large",
        ),
        (
            format!("GET /api/v1/units HTTP/1.1\r\nhost: hub\r\n{headers}\r\n"),
            431,
            "headers_too_large",
        ),
        (
            "GET /api/v1/units HTTP/1.1\r\nhost: hub\r\nnot a header\r\n\r\n".to_string(),
            400,
            "malformed_request",
        ),
        ("NOT HTTP AT ALL\r\n\r\n".to_string(), 400, "malformed_request"),
    ];
    for (request, status, code) in cases {
        let (got, head, body) = raw_exchange(addr, request.into_bytes()).await;
        assert_eq!(got, status, "{head}\r\n\r\n{body}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{head}"
        );
        let json: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{status}: the body is JSON ({e}): {body:?}"));
        assert_eq!(json["error"]["code"], code, "{body}");
        assert!(
            json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    // Answers of the router pass unchanged: a 200, its own 400 and 401,
    // and two requests on one connection.
    let get = |path: &str, token: &str| {
        format!("GET {path} HTTP/1.1\r\nhost: hub\r\nauthorization: Bearer {token}\r\n\r\n")
    };
    let (status, _, body) = raw_exchange(addr, get("/api/v1/units", &t.token).into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = raw_exchange(addr, get("/api/v1/units?limit=0", &t.token).into_bytes()).await;
    assert_eq!(status, 400, "{body}");
    let json: Value = serde_json::from_str(&body).expect("the router's 400 is JSON");
    assert_eq!(json["error"]["field"], "limit", "{body}");
    let (status, _, body) = raw_exchange(addr, get("/api/v1/units", "mest_nothing").into_bytes()).await;
    assert_eq!(status, 401, "{body}");
    let twice = format!(
        "{}{}",
        get("/api/v1/units", &t.token),
        get("/api/v1/units?limit=0", &t.token).replace("\r\n\r\n", "\r\nconnection: close\r\n\r\n")
    );
    let (status, _, body) = raw_exchange(addr, twice.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    server.abort();
}

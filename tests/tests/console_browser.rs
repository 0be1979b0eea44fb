//! The planners' console in real headless Chromium against a real hub and
//! agent: a planner logs in, creates a material (named like a script, which
//! must show as text), a routing and a production order and releases it;
//! station and machine events fed through the agent change the open board
//! without a reload; the order shows its execution log and actual cost; the
//! language switches to Chinese and back; a store keeper sees neither the
//! costs nor the users (link absent, address refused). Screenshots of the
//! pages are saved under `target/console-screenshots/` (or
//! `$MES_SCREENSHOTS`). Skips with a printed reason when Chromium or
//! chromedriver is not installed.

#[path = "support/browser.rs"]
mod browser;

use browser::Browser;
use mes_tests::stations::*;
use mes_tests::{Rig, binaries, eventually, start_rig};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

const PLANNER_PASSWORD: &str = "violet tractor 19 lemons";
const ADMIN_PASSWORD: &str = "granite owl 88 harbours";
const KEEPER_PASSWORD: &str = "amber forklift 42 pears";

fn screenshots() -> PathBuf {
    std::env::var_os("MES_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots"))
}

async fn rig() -> Rig {
    let rig = start_rig(&binaries!(), &station_toml(None))
        .await
        .expect("rig starts");
    seed_master_data(&rig.hub.url(), &rig.creds.api_token)
        .await
        .expect("master data");
    let client = reqwest::Client::new();
    for (path, body) in [
        (
            "warehouses",
            json!({"code": "MAIN", "name": "Main store", "site": "plant-1"}),
        ),
        (
            "locations",
            json!({"code": "STORE", "warehouse": "MAIN", "site": "plant-1"}),
        ),
    ] {
        let response = client
            .post(format!("{}/api/v1/{path}", rig.hub.url()))
            .bearer_auth(&rig.creds.api_token)
            .json(&body)
            .send()
            .await
            .expect("hub answers");
        assert!(response.status().is_success(), "POST {path}");
    }
    for (login, role, password) in [
        ("planner", "planner", PLANNER_PASSWORD),
        ("keeper", "store_keeper", KEEPER_PASSWORD),
        ("boss", "admin", ADMIN_PASSWORD),
    ] {
        rig.hub
            .cli_with_input(
                &[
                    "user", "add", "--tenant", "acme", "--login", login, "--role", role,
                ],
                &format!("{password}\n"),
            )
            .expect("user add");
    }
    rig
}

async fn log_in(browser: &Browser, hub: &str, login: &str, password: &str) {
    browser.goto(&format!("{hub}/console/")).await;
    browser.wait_for("the login form", "#login-form").await;
    browser.fill("tenant", "acme").await;
    browser.fill("login", login).await;
    browser.fill("password", password).await;
    browser.click("login-submit").await;
    browser.wait_for("the console after logging in", "#user").await;
    assert_eq!(browser.text_of("user").await, login);
}

/// Machine events, through the agent's local intake like any producer's.
async fn machine_event(rig: &Rig, data: Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/local/v1/events", rig.agent.url()))
        .json(&json!({"events": [{
            "id": Uuid::now_v7(),
            "source": {"type": "device", "id": "press-1"},
            "kind": "equipment_state_changed",
            "data": data,
        }]}))
        .send()
        .await
        .expect("agent answers");
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap_or_default()
    );
}

/// Submits a console form and waits for the page it leads to.
async fn submit(browser: &Browser, form: &str) {
    browser.click_css(&format!("#{form} button[type=submit]")).await;
}

#[tokio::test]
async fn a_planner_runs_the_floor_from_the_console() {
    let Some(browser) = Browser::start_sized(1280, 1000, "en-US").await else {
        return;
    };
    let rig = rig().await;
    let hub = rig.hub.url();
    let shots = screenshots();

    // A page before logging in leads to the login page, and back after.
    log_in(&browser, &hub, "planner", PLANNER_PASSWORD).await;
    assert!(
        browser.url().await.ends_with("/console/sites/plant-1/board"),
        "{}",
        browser.url().await
    );

    // A material named like a script: stored and shown as text.
    let script = "<script>alert(1)</script>";
    browser.goto(&format!("{hub}/console/master/materials")).await;
    browser.fill_in("material-form", "code", "BRKT-9").await;
    browser.fill_in("material-form", "name", script).await;
    browser.select_in("material-form", "kind", "finished").await;
    browser.fill_in("material-form", "base_unit", "pcs").await;
    browser.fill_in("material-form", "standard_cost", "4.5").await;
    submit(&browser, "material-form").await;
    browser
        .wait_text("the new material's page", "main h1", |t| t.contains("BRKT-9"))
        .await;
    browser.goto(&format!("{hub}/console/master/materials")).await;
    let shown = browser
        .text_css("#records tr[data-code=\"BRKT-9\"] td:nth-child(2)")
        .await;
    assert_eq!(shown, script, "the name shows as text");
    assert!(
        browser.client.get_alert_text().await.is_err(),
        "no script ran: no alert is open"
    );
    let executed: Value = browser
        .client
        .execute(
            "return document.querySelectorAll('#records script').length",
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(executed, json!(0), "no script element was made from the name");

    // A routing for it, from the routing form.
    browser.goto(&format!("{hub}/console/master/routings")).await;
    browser.fill_in("routing-form", "material", "BRKT-9").await;
    for (name, value) in [
        ("versions.0.operations.0.operation", "10"),
        ("versions.0.operations.0.name", "Press"),
        ("versions.0.operations.0.equipment_type", "PRESS"),
        ("versions.0.operations.0.setup_minutes", "10"),
        ("versions.0.operations.0.run_minutes_per_unit", "0.5"),
        ("versions.0.operations.0.worker_type", "OPERATOR"),
    ] {
        browser.fill_in("routing-form", name, value).await;
    }
    submit(&browser, "routing-form").await;
    browser
        .wait_text("the new routing's page", "main h1", |t| t.contains("BRKT-9"))
        .await;

    // An order, released from its page.
    browser.goto(&format!("{hub}/console/orders")).await;
    browser.fill_in("new-order-form", "code", "PO-9").await;
    browser.fill_in("new-order-form", "material", "BRKT-9").await;
    browser.fill_in("new-order-form", "quantity", "20").await;
    submit(&browser, "new-order-form").await;
    browser
        .wait_text("the order's page", "#order-status", |t| t == "Draft")
        .await;
    browser.click("release").await;
    browser
        .wait_text("the order released", "#order-status", |t| t == "Released")
        .await;

    // The board, open while the floor works: no reload from here on.
    browser.goto(&format!("{hub}/console/sites/plant-1/board")).await;
    browser
        .wait_for("the board's live stream", "#board[data-connected=\"true\"]")
        .await;
    browser
        .client
        .execute("window.notReloaded = true; return true", vec![])
        .await
        .expect("marker set");
    wait_for_master_data(&rig.agent.url()).await;
    let agent = rig.agent.url();
    station_step(&agent, json!({"step": "scan", "code": "B-0001"}))
        .await
        .expect("clock in");
    // The released order reaches the station through the downlink.
    eventually("the station to start PO-9", Duration::from_secs(30), || {
        let agent = agent.clone();
        async move {
            let answer = station_step(&agent, json!({"step": "scan", "code": "PO:PO-9"}))
                .await
                .ok()?;
            (answer["ok"] == true).then_some(())
        }
    })
    .await;
    machine_event(&rig, json!({"equipment": "press-1", "state": "running"})).await;
    browser
        .wait_text("the card to show the run", "#m-press-1 .run", |t| {
            t.contains("PO-9")
        })
        .await;
    browser
        .wait_text("the card to show the worker", "#m-press-1 .workers", |t| {
            t.contains("W1")
        })
        .await;
    machine_event(
        &rig,
        json!({"equipment": "press-1", "state": "down", "reason": "E-42"}),
    )
    .await;
    browser
        .wait_text(
            "the card to show the stop",
            "#m-press-1 [data-field=state]",
            |t| t == "Down",
        )
        .await;
    assert_eq!(browser.text_css("#m-press-1 .reason").await, "Reason E-42");
    let same_page: Value = browser
        .client
        .execute("return window.notReloaded === true", vec![])
        .await
        .expect("marker read");
    assert_eq!(same_page, json!(true), "the board changed without a reload");
    browser.screenshot(&shots.join("board.png")).await;
    // The same board on a 10-inch tablet held upright.
    browser
        .client
        .set_window_size(800, 1280)
        .await
        .expect("window resizes");
    browser.screenshot(&shots.join("board-tablet.png")).await;
    browser
        .client
        .set_window_size(1280, 1000)
        .await
        .expect("window resizes");

    // Output and the run's end, then the order's execution log and cost.
    machine_event(&rig, json!({"equipment": "press-1", "state": "running"})).await;
    for step in [
        json!({"step": "output", "good": "18", "scrap": "2", "scrap_reason": "BURR"}),
        json!({"step": "finish"}),
    ] {
        station_step(&agent, step).await.expect("station step");
    }
    let order_url = format!("{hub}/console/orders/PO-9");
    let client = browser.client.clone();
    eventually(
        "the execution log to show the run",
        Duration::from_secs(30),
        || {
            let (client, url) = (client.clone(), order_url.clone());
            async move {
                client.goto(&url).await.ok()?;
                let run = client
                    .find(fantoccini::Locator::Css("#execution-log .run"))
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                (run.contains("press-1") && run.contains("W1") && run.contains("18")).then_some(())
            }
        },
    )
    .await;
    assert!(
        browser.exists("#order-cost").await,
        "a planner sees the order's cost"
    );
    let total = browser.text_of("actual-total").await;
    assert!(!total.is_empty(), "the actual total is shown");
    browser.screenshot(&shots.join("order.png")).await;

    browser.goto(&format!("{hub}/console/oee")).await;
    browser.wait_for("the OEE tiles", "#oee-tiles .tile").await;
    assert!(
        browser.exists("#waterfall svg rect").await,
        "the waterfall is drawn"
    );
    assert!(
        browser.text_css("#oee-machines").await.contains("press-1"),
        "the machine is listed"
    );
    browser.screenshot(&shots.join("oee.png")).await;

    for (page, file) in [
        ("stock", "stock-planner.png"),
        ("shortages", "shortages.png"),
        ("unapproved-stock", "unapproved-stock.png"),
        ("costs", "costs.png"),
        ("master", "master.png"),
    ] {
        browser.goto(&format!("{hub}/console/{page}")).await;
        browser.wait_for("the page", "main h1").await;
        browser.screenshot(&shots.join(file)).await;
    }

    // Chinese and back, kept on the user.
    browser.goto(&format!("{hub}/console/orders")).await;
    browser.click("language-switch").await;
    browser
        .wait_text("the console in Chinese", "[data-nav=orders]", |t| t == "生产订单")
        .await;
    browser.screenshot(&shots.join("orders-zh.png")).await;
    browser.goto(&format!("{hub}/console/stock")).await;
    assert_eq!(
        browser.text_css("[data-nav=stock]").await,
        "库存",
        "the choice stays"
    );
    browser.click("language-switch").await;
    browser
        .wait_text("the console in English", "[data-nav=orders]", |t| t == "Orders")
        .await;

    browser.click("logout").await;
    browser.wait_for("the login page", "#login-form").await;
}

/// A store keeper posts goods received from the stock page's form, and
/// sees neither the costs nor the users.
#[tokio::test]
async fn a_store_keeper_sees_neither_costs_nor_users() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let rig = rig().await;
    let hub = rig.hub.url();
    log_in(&browser, &hub, "keeper", KEEPER_PASSWORD).await;
    browser.goto(&format!("{hub}/console/stock")).await;
    browser.wait_for("the stock page", "#balances").await;
    // Goods received through the stock page's form.
    for (name, value) in [
        ("document", "GR-1"),
        ("material", "STEEL"),
        ("lot", "L-1"),
        ("quantity", "40"),
        ("unit", "kg"),
        ("location", "STORE"),
        ("unit_price", "1.20"),
    ] {
        browser.fill_in("receipt-form", name, value).await;
    }
    submit(&browser, "receipt-form").await;
    browser
        .wait_text("the received lot in the balances", "#balances tbody", |t| {
            t.contains("STEEL") && t.contains("L-1") && t.contains("40")
        })
        .await;
    browser.screenshot(&screenshots().join("stock.png")).await;

    for section in ["stock", "orders", "shortages", "approvals"] {
        assert!(
            browser.exists(&format!("[data-nav={section}]")).await,
            "{section} is in the navigation"
        );
    }
    for section in ["costs", "users", "board"] {
        assert!(
            !browser.exists(&format!("[data-nav={section}]")).await,
            "{section} is not in the navigation"
        );
    }
    for page in ["costs", "users", "audit", "sites/plant-1/board"] {
        browser.goto(&format!("{hub}/console/{page}")).await;
        let title = browser.text_css("h1").await;
        assert_eq!(title, "Not for your role", "/console/{page} is refused");
    }
    // The address answers 403 to anyone who asks directly too.
    let cookie = browser
        .client
        .get_all_cookies()
        .await
        .expect("cookies")
        .into_iter()
        .find(|c| c.name().ends_with("mes_session"))
        .expect("a session cookie");
    let status = reqwest::Client::new()
        .get(format!("{hub}/console/costs"))
        .header("Cookie", format!("{}={}", cookie.name(), cookie.value()))
        .send()
        .await
        .expect("hub answers")
        .status();
    assert_eq!(status.as_u16(), 403);
    // The order detail shows no cost to a store keeper.
    browser.goto(&format!("{hub}/console/orders/PO-1")).await;
    browser.wait_for("the order page", "#order-facts").await;
    assert!(!browser.exists("#order-cost").await, "no cost section");
}

/// An admin changes a user's roles on the users page: the store keeper
/// becomes a store keeper at plant-1 only and a viewer; the API reads the
/// new grants back and the audit page lists the change.
#[tokio::test]
async fn an_admin_changes_a_users_roles_on_the_users_page() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let rig = rig().await;
    let hub = rig.hub.url();
    log_in(&browser, &hub, "boss", ADMIN_PASSWORD).await;
    browser.goto(&format!("{hub}/console/users")).await;
    browser.wait_for("the users table", "#users").await;
    let form = "form.roles-form[data-login=keeper]";
    browser
        .click_css(&format!("tr.role-editor:has({form}) summary"))
        .await;
    let field = |name: &str| format!("{form} [name=\"{name}\"]");
    browser.select_css(&field("roles.0.role"), "store_keeper").await;
    browser.fill_css(&field("roles.0.sites"), "plant-1").await;
    browser.select_css(&field("roles.1.role"), "viewer").await;
    browser.click_css(&format!("{form} button[type=submit]")).await;
    browser
        .wait_text(
            "the keeper's new roles in the table",
            "#users tr[data-login=keeper]",
            |t| t.contains("store_keeper (plant-1)") && t.contains("viewer"),
        )
        .await;
    let grants: Value = reqwest::Client::new()
        .get(format!("{hub}/api/v1/users/keeper/roles"))
        .bearer_auth(&rig.creds.api_token)
        .send()
        .await
        .expect("hub answers")
        .json()
        .await
        .expect("roles as JSON");
    assert_eq!(
        grants,
        json!([{"role": "store_keeper", "sites": ["plant-1"]}, {"role": "viewer"}]),
        "the API reads back what the page saved"
    );
    browser.goto(&format!("{hub}/console/audit")).await;
    browser
        .wait_text("the change in the audit log", "main", |t| t.contains("keeper"))
        .await;
}

/// The planning board: a plan made through the API shows order PO-1's
/// press operation as a bar on press-1's row; clicking it highlights the
/// order's chain and opens its panel; a store keeper has no link and the
/// page (and its address) refuses them.
#[tokio::test]
async fn a_planner_sees_the_live_plan_as_a_machine_gantt() {
    let Some(browser) = Browser::start_sized(1280, 800, "en-US").await else {
        return;
    };
    let rig = rig().await;
    let hub = rig.hub.url();
    let response = reqwest::Client::new()
        .post(format!("{hub}/api/v1/schedules/plant-1/run"))
        .bearer_auth(&rig.creds.api_token)
        .json(&json!({"time_limit_seconds": 1}))
        .send()
        .await
        .expect("hub answers");
    assert_eq!(
        response.status().as_u16(),
        201,
        "{}",
        response.text().await.unwrap_or_default()
    );

    log_in(&browser, &hub, "planner", PLANNER_PASSWORD).await;
    assert!(
        browser.exists("[data-nav=plan]").await,
        "the planner has the link"
    );
    browser.goto(&format!("{hub}/console/plan")).await;
    browser
        .wait_for("PO-1's bar on the board", "#gantt a.bar[data-order=\"PO-1\"]")
        .await;
    assert!(browser.url().await.ends_with("/console/sites/plant-1/plan"));
    assert!(browser.text_css("#gantt").await.contains("press-1 · Press 1"));
    // The bar lies in press-1's row (its only machine row).
    let in_row = browser
        .client
        .execute(
            "var bar = document.querySelector('#gantt a.bar[data-order=\"PO-1\"] rect');
             var row = document.querySelector('#gantt g.row rect');
             var b = bar.getBoundingClientRect(), r = row.getBoundingClientRect();
             return b.top >= r.top && b.bottom <= r.bottom && row.parentNode.textContent;",
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(in_row.as_str(), Some("press-1 · Press 1"), "{in_row}");
    assert!(!browser.exists("#gantt a.bar.selected").await);

    browser.click_css("#gantt a.bar[data-order=\"PO-1\"]").await;
    browser
        .wait_text("the chosen order", "#chosen-code", |t| t == "PO-1")
        .await;
    assert!(browser.exists("#gantt a.bar.selected[data-order=\"PO-1\"]").await);
    assert!(browser.url().await.contains("order=PO-1"));
    browser.click_css("#zoom a[href$=\"span=1d\"]").await;
    browser
        .wait_text("the one-day zoom", "#zoom a[aria-current=page]", |t| t == "1 day")
        .await;
    assert!(browser.exists("#gantt a.bar.selected[data-order=\"PO-1\"]").await);
    browser.screenshot(&screenshots().join("plan.png")).await;
    browser.click("logout").await;
    browser.wait_for("the login page", "#login-form").await;

    log_in(&browser, &hub, "keeper", KEEPER_PASSWORD).await;
    assert!(
        !browser.exists("[data-nav=plan]").await,
        "no link for a store keeper"
    );
    browser.goto(&format!("{hub}/console/sites/plant-1/plan")).await;
    assert_eq!(browser.text_css("h1").await, "Not for your role");
    let cookie = browser
        .client
        .get_all_cookies()
        .await
        .expect("cookies")
        .into_iter()
        .find(|c| c.name().ends_with("mes_session"))
        .expect("a session cookie");
    let status = reqwest::Client::new()
        .get(format!("{hub}/console/sites/plant-1/plan"))
        .header("Cookie", format!("{}={}", cookie.name(), cookie.value()))
        .send()
        .await
        .expect("hub answers")
        .status();
    assert_eq!(status.as_u16(), 403);
}

//! What every case starts from: a hub on the test database, a tenant with
//! the units, equipment type and worker type that files refer to, a client
//! that posts file bodies, the files themselves, and an .xlsx builder.

use crate::harness::TestDb;
use crate::hub::{Hub, Reply, Tenant, without_bookkeeping};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use cloud_hub::api::{HubState, IngestLimits, router};
use cloud_hub::metrics::HubMetrics;
use http_body_util::BodyExt;
use rust_xlsxwriter::Workbook;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// The content type of a CSV body.
pub const CSV: &str = "text/csv";
/// The content type of an .xlsx body.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Clean materials: `STEEL` is in the hub already; `SCREW` has a box unit.
pub const MATERIALS: &str = "code,name,kind,base_unit,alt_units,lot_tracked,standard_cost
BOLT,Bolt M8,raw,pcs,box:100,no,0.05
SCREW,\"Screw, 4x20\",raw,pcs,box:250;pallet:50000,no,0.0125
SHAFT,Shaft,semi-finished,pcs,,yes,12.50
PUMP,Pump,finished,pcs,,yes,120
";

/// Clean BOMs of the materials above (version 2 of the pump uses up the
/// old bolts before switching to screws).
pub const BOMS: &str = "parent,version,valid_from,valid_to,component,quantity,unit,use_up_old_stock
PUMP,1,2026-01-01,2026-06-30,SHAFT,1,pcs,no
PUMP,1,2026-01-01,2026-06-30,BOLT,8,pcs,no
SHAFT,A,2026-01-01,,STEEL,2.500,kg,no
PUMP,2,2026-07-01,,SHAFT,1,pcs,no
PUMP,2,2026-07-01,,SCREW,0.032,box,yes
";

/// Clean routings: an operation with two inputs is two rows; the pump's
/// operations are listed out of order.
pub const ROUTINGS: &str = "material,version,operation,equipment_type,setup_minutes,run_minutes_per_unit,worker_type,input_material,input_quantity,input_unit,output_material
SHAFT,1,10,lathe,15,2.5,turner,STEEL,2.5,kg,
PUMP,1,20,lathe,0,1.5,turner,,,,
PUMP,1,10,lathe,30,4,turner,SHAFT,1,pcs,
PUMP,1,10,lathe,30,4,turner,BOLT,8,pcs,
";

/// A hub with one provisioned tenant.
pub struct World {
    /// JSON calls and provisioning.
    pub hub: Hub,
    /// File calls.
    pub files: Files,
    /// The tenant.
    pub t: Tenant,
}

/// A hub on `db` with tenant `alpha` provisioned by [`seed`].
pub async fn world(db: &TestDb) -> World {
    let hub = Hub::new(&db.store);
    let t = hub.tenant("alpha").await;
    seed(&hub, &t).await;
    World {
        files: Files::new(db),
        hub,
        t,
    }
}

/// What files refer to but do not hold: units `pcs`, `kg`, `box`,
/// `pallet`, equipment type `lathe`, worker type `turner`, material `STEEL`.
pub async fn seed(hub: &Hub, t: &Tenant) {
    for (code, decimals) in [("pcs", 0), ("kg", 3), ("box", 0), ("pallet", 0)] {
        let unit = json!({"code": code, "name": code, "decimals": decimals});
        hub.post("/api/v1/units", &t.token, &unit).await.expect(201);
    }
    let lathe = json!({"code": "lathe", "name": "Lathe"});
    hub.post("/api/v1/equipment-types", &t.token, &lathe)
        .await
        .expect(201);
    let turner = json!({"code": "turner", "name": "Turner", "hourly_rate": "38.50"});
    hub.post("/api/v1/worker-types", &t.token, &turner)
        .await
        .expect(201);
    let steel = json!({"code": "STEEL", "name": "Steel bar", "kind": "raw", "base_unit": "kg",
        "lot_tracked": true, "standard_cost": "1.20"});
    hub.post("/api/v1/materials", &t.token, &steel).await.expect(201);
}

/// Every material, BOM and routing of the tenant (archived ones too), as
/// the API lists them with their versions: any write changes this.
pub async fn stored(hub: &Hub, token: &str) -> Value {
    let mut all = serde_json::Map::new();
    for kind in ["materials", "boms", "routings"] {
        let page = hub
            .get(format!("/api/v1/{kind}?archived=true&limit=1000"), token)
            .await
            .expect(200);
        all.insert(kind.into(), page.body["items"].clone());
    }
    Value::Object(all)
}

/// [`stored`] without versions and times: the records themselves.
pub async fn records(hub: &Hub, token: &str) -> Value {
    let mut all = stored(hub, token).await;
    for items in all.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
        for item in items.as_array_mut().into_iter().flatten() {
            *item = without_bookkeeping(item);
        }
    }
    all
}

/// Posts file bodies through the real router.
pub struct Files {
    router: Router,
}

impl Files {
    /// The router on `db`'s store.
    pub fn new(db: &TestDb) -> Files {
        let state = HubState::new(
            db.store.clone(),
            Arc::new(HubMetrics::default()),
            IngestLimits {
                max_body_bytes: 4 << 20,
                max_inflated_bytes: 32 << 20,
                ..IngestLimits::default()
            },
            cloud_hub::clock::system_clock(),
        );
        Files {
            router: router(state),
        }
    }

    /// `method path` with `token`, `content_type` and `body`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = Request::builder().method(method.clone()).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request
            .body(Body::from(body))
            .expect("the test builds a valid request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router's error type is Infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("an in-process body can be read")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            what: format!("{method} {path}"),
            status,
            // Not an ETag: the content type, which the export cases check.
            etag: content_type,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
            headers,
        }
    }

    /// Posts `csv` to `/api/v1/import/<kind>`.
    pub async fn csv(&self, kind: &str, token: &str, csv: &str) -> Reply {
        let path = format!("/api/v1/import/{kind}");
        self.send(
            Method::POST,
            &path,
            Some(token),
            Some(CSV),
            csv.as_bytes().to_vec(),
        )
        .await
    }

    /// Posts an .xlsx body to `path`.
    pub async fn xlsx(&self, path: &str, token: &str, bytes: Vec<u8>) -> Reply {
        self.send(Method::POST, path, Some(token), Some(XLSX), bytes)
            .await
    }

    /// `GET /api/v1/export/<kind>.csv`: the CSV text.
    pub async fn export(&self, kind: &str, token: &str) -> String {
        let path = format!("/api/v1/export/{kind}.csv");
        let reply = self
            .send(Method::GET, &path, Some(token), None, Vec::new())
            .await
            .expect(200);
        assert!(
            reply.etag.as_deref().is_some_and(|t| t.starts_with("text/csv")),
            "{} is CSV: {:?}",
            reply.what,
            reply.etag
        );
        reply.text
    }
}

/// One cell of a generated workbook.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// Text.
    T(&'a str),
    /// A number.
    N(f64),
    /// Nothing.
    E,
}

/// An .xlsx file with one sheet per `(name, rows)`, each table at A1.
pub fn workbook(sheets: &[(&str, Vec<Vec<Cell<'_>>>)]) -> Vec<u8> {
    let mut book = Workbook::new();
    for (name, rows) in sheets {
        let ws = book.add_worksheet();
        ws.set_name(*name).expect("a valid sheet name");
        for (r, cells) in rows.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                let (row, col) = (r as u32, c as u16);
                match cell {
                    Cell::T(text) => ws.write_string(row, col, *text).map(|_| ()),
                    Cell::N(n) => ws.write_number(row, col, *n).map(|_| ()),
                    Cell::E => Ok(()),
                }
                .expect("a cell is written");
            }
        }
    }
    book.save_to_buffer().expect("the workbook is written to memory")
}

/// The cells of a CSV text, for building workbooks from the CSV files
/// above (numbers stay text, which the format reads too; empty cells stay
/// blank).
pub fn cells(rows: &[Vec<String>]) -> Vec<Vec<Cell<'_>>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|s| if s.is_empty() { Cell::E } else { Cell::T(s) })
                .collect()
        })
        .collect()
}

/// The rows of a CSV text (see [`cells`]).
pub fn rows_of(csv: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes());
    reader
        .records()
        .map(|r| {
            r.expect("the test's CSV parses")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// `(sheet, row, column name, column letter)` of each listed bad row of a
/// 422 `import_failed` answer, after checking that each has a value and a
/// reason.
#[track_caller]
pub fn bad_rows(reply: &Reply) -> Vec<(Option<String>, u64, String, String)> {
    let reply = reply.clone().expect_error(422, "import_failed", None);
    let rows = reply.body["error"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no error.rows in {}", reply.what, reply.text));
    rows.iter()
        .map(|r| {
            assert!(
                r["reason"].as_str().is_some_and(|s| !s.is_empty()) && r["value"].is_string(),
                "{}: a listed row has a value and a reason: {r}",
                reply.what
            );
            (
                r["sheet"].as_str().map(str::to_string),
                r["row"].as_u64().expect("a row number"),
                r["column"].as_str().unwrap_or_default().to_string(),
                r["letter"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The reason given for `(row, column)` in a 422 answer.
#[track_caller]
pub fn reason(reply: &Reply, row: u64, column: &str) -> String {
    reply.body["error"]["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["row"] == row && r["column"] == column)
        .and_then(|r| r["reason"].as_str())
        .unwrap_or_else(|| panic!("no error at row {row}, column {column}: {}", reply.text))
        .to_string()
}

//! Files with errors: every bad row is listed with its row number, column
//! (name and letter) and reason, in one answer, and nothing is stored.
//! References the hub must resolve (units, equipment and worker types,
//! materials, a unit belonging to its material) are listed like bad cells.

use crate::harness::TestDb;
use crate::world::{Cell, MATERIALS, XLSX, bad_rows, cells, reason, rows_of, stored, workbook, world};
use axum::http::Method;

fn places(list: &[(&str, u64, &str, &str)]) -> Vec<(Option<String>, u64, String, String)> {
    list.iter()
        .map(|(sheet, row, col, letter)| {
            let sheet = (!sheet.is_empty()).then(|| sheet.to_string());
            (sheet, *row, col.to_string(), letter.to_string())
        })
        .collect()
}

/// A materials, a BOM and a routing CSV, each with several bad rows among
/// good ones (bad cells, unknown references, a unit the material is not
/// counted in): 422 listing exactly those rows, and the tenant's records
/// unchanged, versions included.
pub async fn csv_files_with_errors_list_every_bad_row_and_store_nothing(db: &TestDb) {
    let w = world(db).await;
    w.files.csv("materials", &w.t.token, MATERIALS).await.expect(201);
    let before = stored(&w.hub, &w.t.token).await;

    let materials = "code,name,kind,base_unit,alt_units,lot_tracked,standard_cost
NUT,Nut M8,raw,pcs,,no,0.01
WASHER,Washer,raw,crate,,no,0.01
RING,Ring,raw,pcs,bag:50,no,-1
,Nameless,plastic,pcs,,maybe,1
BOLT,Bolt M8 (new name),raw,pcs,box:100,no,0.06
";
    let reply = w.files.csv("materials", &w.t.token, materials).await;
    assert_eq!(
        bad_rows(&reply),
        places(&[
            ("", 3, "base_unit", "D"),
            ("", 4, "alt_units", "E"),
            ("", 4, "standard_cost", "G"),
            ("", 5, "code", "A"),
            ("", 5, "kind", "C"),
            ("", 5, "lot_tracked", "F"),
        ]),
        "{}",
        reply.text
    );
    assert!(reason(&reply, 3, "base_unit").contains("not a unit of measure"));
    assert!(reason(&reply, 4, "alt_units").contains("bag"));
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nothing was imported")),
        "{}",
        reply.text
    );

    let boms = "parent,version,valid_from,valid_to,component,quantity,unit,use_up_old_stock
PUMP,1,2026-01-01,,SHAFT,1,pcs,no
PUMP,1,2026-01-01,,BOLT,8,kg,no
PUMP,1,2026-01-01,,GHOST,1,pcs,no
PUMP,1,2026-01-01,,SCREW,0,pcs,no
SHAFT,A,2026-01-01,,STEEL,2.5,litre,no
SHAFT,B,2026-03-01,,STEEL,2.5,kg,no
";
    let reply = w.files.csv("boms", &w.t.token, boms).await;
    assert_eq!(
        bad_rows(&reply),
        places(&[
            ("", 3, "unit", "G"),
            ("", 4, "component", "E"),
            ("", 5, "quantity", "F"),
            ("", 6, "unit", "G"),
            ("", 7, "valid_from", "C"),
        ]),
        "{}",
        reply.text
    );
    assert!(reason(&reply, 3, "unit").contains("not a unit of BOLT"));
    assert!(reason(&reply, 4, "component").contains("not a known material"));
    assert!(reason(&reply, 6, "unit").contains("not a unit of measure"));
    assert!(reason(&reply, 7, "valid_from").contains("overlaps"));

    let routings = "material,version,operation,equipment_type,setup_minutes,run_minutes_per_unit,worker_type,input_material,input_quantity,input_unit,output_material
SHAFT,1,10,lathe,15,2.5,turner,STEEL,2.5,kg,
SHAFT,1,20,mill,5,1,turner,,,,
SHAFT,1,30,lathe,5,1,welder,,,,
PUMP,1,10,lathe,x,4,turner,SHAFT,1,box,
PUMP,1,20,lathe,1,1,turner,,,,GHOST
";
    let reply = w.files.csv("routings", &w.t.token, routings).await;
    assert_eq!(
        bad_rows(&reply),
        places(&[
            ("", 3, "equipment_type", "D"),
            ("", 4, "worker_type", "G"),
            ("", 5, "setup_minutes", "E"),
            ("", 5, "input_unit", "J"),
            ("", 6, "output_material", "K"),
        ]),
        "{}",
        reply.text
    );
    assert!(reason(&reply, 3, "equipment_type").contains("not an equipment type"));
    assert!(reason(&reply, 4, "worker_type").contains("not a worker type"));
    assert!(reason(&reply, 5, "input_unit").contains("not a unit of SHAFT"));

    assert_eq!(
        stored(&w.hub, &w.t.token).await,
        before,
        "a rejected file changes nothing"
    );
}

/// A workbook whose three sheets each hold a bad row (a BOM naming a unit
/// the workbook's own material is not counted in, a routing on an unknown
/// equipment type): one 422 listing them with their sheets; the good
/// materials of the workbook are not stored either.
pub async fn xlsx_workbook_with_errors_lists_every_bad_row_of_every_sheet_and_stores_nothing(db: &TestDb) {
    use Cell::{E, N, T};
    let w = world(db).await;
    let before = stored(&w.hub, &w.t.token).await;
    let header = rows_of(MATERIALS).remove(0);
    let materials = vec![
        header.iter().map(|h| T(h)).collect(),
        vec![
            T("FLANGE"),
            T("Flange"),
            T("semi-finished"),
            T("pcs"),
            E,
            T("no"),
            N(4.5),
        ],
        vec![T("GASKET"), T("Gasket"), T("raw"), T("crate"), E, T("no"), N(0.2)],
    ];
    let boms = rows_of(
        "parent,version,valid_from,valid_to,component,quantity,unit,use_up_old_stock
FLANGE,1,2026-01-01,2026-12-31,STEEL,1.5,kg,no
FLANGE,1,2026-01-01,2026-12-31,GASKET,2,pcs,no
FLANGE,2,2027-01-01,,STEEL,1,box,no
",
    );
    let routings = rows_of(
        "material,version,operation,equipment_type,setup_minutes,run_minutes_per_unit,worker_type,input_material,input_quantity,input_unit,output_material
FLANGE,1,10,mill,15,2.5,turner,STEEL,1.5,kg,
FLANGE,1,20,lathe,5,1,turner,,,,
",
    );
    let bytes = workbook(&[
        ("materials", materials),
        ("boms", cells(&boms)),
        ("routings", cells(&routings)),
    ]);
    let reply = w.files.xlsx("/api/v1/import/workbook", &w.t.token, bytes).await;
    assert_eq!(
        bad_rows(&reply),
        places(&[
            ("boms", 4, "unit", "G"),
            ("materials", 3, "base_unit", "D"),
            ("routings", 2, "equipment_type", "D"),
        ]),
        "{}",
        reply.text
    );
    assert!(reason(&reply, 4, "unit").contains("not a unit of STEEL"));
    assert!(
        reply.body["error"]["rows"][1]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("sheet materials, row 3, column D (base_unit)")),
        "{}",
        reply.text
    );
    assert_eq!(stored(&w.hub, &w.t.token).await, before, "nothing stored");
}

/// A single-kind import from a named sheet of a workbook reports that
/// sheet; a sheet the workbook lacks is 422 naming `sheet`.
pub async fn xlsx_single_sheet_with_errors_names_the_sheet(db: &TestDb) {
    let w = world(db).await;
    let before = stored(&w.hub, &w.t.token).await;
    let mut rows = rows_of(MATERIALS);
    rows[2][6] = "1,5".into();
    let bytes = workbook(&[
        ("Notes", vec![vec![Cell::T("not data")]]),
        ("Stock items", cells(&rows)),
    ]);
    let reply = w
        .files
        .xlsx(
            "/api/v1/import/materials?sheet=stock%20items",
            &w.t.token,
            bytes.clone(),
        )
        .await;
    assert_eq!(
        bad_rows(&reply),
        places(&[("Stock items", 3, "standard_cost", "G")]),
        "{}",
        reply.text
    );
    let reply = w
        .files
        .xlsx("/api/v1/import/materials?sheet=Parts", &w.t.token, bytes)
        .await
        .expect_error(422, "import_failed", Some("sheet"));
    assert!(
        reply.text.contains("Stock items"),
        "the answer lists the sheets: {}",
        reply.text
    );
    assert_eq!(stored(&w.hub, &w.t.token).await, before, "nothing stored");
}

/// Bodies that are not an importable file, and requests that are wrong
/// before a file is read, are answered in the API's error shape and
/// change nothing.
pub async fn bodies_that_are_not_files_are_refused_in_the_error_shape(db: &TestDb) {
    let w = world(db).await;
    let before = stored(&w.hub, &w.t.token).await;
    let token = Some(w.t.token.as_str());
    let post = |path: &'static str, content_type: Option<&'static str>, body: Vec<u8>| {
        w.files.send(Method::POST, path, token, content_type, body)
    };
    let csv = MATERIALS.as_bytes().to_vec();
    post("/api/v1/import/materials", None, csv.clone())
        .await
        .expect_error(415, "unsupported_media_type", Some("Content-Type"));
    post("/api/v1/import/materials", Some("application/json"), csv.clone())
        .await
        .expect_error(415, "unsupported_media_type", Some("Content-Type"));
    post("/api/v1/import/workbook", Some("text/csv"), csv.clone())
        .await
        .expect_error(415, "unsupported_media_type", Some("Content-Type"));
    // A rule across the query and the body's type: 422 (the OpenAPI
    // document cannot state it).
    post(
        "/api/v1/import/materials?sheet=one",
        Some("text/csv"),
        csv.clone(),
    )
    .await
    .expect_error(422, "invalid_query", Some("sheet"));
    post("/api/v1/import/boms?dry_run=true", Some("text/csv"), csv.clone())
        .await
        .expect_error(400, "invalid_query", Some("dry_run"));
    w.files
        .send(
            Method::POST,
            "/api/v1/import/materials",
            None,
            Some("text/csv"),
            csv.clone(),
        )
        .await
        .expect_error(401, "unauthorized", None);
    let reply = post("/api/v1/import/materials", Some(XLSX), csv.clone())
        .await
        .expect_error(422, "import_failed", None);
    assert_eq!(
        reply.body["error"]["rows"],
        serde_json::json!([]),
        "{}",
        reply.text
    );
    post(
        "/api/v1/import/routings",
        Some("text/csv; charset=utf-8"),
        Vec::new(),
    )
    .await
    .expect_error(422, "import_failed", None);
    post(
        "/api/v1/import/materials",
        Some("text/csv"),
        b"code,name\n\"unterminated".to_vec(),
    )
    .await
    .expect(422);
    let huge = vec![b'x'; (16 << 20) + 1];
    post("/api/v1/import/materials", Some("text/csv"), huge)
        .await
        .expect_error(413, "payload_too_large", None);
    assert_eq!(stored(&w.hub, &w.t.token).await, before, "nothing stored");
}

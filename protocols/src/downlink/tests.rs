//! Serde round trips and the wire shape of downlink pages.

use super::*;
use rust_decimal::Decimal;
use time::macros::date;

fn code(raw: &str) -> Code {
    Code::parse(raw).expect("test codes are valid")
}

fn dec(raw: &str) -> Decimal {
    raw.parse().expect("test decimals are valid")
}

fn sample_page() -> DownlinkPage {
    DownlinkPage {
        cursor: 42,
        more: false,
        reset: false,
        upserts: vec![
            Record::Station(StationRecord {
                code: code("st-1"),
                name: "Press line 1".into(),
                equipment: vec![code("press-1")],
                location: Some(code("LINE-1")),
            }),
            Record::Equipment(EquipmentRecord {
                code: code("press-1"),
                name: "Press 1".into(),
                equipment_type: code("PRESS"),
            }),
            Record::Worker(WorkerRecord {
                code: code("W-17"),
                name: "Ana".into(),
                badge: code("0017"),
                worker_type: code("OPERATOR"),
            }),
            Record::Material(MaterialRecord {
                code: code("STEEL"),
                name: "Steel sheet".into(),
                base_unit: code("kg"),
                alt_units: vec![AltUnit {
                    unit: code("sheet"),
                    factor: dec("2.5"),
                }],
                lot_tracked: true,
            }),
            Record::Lot(LotRecord {
                material: code("STEEL"),
                lot: code("L-7"),
                expires_on: Some(date!(2026 - 12 - 31)),
                blocked: false,
                manufacturer: Some(code("ACME")),
            }),
            Record::Order(OrderRecord {
                code: code("PO-1"),
                material: code("BRACKET"),
                quantity: dec("100"),
                unit: code("pcs"),
                due: Some(date!(2026 - 11 - 30)),
                status: OrderStatus::Released,
                customer: Some(code("BOSCH")),
                operations: vec![OrderOperation {
                    operation: code("10"),
                    name: "Press".into(),
                    equipment_type: code("PRESS"),
                    worker_type: Some(code("OPERATOR")),
                    setup_minutes: dec("15"),
                    run_minutes_per_unit: dec("0.5"),
                    inputs: vec![OperationInput {
                        material: code("STEEL"),
                        quantity_per_unit: dec("0.25"),
                        unit: code("kg"),
                    }],
                    output: None,
                }],
            }),
            Record::Reason(ReasonRecord {
                code: code("JAM"),
                reason_kind: ReasonKind::Downtime,
                text: "Material jam".into(),
            }),
            Record::Approval(crate::approval::ApprovalList {
                material: code("STEEL"),
                approvals: vec![crate::approval::Approval {
                    manufacturer: code("ACME"),
                    status: crate::approval::ApprovalStatus::Conditional,
                    reason: Some("deviation D-12".into()),
                    expires_on: Some(date!(2026 - 12 - 31)),
                }],
                customers: Vec::new(),
            }),
        ],
        removals: vec![
            Removal {
                kind: RecordKind::Order,
                code: code("PO-0"),
                material: None,
            },
            Removal {
                kind: RecordKind::Lot,
                code: code("L-1"),
                material: Some(code("STEEL")),
            },
        ],
    }
}

#[test]
fn page_round_trips_through_json() {
    let page = sample_page();
    let json = serde_json::to_string(&page).expect("serializes");
    let back: DownlinkPage = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, page);
}

#[test]
fn wire_shape_is_tagged_with_decimal_strings_and_iso_dates() {
    let value = serde_json::to_value(sample_page()).expect("serializes");
    let lot = &value["upserts"][4];
    assert_eq!(lot["kind"], "lot");
    assert_eq!(lot["expires_on"], "2026-12-31");
    let order = &value["upserts"][5];
    assert_eq!(order["kind"], "order");
    assert_eq!(order["quantity"], "100");
    assert_eq!(order["status"], "released");
    assert_eq!(order["operations"][0]["inputs"][0]["quantity_per_unit"], "0.25");
    assert_eq!(
        (lot["manufacturer"].as_str(), order["customer"].as_str()),
        (Some("ACME"), Some("BOSCH"))
    );
    let approval = &value["upserts"][7];
    assert_eq!(approval["kind"], "approval");
    assert_eq!(approval["approvals"][0]["status"], "conditional");
    assert_eq!(approval["approvals"][0]["expires_on"], "2026-12-31");
    let key = sample_page().upserts[7].key().expect("known kind");
    assert_eq!((key.kind, key.code.as_str()), (RecordKind::Approval, "STEEL"));
    assert_eq!(value["upserts"][3]["alt_units"][0]["factor"], "2.5");
    assert_eq!(
        value["removals"][1],
        serde_json::json!({"kind": "lot", "code": "L-1", "material": "STEEL"})
    );
}

#[test]
fn reads_a_hand_written_page_with_optional_fields_left_out() {
    let json = r#"{"cursor": 7, "more": true, "reset": true,
        "upserts": [
          {"kind": "station", "code": "st-1", "name": "S1"},
          {"kind": "lot", "material": "M", "lot": "L1"},
          {"kind": "order", "code": "PO-1", "material": "M", "quantity": "5", "unit": "pcs",
           "status": "in_progress", "new_field_from_a_newer_hub": 1},
          {"kind": "tool", "code": "T1"}
        ]}"#;
    let page: DownlinkPage = serde_json::from_str(json).expect("deserializes");
    assert!(page.more && page.reset);
    assert!(page.removals.is_empty());
    let Record::Lot(lot) = &page.upserts[1] else {
        panic!("lot expected")
    };
    assert_eq!((lot.expires_on, lot.blocked), (None, false));
    let Record::Order(order) = &page.upserts[2] else {
        panic!("order expected")
    };
    assert_eq!(order.status, OrderStatus::InProgress);
    assert_eq!(page.upserts[3], Record::Unknown);
    assert_eq!(page.upserts[3].key(), None);
}

#[test]
fn bad_values_are_refused_with_the_reason() {
    let bad_date = r#"{"kind": "lot", "material": "M", "lot": "L1", "expires_on": "31.12.2026"}"#;
    let err = serde_json::from_str::<Record>(bad_date).expect_err("bad date");
    assert!(err.to_string().contains("not a date YYYY-MM-DD"), "{err}");
    let bad_code = r#"{"kind": "worker", "code": "", "name": "x", "badge": "1", "worker_type": "OP"}"#;
    let err = serde_json::from_str::<Record>(bad_code).expect_err("empty code");
    assert!(err.to_string().contains("code must not be empty"), "{err}");
}

#[test]
fn keys_name_kind_code_and_the_lot_material() {
    let page = sample_page();
    let lot_key = page.upserts[4].key().expect("known kind");
    assert_eq!((lot_key.kind, lot_key.code.as_str()), (RecordKind::Lot, "L-7"));
    assert_eq!(lot_key.material, page.removals[1].material);
    let station_key = page.upserts[0].key().expect("known kind");
    assert_eq!(
        (station_key.kind, station_key.code.as_str()),
        (RecordKind::Station, "st-1")
    );
    for kind in RecordKind::ALL {
        assert_eq!(RecordKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn factor_to_base_knows_base_and_alternative_units_only() {
    let Record::Material(steel) = &sample_page().upserts[3] else {
        panic!("material expected")
    };
    assert_eq!(steel.factor_to_base(&code("kg")), Some(Decimal::ONE));
    assert_eq!(steel.factor_to_base(&code("sheet")), Some(dec("2.5")));
    assert_eq!(steel.factor_to_base(&code("m")), None);
}

#[test]
fn query_reads_since_and_optional_limit() {
    let q: DownlinkQuery = serde_json::from_str(r#"{"since": 12}"#).expect("query");
    assert_eq!(
        q,
        DownlinkQuery {
            since: 12,
            limit: None,
            plan: None
        }
    );
    let q: DownlinkQuery = serde_json::from_str(r#"{"since": 3, "plan": 7}"#).expect("query");
    assert_eq!(q.plan, Some(7));
}

#[test]
fn a_removal_of_a_kind_this_version_does_not_know_is_read_as_unknown() {
    let page: DownlinkPage = serde_json::from_str(
        r#"{"cursor": 3, "more": false, "reset": false,
            "upserts": [{"kind": "gizmo", "code": "G-1"}],
            "removals": [{"kind": "gizmo", "code": "G-1"}, {"kind": "order", "code": "PO-1"}]}"#,
    )
    .expect("a page from a newer hub reads");
    assert!(matches!(page.upserts[0], Record::Unknown));
    assert_eq!(page.removals[0].kind, RecordKind::Unknown);
    assert_eq!(page.removals[1].kind, RecordKind::Order);
    assert!(!RecordKind::ALL.contains(&RecordKind::Unknown));
}

//! The station rule, case by case: approved, conditional within and after
//! its expiry, blocked, a customer's own list, no list.

use super::*;
use time::macros::date;

fn code(raw: &str) -> Code {
    Code::parse(raw).expect("test codes are valid")
}

fn entry(maker: &str, status: ApprovalStatus, reason: Option<&str>, expires_on: Option<Date>) -> Approval {
    Approval {
        manufacturer: code(maker),
        status,
        reason: reason.map(str::to_string),
        expires_on,
    }
}

/// STEEL-2MM: ACME approved, BETA conditional until 2026-11-30, RUSTY
/// blocked; customer BOSCH accepts only BETA (no condition) and ACME
/// blocked for it.
fn steel() -> ApprovalList {
    ApprovalList {
        material: code("STEEL-2MM"),
        approvals: vec![
            entry("ACME", ApprovalStatus::Approved, None, None),
            entry(
                "BETA",
                ApprovalStatus::Conditional,
                Some("deviation D-12"),
                Some(date!(2026 - 11 - 30)),
            ),
            entry("RUSTY", ApprovalStatus::Blocked, Some("8D 2026-041"), None),
        ],
        customers: vec![CustomerApprovals {
            customer: code("BOSCH"),
            approvals: vec![
                entry("BETA", ApprovalStatus::Approved, None, None),
                entry("RUSTY", ApprovalStatus::Approved, None, None),
            ],
        }],
    }
}

fn ask(
    list: Option<&ApprovalList>,
    maker: Option<&str>,
    customer: Option<&str>,
    on: Date,
) -> Result<Verdict, String> {
    let (lot, material) = (code("L-7"), code("STEEL-2MM"));
    let (maker, customer) = (maker.map(code), customer.map(code));
    let q = Question {
        lot: &lot,
        material: &material,
        manufacturer: maker.as_ref(),
        customer: customer.as_ref(),
        on,
    };
    judge(list, &q).map_err(|r| r.message)
}

const DAY: Date = date!(2026 - 11 - 15);

#[test]
fn approved_maker_is_accepted() {
    assert_eq!(
        ask(Some(&steel()), Some("ACME"), None, DAY),
        Ok(Verdict::Approved)
    );
}

#[test]
fn conditional_maker_is_accepted_up_to_its_last_day() {
    let expected = Ok(Verdict::Conditional {
        reason: "deviation D-12".into(),
        expires_on: date!(2026 - 11 - 30),
    });
    assert_eq!(ask(Some(&steel()), Some("BETA"), None, DAY), expected);
    assert_eq!(
        ask(Some(&steel()), Some("BETA"), None, date!(2026 - 11 - 30)),
        expected
    );
}

#[test]
fn conditional_maker_is_refused_after_its_expiry() {
    assert_eq!(
        ask(Some(&steel()), Some("BETA"), None, date!(2026 - 12 - 01)),
        Err("L-7: approval of maker BETA for STEEL-2MM lapsed on 2026-11-30".into())
    );
}

#[test]
fn blocked_maker_is_refused_with_the_reason() {
    assert_eq!(
        ask(Some(&steel()), Some("RUSTY"), None, DAY),
        Err("L-7: maker RUSTY blocked for STEEL-2MM (8D 2026-041)".into())
    );
}

#[test]
fn unlisted_maker_is_refused() {
    assert_eq!(
        ask(Some(&steel()), Some("GAMMA"), None, DAY),
        Err("L-7: maker GAMMA not approved for STEEL-2MM".into())
    );
}

#[test]
fn lot_without_maker_is_refused_when_the_material_has_a_list() {
    assert_eq!(
        ask(Some(&steel()), None, None, DAY),
        Err("L-7: maker unknown; STEEL-2MM needs an approved maker".into())
    );
}

#[test]
fn customer_list_replaces_the_general_list_for_its_orders() {
    // ACME is approved in general but not on BOSCH's list.
    assert_eq!(
        ask(Some(&steel()), Some("ACME"), Some("BOSCH"), DAY),
        Err("L-7: maker ACME not approved for STEEL-2MM for customer BOSCH".into())
    );
    // BETA is unconditional for BOSCH, even after the general condition lapsed.
    assert_eq!(
        ask(Some(&steel()), Some("BETA"), Some("BOSCH"), date!(2027 - 01 - 10)),
        Ok(Verdict::Approved)
    );
    // Another customer without a list of its own: the general list.
    assert_eq!(
        ask(Some(&steel()), Some("ACME"), Some("DAIMLER"), DAY),
        Ok(Verdict::Approved)
    );
}

#[test]
fn a_general_block_holds_for_every_customer() {
    assert_eq!(
        ask(Some(&steel()), Some("RUSTY"), Some("BOSCH"), DAY),
        Err("L-7: maker RUSTY blocked for STEEL-2MM (8D 2026-041)".into())
    );
}

#[test]
fn no_list_means_no_restriction() {
    assert_eq!(ask(None, Some("ANY"), None, DAY), Ok(Verdict::Unrestricted));
    assert_eq!(ask(None, None, Some("BOSCH"), DAY), Ok(Verdict::Unrestricted));
    // A list with only customers' lists restricts only those customers.
    let only_bosch = ApprovalList {
        approvals: Vec::new(),
        ..steel()
    };
    assert_eq!(ask(Some(&only_bosch), None, None, DAY), Ok(Verdict::Unrestricted));
    assert_eq!(
        ask(Some(&only_bosch), Some("ACME"), Some("BOSCH"), DAY),
        Err("L-7: maker ACME not approved for STEEL-2MM for customer BOSCH".into())
    );
}

#[test]
fn check_names_the_field_of_a_bad_list() {
    let mut list = steel();
    assert_eq!(list.check(), Ok(()));
    list.customers[0].approvals[1].status = ApprovalStatus::Conditional;
    let e = list.check().expect_err("a condition without reason is refused");
    assert_eq!(e.field, "customers[0].approvals[1].reason");
    let mut list = steel();
    list.approvals[0].expires_on = Some(DAY);
    assert_eq!(
        list.check().map_err(|e| e.field),
        Err("approvals[0].expires_on".to_string())
    );
    let mut list = steel();
    list.approvals
        .push(entry("ACME", ApprovalStatus::Blocked, None, None));
    assert_eq!(
        list.check().map_err(|e| e.field),
        Err("approvals[3].manufacturer".to_string())
    );
}

#[test]
fn lists_round_trip_through_json() {
    let json = serde_json::to_string(&steel()).expect("serializes");
    assert!(json.contains(r#""expires_on":"2026-11-30""#), "{json}");
    let back: ApprovalList = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, steel());
}

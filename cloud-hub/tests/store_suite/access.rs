//! People and rights in the store (issue 15): a new tenant starts with the
//! built-in roles and a service user holding admin, and the audit log is
//! append-only in the database itself.

use crate::harness::TestDb;
use cloud_hub::store::access::{AuditEntry, AuditQuery};
use cloud_hub::store::rights::{Action, Module, Right, RightSet};

/// A new tenant has the six built-in roles, and `cloud-hub token add`'s
/// tokens act as its service user with the admin role.
pub async fn a_new_tenant_starts_with_the_built_in_roles(db: &TestDb) {
    let store = db.store.clone();
    let token = tokio::task::spawn_blocking(move || {
        store.create_tenant("acme").expect("created");
        store.create_api_token("acme", "ops").expect("made")
    })
    .await
    .expect("the thread finishes");
    let tenant = db.store.tenant_id_by_slug("acme".into()).await.expect("exists");
    let roles: Vec<String> = db
        .store
        .list_roles(tenant)
        .await
        .expect("roles")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(
        roles,
        [
            "admin",
            "cost_accountant",
            "planner",
            "store_keeper",
            "supervisor",
            "viewer"
        ]
    );
    let principal = db
        .store
        .principal_by_api_token(&token.token)
        .await
        .expect("lookup")
        .expect("the token authenticates");
    assert_eq!(principal.login, "service");
    let rights = RightSet::from_grants(&principal.grants, principal.narrowing.as_deref());
    assert!(rights.holds_everywhere(Right::new(Module::System, Action::Admin)));
    let tokens = db.store.list_api_tokens(tenant).await.expect("tokens");
    assert_eq!(tokens[0].user, "service");
}

/// UPDATE and DELETE of an audit record are refused by the database, for
/// anyone with a connection; the record stays as written.
pub async fn the_audit_log_refuses_update_and_delete(db: &TestDb) {
    let store = db.store.clone();
    tokio::task::spawn_blocking(move || store.create_tenant("acme").expect("created"))
        .await
        .expect("the thread finishes");
    let tenant = db.store.tenant_id_by_slug("acme".into()).await.expect("exists");
    let entry = AuditEntry {
        actor_kind: "user".into(),
        actor: "pia".into(),
        action: "login".into(),
        outcome: "ok".into(),
        status: 200,
        ..AuditEntry::default()
    };
    db.store
        .append_audit(tenant, 1_000, entry)
        .await
        .expect("appended");
    for sql in [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let refused = db.raw_sql(sql).expect_err("the database refuses it");
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    let rows = db
        .store
        .query_audit(
            tenant,
            AuditQuery {
                limit: 10,
                ..AuditQuery::default()
            },
        )
        .await
        .expect("read");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].entry.actor, "pia");
}

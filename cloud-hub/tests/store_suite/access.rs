//! People and rights in the store (issue 15): a new tenant starts with the
//! built-in roles and a service user holding admin, a credential made while
//! a change of rights is in flight cannot keep the old rights, and the
//! audit log is append-only in the database itself.

use crate::harness::TestDb;
use cloud_hub::store::access::{AuditEntry, AuditQuery, NewUser, RoleGrant, UserKind};
use cloud_hub::store::rights::{Action, Module, Right};

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
    assert!(
        principal
            .rights
            .holds_everywhere(Right::new(Module::System, Action::Admin))
    );
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

/// A token made while another hub's change of rights is in flight (its
/// transaction open) starts at that change's access version: what a hub
/// caches of it before the change commits cannot outlive the change
/// (PostgreSQL: a new credential reads its tenant's row FOR SHARE, which
/// the change holds; SQLite: one writer at a time).
pub async fn a_credential_made_during_a_change_keeps_none_of_the_old_rights(db: &TestDb) {
    let store = db.store.clone();
    tokio::task::spawn_blocking(move || store.create_tenant("acme").expect("created"))
        .await
        .expect("the thread finishes");
    let tenant = db.store.tenant_id_by_slug("acme".into()).await.expect("exists");
    let stock = Right::new(Module::Stock, Action::View);
    db.store
        .put_role(tenant, "clerk".into(), "test".into(), vec![stock])
        .await
        .expect("the role is stored");
    db.store
        .create_user(
            tenant,
            NewUser {
                login: "clerk".into(),
                display_name: "clerk".into(),
                kind: UserKind::Service,
                password_phc: None,
            },
        )
        .await
        .expect("the user is created");
    db.store
        .set_user_roles(
            tenant,
            "clerk".into(),
            vec![RoleGrant {
                role: "clerk".into(),
                sites: None,
            }],
        )
        .await
        .expect("the role is granted");
    // Another hub takes the stock right away and has not committed yet.
    let change = db
        .hold(
            "UPDATE roles SET rights = '[\"sales:view\"]' WHERE name = 'clerk';
             UPDATE tenants SET access_version = access_version + 1",
        )
        .await;
    let store = db.store.clone();
    let made = tokio::spawn(async move {
        let token = store
            .create_user_token(tenant, "clerk".into(), "during".into(), None)
            .await
            .expect("the token is made")
            .token;
        // Its first request: what this hub caches of it.
        store
            .principal_by_api_token(&token)
            .await
            .expect("lookup")
            .expect("the token authenticates");
        token
    });
    // Time for the token to reach the change's lock; the outcome below
    // holds whichever comes first.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    change.commit().await;
    let token = made.await.expect("the task finishes");
    let now = db
        .store
        .principal_by_api_token(&token)
        .await
        .expect("lookup")
        .expect("the token authenticates");
    assert_eq!(now.rights.scope_of(stock), None, "the committed change counts");
    assert!(
        now.rights
            .scope_of(Right::new(Module::Sales, Action::View))
            .is_some()
    );
}

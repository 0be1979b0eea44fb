//! Tenants, sites, agents, tokens and the agent list.

use crate::fixtures::{accepted, agent_in, fresh, plain, provision, row};
use crate::harness::TestDb;
use cloud_hub::store::StoreError;
use mes_protocols::Incarnation;

pub async fn names_are_unique_where_they_should_be(db: &TestDb) {
    let store = &db.store;
    let acme = store.create_tenant("acme").expect("tenant");
    assert!(matches!(
        store.create_tenant("acme"),
        Err(StoreError::Exists { what: "tenant", .. })
    ));
    store.create_tenant("globex").expect("second tenant");
    let site = store.create_site("acme", "plant-1").expect("site");
    assert_ne!(site.as_uuid(), acme.as_uuid());
    assert!(matches!(
        store.create_site("acme", "plant-1"),
        Err(StoreError::Exists { what: "site", .. })
    ));
    // Site names are per tenant.
    store
        .create_site("globex", "plant-1")
        .expect("same site name in another tenant");
    assert!(matches!(
        store.create_site("initech", "plant-1"),
        Err(StoreError::NotFound { what: "tenant", .. })
    ));
    assert!(matches!(
        store.create_agent("acme", "plant-9", "gw"),
        Err(StoreError::NotFound { what: "site", .. })
    ));
    assert!(matches!(
        store.create_api_token("initech", "api"),
        Err(StoreError::NotFound { what: "tenant", .. })
    ));
    let a = store.create_agent("acme", "plant-1", "gw").expect("agent");
    let b = store
        .create_agent("acme", "plant-1", "gw")
        .expect("agents may share a name");
    assert_ne!(a.agent_id, b.agent_id);
    assert_ne!(a.token, b.token);
}

pub async fn tokens_find_their_agent_and_tenant_only(db: &TestDb) {
    let store = &db.store;
    let tenant_id = store.create_tenant("acme").expect("tenant");
    let site_id = store.create_site("acme", "plant-1").expect("site");
    let agent = store.create_agent("acme", "plant-1", "gw").expect("agent");
    let api = store.create_api_token("acme", "scripts").expect("API token");
    assert!(agent.token.starts_with("mesa_") && api.token.starts_with("mest_"));

    let auth = store
        .agent_by_token(&agent.token)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(auth.agent_id, agent.agent_id);
    assert_eq!((auth.tenant_id, auth.site_id), (tenant_id, site_id));
    assert_eq!(
        store.tenant_by_api_token(&api.token).await.expect("lookup"),
        Some(tenant_id)
    );
    // Each kind of token is only good for its own purpose.
    assert_eq!(store.agent_by_token(&api.token).await.expect("lookup"), None);
    assert_eq!(
        store.tenant_by_api_token(&agent.token).await.expect("lookup"),
        None
    );
    assert_eq!(store.agent_by_token("mesa_nope").await.expect("lookup"), None);
    assert_eq!(store.tenant_by_api_token("").await.expect("lookup"), None);
}

pub async fn agent_list_shows_each_tenant_its_own_agents(db: &TestDb) {
    let store = &db.store;
    let a = provision(store, "acme").await;
    let b = agent_in(store, "acme", "another").await;
    let other = provision(store, "globex").await;

    let list = store.list_agents(a.auth.tenant_id).await.expect("list");
    assert_eq!(
        list.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["another", "gateway"],
        "sorted by site, then name"
    );
    assert!(list.iter().all(|r| r.site == "plant-1"));
    let fresh_row = &list[0];
    assert_eq!(fresh_row.agent_id, b.auth.agent_id.to_string());
    assert_eq!(
        (
            fresh_row.last_contact_at,
            fresh_row.incarnation.as_deref(),
            fresh_row.acked_seq
        ),
        (None, None, 0)
    );
    assert_eq!(
        (
            fresh_row.events_received,
            fresh_row.incarnations,
            fresh_row.anomalies
        ),
        (0, 0, 0)
    );

    let inc = Incarnation::new_v7();
    accepted(store, &a, plain(&a, inc, &fresh(1, 3))).await;
    let r = row(store, &a).await;
    assert_eq!(r.incarnation, Some(inc.to_string()));
    assert_eq!((r.acked_seq, r.events_received, r.incarnations), (3, 3, 1));
    assert_eq!(
        (r.reported_depth, r.reported_dropped, r.reported_refused),
        (7, 2, 1)
    );
    assert!(r.last_contact_at.is_some_and(|t| t > 1_700_000_000_000));

    let theirs = store.list_agents(other.auth.tenant_id).await.expect("list");
    assert_eq!(theirs.len(), 1, "globex sees only its own agent");
    assert_eq!(theirs[0].agent_id, other.auth.agent_id.to_string());
    assert_eq!(theirs[0].events_received, 0);
}

/// A tenant is a type only the store makes (issue 14): a name that is no
/// tenant is an error, never an empty answer, on either backend; the one
/// that is gives the same id its tokens authenticate.
pub async fn an_unknown_tenant_is_an_error_not_an_empty_answer(db: &TestDb) {
    let store = &db.store;
    let acme = provision(store, "acme").await;
    match store.tenant_by_slug("initech") {
        Err(StoreError::NotFound { what: "tenant", name }) => assert_eq!(name, "initech"),
        other => panic!("an unknown tenant must be NotFound, got {other:?}"),
    }
    assert!(matches!(
        store.tenant_by_slug(""),
        Err(StoreError::NotFound { what: "tenant", .. })
    ));
    assert_eq!(
        store.tenant_by_slug("acme").expect("acme exists"),
        acme.auth.tenant_id
    );
    let tenants = store.tenants().await.expect("the tenant list");
    assert_eq!(tenants, vec![(acme.auth.tenant_id, "acme".to_string())]);
}

pub async fn reopening_keeps_everything_and_migrates_once(db: &TestDb) {
    let a = provision(&db.store, "acme").await;
    accepted(&db.store, &a, plain(&a, Incarnation::new_v7(), &fresh(1, 2))).await;
    // Two hubs starting at once on the same database.
    let (first, second) = std::thread::scope(|s| {
        let one = s.spawn(|| db.reopen());
        let two = s.spawn(|| db.reopen());
        (one.join().expect("opens"), two.join().expect("opens"))
    });
    for store in [&first, &second] {
        store.health().await.expect("healthy");
        assert_eq!(row(store, &a).await.events_received, 2);
        assert!(matches!(
            store.create_tenant("acme"),
            Err(StoreError::Exists { .. })
        ));
    }
}

//! `/healthz` reports a tenant whose projection lags over `[projection]
//! max_lag_secs` (issue 12: a wedged tenant left `/healthz` at 200).

use crate::harness::TestDb;
use crate::hub::Hub;
use axum::http::Method;

pub async fn a_lagging_projection_makes_the_hub_degraded_naming_the_tenant(db: &TestDb) {
    let hub = Hub::new(&db.store);
    hub.req(Method::GET, "/healthz").send().await.expect(200);
    // What the projection task publishes for a tenant 400 s behind with a
    // maximum of 300 s.
    hub.state.metrics.set_projection_lag("tenant-slow", 400, true);
    let reply = hub.req(Method::GET, "/healthz").send().await.expect(503);
    assert_eq!(reply.body["status"], "degraded", "{}", reply.text);
    assert_eq!(
        reply.body["projection_lag"][0]["tenant"], "tenant-slow",
        "{}",
        reply.text
    );
    assert_eq!(
        reply.body["projection_lag"][0]["lag_seconds"], 400,
        "{}",
        reply.text
    );
    assert!(
        hub.state
            .metrics
            .render()
            .contains("mes_hub_projection_lag_seconds{tenant=\"tenant-slow\"} 400")
    );
    // Caught up again: healthy.
    hub.state.metrics.set_projection_lag("tenant-slow", 0, false);
    hub.req(Method::GET, "/healthz").send().await.expect(200);
}

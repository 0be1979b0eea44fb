//! Live notices between replicas through PostgreSQL's LISTEN/NOTIFY: "site
//! S of tenant T has new events", sent by the replica that stored them and
//! heard by every replica with boards open (`cloud-hub/src/live_relay.rs`).
//!
//! Sending is one `pg_notify` statement on a pooled connection, so it works
//! through PgBouncer in transaction mode. Listening needs a session: the
//! listener has one direct connection of its own (`cluster.listen_url`,
//! else `database.url`), outside the pool.

use super::PgStore;
use crate::{StoreError, TenantId};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

/// The channel every replica listens on.
pub(crate) const CHANNEL: &str = "mes_site_changed";

/// A notice heard from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteNotice {
    /// The replica that stored the events.
    pub origin: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The site's short name.
    pub site: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    /// Origin replica.
    o: String,
    /// Tenant id.
    t: uuid::Uuid,
    /// Site.
    s: String,
}

/// NOTIFY payloads are limited to 8000 bytes; a site code is far shorter.
const MAX_PAYLOAD: usize = 7_900;

impl PgStore {
    /// Says to every listening replica that each site of `sites` has new
    /// events (one statement).
    pub(crate) async fn notify_sites(
        &self,
        origin: &str,
        sites: &[(TenantId, String)],
    ) -> Result<(), StoreError> {
        let payloads: Vec<String> = sites
            .iter()
            .filter_map(|(t, s)| {
                serde_json::to_string(&Payload {
                    o: origin.to_string(),
                    t: t.as_uuid(),
                    s: s.clone(),
                })
                .ok()
            })
            .filter(|p| p.len() <= MAX_PAYLOAD)
            .collect();
        if payloads.is_empty() {
            return Ok(());
        }
        let client = self.pool.get().await?;
        client
            .execute(
                "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                &[&CHANNEL, &payloads],
            )
            .await?;
        Ok(())
    }

    /// Listens on a direct connection to `url` (else the store's own
    /// database) and sends every notice heard to `sink` until the
    /// connection ends (an error: the caller connects again) or `sink` is
    /// closed (`Ok`). `ready` is sent once `LISTEN` is in effect.
    pub(crate) async fn listen_sites(
        &self,
        url: Option<&str>,
        sink: mpsc::Sender<SiteNotice>,
        ready: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> Result<(), StoreError> {
        let config = match url {
            Some(url) => url.parse::<tokio_postgres::Config>()?,
            None => (*self.config).clone(),
        };
        let (client, mut connection) = config.connect(NoTls).await?;
        let (heard, mut messages) = mpsc::unbounded_channel();
        // The connection's messages are read by polling it; this task
        // drives it and hands notifications over until it ends.
        let driver = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if heard.send(Ok(n.payload().to_string())).is_err() {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        let _ = heard.send(Err(e));
                        return;
                    }
                    None => return,
                }
            }
        });
        let result = async {
            client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
            if let Some(ready) = ready {
                let _ = ready.send(());
            }
            loop {
                tokio::select! {
                    message = messages.recv() => match message {
                        Some(Ok(payload)) => {
                            let Ok(p) = serde_json::from_str::<Payload>(&payload) else {
                                tracing::warn!(payload = %payload, "live notice not understood; ignored");
                                continue;
                            };
                            let notice = SiteNotice { origin: p.o, tenant: TenantId::from_row(p.t), site: p.s };
                            if sink.send(notice).await.is_err() {
                                return Ok(());
                            }
                        }
                        Some(Err(e)) => return Err(StoreError::Postgres(e)),
                        None => return Err(StoreError::Task("the listening connection ended".into())),
                    },
                    () = sink.closed() => return Ok(()),
                }
            }
        }
        .await;
        drop(client);
        driver.abort();
        result
    }
}

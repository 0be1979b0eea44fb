//! One OPC UA session's set-up, shared by the source (`client.rs`) and
//! `edge-agent probe` (`probe.rs`): the client with its own certificate
//! and only the trusted server certificate, the connection with the
//! configured security and user, the session's event loop as a task that
//! reports why the session was lost, and what the server says about
//! itself (its namespace table, its operation limits).

use super::config::{OpcuaSpec, Security};
use super::trust::{ServerTrust, trust_file, trust_presented};
use futures_util::StreamExt;
use opcua::client::{Client, ClientBuilder, Session, SessionPollResult};
use opcua::crypto::SecurityPolicy;
use opcua::types::{
    AttributeId, DataValue, MessageSecurityMode, ReadValueId, TimestampsToReturn, VariableId, Variant,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long connecting and activating a session may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Most elements of an array in a message (notifications of a publish
/// response, values of a read).
const MAX_ARRAY_LENGTH: usize = 1_000_000;

/// Most chunks of one message, of [`CHUNK_SIZE`] bytes each: 32 MiB.
const MAX_CHUNK_COUNT: usize = 512;

/// The library's chunk size.
const CHUNK_SIZE: usize = 65_535;

/// Most nodes the agent puts in one read or one CreateMonitoredItems call,
/// whatever larger limit a server states.
pub(super) const MAX_PER_CALL: usize = 1_000;

/// How many nodes a server accepts in one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OperationLimits {
    /// Nodes per Read.
    pub read: usize,
    /// Monitored items per CreateMonitoredItems.
    pub monitored_items: usize,
}

/// The server's stated limits (`ServerCapabilities/OperationLimits`),
/// capped at [`MAX_PER_CALL`]; a limit it does not state (0, or a node it
/// does not have) is [`MAX_PER_CALL`].
pub(super) async fn read_limits(session: &Session) -> OperationLimits {
    let ids = [
        VariableId::Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
        VariableId::Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
    ]
    .map(|id| ReadValueId {
        node_id: id.into(),
        attribute_id: AttributeId::Value as u32,
        ..ReadValueId::default()
    });
    let values = session
        .read(&ids, TimestampsToReturn::Neither, 0.0)
        .await
        .unwrap_or_default();
    let limit = |dv: Option<&DataValue>| match dv.and_then(|dv| dv.value.as_ref()) {
        Some(Variant::UInt32(n)) if *n > 0 => (*n as usize).min(MAX_PER_CALL),
        _ => MAX_PER_CALL,
    };
    OperationLimits {
        read: limit(values.first()),
        monitored_items: limit(values.get(1)),
    }
}

/// Aborts the session's event loop task when the session ends.
pub(super) struct Driver(tokio::task::JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The client of `spec`: its own certificate in the PKI directory
/// (created on first start), only the configured server certificate
/// trusted (a fingerprint is checked at every connect, in [`connect`]).
pub(super) fn build_client(spec: &OpcuaSpec) -> Result<Client, String> {
    if let ServerTrust::Certificate(cert) = &spec.server_trust {
        trust_file(&spec.pki_dir, cert)?;
    }
    ClientBuilder::new()
        .application_name(format!("MES edge agent ({})", spec.name))
        .application_uri("urn:mes:edge-agent")
        .product_uri("urn:mes:edge-agent")
        .pki_dir(spec.pki_dir.clone())
        .create_sample_keypair(true)
        .trust_server_certs(false)
        .verify_server_certs(spec.security != Security::None)
        .session_retry_limit(0)
        .keep_alive_interval(Duration::from_secs(5))
        // The library's defaults (arrays of 1,000 elements, messages of 5
        // chunks) refuse the publish response of a subscription to 10,000
        // nodes, and reading them; the message size still bounds memory.
        .max_array_length(MAX_ARRAY_LENGTH)
        .max_chunk_count(MAX_CHUNK_COUNT)
        .max_message_size(MAX_CHUNK_COUNT * CHUNK_SIZE)
        .request_timeout(Duration::from_secs(10))
        .client()
        .map_err(|errors| errors.join("; "))
}

/// A connected, activated session; the receiver says why it was lost, and
/// the session's event loop runs until the [`Driver`] is dropped.
pub(super) async fn connect(
    spec: &OpcuaSpec,
    client: &mut Client,
) -> Result<(Arc<Session>, mpsc::Receiver<String>, Driver), String> {
    let (policy, mode) = match spec.security {
        Security::None => (SecurityPolicy::None, MessageSecurityMode::None),
        Security::Sign => (SecurityPolicy::Basic256Sha256, MessageSecurityMode::Sign),
        Security::SignAndEncrypt => (
            SecurityPolicy::Basic256Sha256,
            MessageSecurityMode::SignAndEncrypt,
        ),
    };
    let identity = spec.user.token()?;
    let endpoints = tokio::time::timeout(
        CONNECT_TIMEOUT,
        client.get_server_endpoints_from_url(spec.endpoint.as_str()),
    )
    .await
    .map_err(|_| "asking for the server's endpoints timed out".to_string())?
    .map_err(|e| format!("asking for the server's endpoints: {e}"))?;
    let endpoint = Client::find_matching_endpoint(&endpoints, &spec.endpoint, policy, mode)
        .ok_or_else(|| format!("the server offers no endpoint with security {policy:?} {mode:?}"))?;
    if let ServerTrust::Sha256(expected) = &spec.server_trust {
        trust_presented(&spec.pki_dir, expected, endpoint.server_certificate.as_ref())?;
    }
    let (session, event_loop) = client
        .connect_to_endpoint_directly(endpoint, identity)
        .map_err(|e| format!("connecting: {e}"))?;
    let (lost_tx, mut lost) = mpsc::channel::<String>(2);
    let driver = Driver(tokio::spawn(async move {
        let events = event_loop.enter();
        futures_util::pin_mut!(events);
        let reason = loop {
            match events.next().await {
                Some(Ok(
                    SessionPollResult::ConnectionLost(status) | SessionPollResult::ReconnectFailed(status),
                )) => {
                    break format!("connection lost: {status}");
                }
                Some(Err(status)) => break format!("session ended: {status}"),
                Some(Ok(_)) => {}
                None => break "the session's event loop ended".to_string(),
            }
        };
        let _ = lost_tx.send(reason).await;
    }));
    if !tokio::time::timeout(CONNECT_TIMEOUT, session.wait_for_connection())
        .await
        .unwrap_or(false)
    {
        // The event loop says why (a refused user, an untrusted
        // certificate) as it ends.
        let why = tokio::time::timeout(Duration::from_secs(2), lost.recv())
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| "no reason given".into());
        return Err(format!("the session did not activate: {why}"));
    }
    Ok((session, lost, driver))
}

/// The server's namespace URIs, by index.
pub(super) async fn read_namespaces(session: &Session) -> Result<Vec<String>, String> {
    let id = ReadValueId {
        node_id: VariableId::Server_NamespaceArray.into(),
        attribute_id: AttributeId::Value as u32,
        ..ReadValueId::default()
    };
    let values = session
        .read(&[id], TimestampsToReturn::Neither, 0.0)
        .await
        .map_err(|e| format!("reading the namespace array: {e}"))?;
    match values.into_iter().next().and_then(|dv| dv.value) {
        Some(Variant::Array(array)) => Ok(array
            .values
            .into_iter()
            .map(|v| match v {
                Variant::String(s) => s.as_ref().to_string(),
                _ => String::new(),
            })
            .collect()),
        other => Err(format!("the namespace array is {other:?}")),
    }
}

//! Where a request came from, for the audit log and login limits: the
//! peer address (or, behind a proxy the operator trusts, the last
//! `X-Forwarded-For` entry) and the user agent.

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, header};
use std::net::SocketAddr;

/// The peer address of a connection, as the server hands it to requests
/// (`axum::extract::ConnectInfo<PeerAddr>`).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Longest user agent kept, characters.
const USER_AGENT_MAX: usize = 200;

/// The client of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// Its address (`unknown` when the server was not told).
    pub address: String,
    /// Its user agent, shortened.
    pub user_agent: String,
}

impl ClientInfo {
    /// The client of `request`.
    pub fn of<B>(request: &Request<B>, trust_forwarded_for: bool) -> ClientInfo {
        let peer = request
            .extensions()
            .get::<ConnectInfo<PeerAddr>>()
            .map(|c| c.0.0.ip().to_string());
        Self::from_parts(request.headers(), peer, trust_forwarded_for)
    }

    /// The client from headers and the peer's address.
    pub fn from_parts(headers: &HeaderMap, peer: Option<String>, trust_forwarded_for: bool) -> ClientInfo {
        let forwarded = trust_forwarded_for
            .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
            .flatten()
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let address = forwarded.or(peer).unwrap_or_else(|| "unknown".into());
        let user_agent: String = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(USER_AGENT_MAX)
            .collect();
        ClientInfo { address, user_agent }
    }
}

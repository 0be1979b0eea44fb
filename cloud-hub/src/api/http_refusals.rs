//! Refusals that hyper writes by itself, in the API's error shape.
//!
//! When an HTTP/1 request head cannot be read (a URI over 64 KiB: 414;
//! headers over hyper's buffer or more than 100 of them: 431; a request
//! line or header that is not HTTP: 400), hyper answers before any of our
//! code runs, with an empty body, and closes the connection. Hyper has no
//! hook for that answer, so the hub's listener ([`JsonRefusalListener`])
//! wraps each connection's socket and recognises those answers on the way
//! out: a response head at the start of a write, of one of those
//! statuses, carrying only `content-length: 0`, `date` and `connection`
//! headers (every answer the router makes has a `content-type`). It
//! writes instead the same status with `{ "error": { "code", "message" } }`
//! and `connection: close`.
//!
//! Reads, HTTP/2 and every other write pass through untouched. A head is
//! recognised only at the start of a write; hyper writes its refusal as a
//! write of its own unless a pipelined answer is still buffered before
//! it, and then the client gets hyper's empty answer, as before.

use super::ApiFailure;
use axum::http::StatusCode;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose connections answer hyper's own refusals as JSON
/// (see the module doc). Serve with `axum::serve(listener, router)`.
#[derive(Debug)]
pub struct JsonRefusalListener {
    inner: TcpListener,
}

impl JsonRefusalListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener) -> Self {
        Self { inner }
    }
}

impl axum::serve::Listener for JsonRefusalListener {
    type Io = JsonRefusals<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        (JsonRefusals::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection's socket that rewrites hyper's empty refusals (see the
/// module doc).
#[derive(Debug)]
pub struct JsonRefusals<T> {
    inner: T,
    /// The answer being written in place of a refusal, how much of it is
    /// written, and how many bytes of hyper's it stands for.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<T> JsonRefusals<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Self { inner, pending: None }
    }
}

/// What hyper answers by itself (`hyper::proto::h1::role::Server::on_error`),
/// with the code and message the hub gives each.
fn refusal(status: u16) -> Option<(StatusCode, &'static str, &'static str)> {
    Some(match status {
        400 => (
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "the request line or a header is not valid HTTP/1.1",
        ),
        414 => (
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            "the request's URI (path and query) is longer than the hub reads (64 KiB)",
        ),
        431 => (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            "the request's header section is larger than the hub reads (about 400 KiB) or has more \
             than 100 headers",
        ),
        _ => return None,
    })
}

/// When `buf` starts with a whole response head that hyper wrote by
/// itself: how long that head is, and the answer to write instead.
fn rewrite(buf: &[u8]) -> Option<(usize, Vec<u8>)> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let status: u16 = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    let (status, code, message) = refusal(status)?;
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.trim_end().split("\r\n");
    lines.next();
    let mut length_zero = false;
    let mut date = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" if value.trim() == "0" => length_zero = true,
            "date" => date = Some(value.trim()),
            "connection" => {}
            // Anything else (a content type above all) is an answer of ours.
            _ => return None,
        }
    }
    if !length_zero {
        return None;
    }
    let body = serde_json::to_vec(&ApiFailure::new(status, code, message).body).ok()?;
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    if let Some(date) = date {
        out.extend_from_slice(format!("date: {date}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    Some((end, out))
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonRefusals<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonRefusals<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none()
            && let Some((stands_for, answer)) = rewrite(buf)
        {
            this.pending = Some((answer, 0, stands_for));
        }
        let Some((answer, written, stands_for)) = &mut this.pending else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        // Written whole before hyper hears its head went out; hyper asks
        // again with the same bytes while this is pending.
        while *written < answer.len() {
            match ready!(Pin::new(&mut this.inner).poll_write(cx, &answer[*written..])) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => *written += n,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        let stands_for = *stands_for;
        this.pending = None;
        Poll::Ready(Ok(stands_for))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = bufs.iter().find(|b| !b.is_empty());
        match first {
            // A write may take less than it is given: the head alone here.
            Some(first) if self.pending.is_some() || rewrite(first).is_some() => self.poll_write(cx, first),
            _ => Pin::new(&mut self.inner).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Each connection's peer address for handlers and the guard
/// (`ConnectInfo<PeerAddr>`: the audit log's and the login limits' "from where").
impl<'a> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, JsonRefusalListener>>
    for crate::access::client::PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'a, JsonRefusalListener>) -> Self {
        crate::access::client::PeerAddr(*stream.remote_addr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_own_empty_refusals_are_rewritten() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Fri, 04 Dec 2026 20:00:00 GMT\r\n\r\n";
        let (stands_for, answer) = rewrite(hyper).expect("hyper's refusal");
        assert_eq!(stands_for, hyper.len());
        let text = String::from_utf8(answer).expect("text");
        assert!(
            text.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{text}"
        );
        assert!(text.contains("content-type: application/json\r\n"), "{text}");
        assert!(text.contains("date: Fri, 04 Dec 2026 20:00:00 GMT\r\n"), "{text}");
        let body = &text[text.find("\r\n\r\n").expect("a head") + 4..];
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(json["error"]["code"], "headers_too_large");
        assert!(text.contains(&format!("content-length: {}\r\n", body.len())));
        // Our own answers carry a content type; other statuses and bytes
        // in the middle of a body are left alone.
        assert!(
            rewrite(
                b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n"
            )
            .is_none()
        );
        assert!(rewrite(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n").is_none());
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n").is_none());
        assert!(rewrite(b"{\"HTTP/1.1 400\"}").is_none());
    }
}

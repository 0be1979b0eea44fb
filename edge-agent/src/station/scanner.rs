//! TCP scanner ports: a fixed-mount scanner connects to a station's
//! `scanner_port` and sends one scan per line (LF or CR LF); each scan is
//! the same step as on the page, and the one-line answer (`OK ...` /
//! `ERR ...`) is written back on the socket once the step is committed.

use super::service::StationHandle;
use super::step::Step;
use mes_protocols::Code;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Longest line read as one scan; longer lines are cut (and rejected by the
/// parser as too long), the rest up to the newline discarded.
const MAX_LINE: usize = 4096;

/// Serves one station's scanner port until `shutdown`.
pub async fn serve(listener: TcpListener, station: Code, handle: StationHandle, shutdown: CancellationToken) {
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(%station, error = %e, "scanner port: accept failed");
                    continue;
                }
            },
        };
        tracing::info!(%station, %peer, "scanner connected");
        let (station, handle, shutdown) = (station.clone(), handle.clone(), shutdown.clone());
        tokio::spawn(async move {
            if let Err(e) = connection(stream, &station, &handle, &shutdown).await {
                tracing::info!(%station, %peer, error = %e, "scanner connection closed");
            }
        });
    }
}

async fn connection(
    stream: TcpStream,
    station: &Code,
    handle: &StationHandle,
    shutdown: &CancellationToken,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let line = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            line = read_line(&mut reader) => line?,
        };
        let Some(line) = line else { return Ok(()) };
        let scan = line.trim_end_matches(['\r', '\n']);
        if scan.trim().is_empty() {
            continue;
        }
        let answer = match handle.step(station.as_str(), Step::scan(scan)).await {
            Ok(reply) => reply.answer.line(),
            Err(e) => format!("ERR {e}"),
        };
        write.write_all(format!("{answer}\n").as_bytes()).await?;
    }
}

/// One line of at most [`MAX_LINE`] bytes (lossy UTF-8); `None` at end of
/// stream.
async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok((!buf.is_empty()).then(|| String::from_utf8_lossy(&buf).into_owned()));
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let take = newline.map_or(available.len(), |i| i + 1);
        let room = MAX_LINE.saturating_sub(buf.len());
        buf.extend_from_slice(&available[..take.min(room)]);
        reader.consume(take);
        if newline.is_some() {
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
    }
}

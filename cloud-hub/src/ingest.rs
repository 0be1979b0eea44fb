//! Turning an HTTP request body into a batch the store can take: inflate,
//! decode and check with `mes_protocols::wire`, and copy into owned rows
//! (decoding runs on the blocking pool, outside the store's lock).

use mes_protocols::wire::{BatchError, BatchErrorCode, DecompressError, decode_batch, gunzip_limited};

pub use crate::store::batch::{IngestBatch, IngestEvent};

/// Why a body is not a batch.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Inflated, the body is larger than allowed.
    #[error("the decompressed batch is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The gzip stream is broken.
    #[error("the body is not valid gzip: {0}")]
    BadGzip(String),
    /// The batch is invalid.
    #[error(transparent)]
    Batch(#[from] BatchError),
}

/// The inflated size a gzip body states in its trailer (ISIZE, the last
/// four bytes), checked against `max_inflated` before anything is
/// inflated. [`parse_body`] refuses a body that inflates to anything else,
/// so this is what inflating will cost, known up front.
pub fn stated_size(body: &[u8], max_inflated: usize) -> Result<usize, BodyError> {
    let trailer: [u8; 4] = body
        .len()
        .checked_sub(4)
        .and_then(|start| body[start..].try_into().ok())
        .ok_or_else(|| BodyError::BadGzip("the body is too short for gzip".into()))?;
    let stated = u32::from_le_bytes(trailer) as usize;
    if stated > max_inflated {
        return Err(BodyError::TooLarge { limit: max_inflated });
    }
    Ok(stated)
}

/// Inflates (when `gzipped`) and decodes a batch body. A gzip body must be
/// one member with nothing after it, inflating to exactly the size its
/// trailer states.
pub fn parse_body(body: &[u8], gzipped: bool, max_inflated: usize) -> Result<IngestBatch, BodyError> {
    if gzipped {
        decode(&inflate(body, max_inflated)?)
    } else {
        decode(body)
    }
}

/// [`parse_body`] of a body the caller gives up: a gzip body is dropped
/// once inflated, so it is not held while the batch is decoded (16 MiB
/// less at the peak of a maximal batch).
pub fn parse_owned_body<B: AsRef<[u8]>>(
    body: B,
    gzipped: bool,
    max_inflated: usize,
) -> Result<IngestBatch, BodyError> {
    if gzipped {
        let inflated = inflate(body.as_ref(), max_inflated)?;
        drop(body);
        decode(&inflated)
    } else {
        decode(body.as_ref())
    }
}

fn inflate(body: &[u8], max_inflated: usize) -> Result<Vec<u8>, BodyError> {
    let stated = stated_size(body, max_inflated)?;
    gunzip_limited(body, stated).map_err(|e| match e {
        DecompressError::TooLarge { .. } => BodyError::BadGzip(
            "the body does not inflate to the size its gzip trailer states: send one gzip member \
                 with nothing after it"
                .into(),
        ),
        DecompressError::Corrupt(e) => BodyError::BadGzip(e.to_string()),
        DecompressError::TrailingData { bytes } => {
            BodyError::BadGzip(format!("{bytes} bytes follow the gzip member; send one member"))
        }
    })
}

fn decode(json: &[u8]) -> Result<IngestBatch, BodyError> {
    let batch = decode_batch(json)?;
    let events = batch
        .events
        .iter()
        .map(|e| IngestEvent {
            seq: e.header.seq,
            event_id: *e.header.id.0.as_bytes(),
            kind: e.kind_name.to_string(),
            known: e.body.is_some(),
            occurred_at: e.header.occurred_at.unix_millis(),
            raw: e.raw.to_string(),
        })
        .collect();
    let h = batch.header;
    Ok(IngestBatch {
        agent_id: h.agent_id,
        incarnation: h.incarnation,
        first_seq: h.first_seq,
        last_seq: h.last_seq,
        dropped: h.dropped,
        buffer: h.buffer,
        events,
        sent_at: h.sent_at,
        clock_offset_ms: None,
    })
}

/// Whether a batch error means "too large" (413) rather than "invalid" (400).
pub fn is_too_large(e: &BatchError) -> bool {
    e.code == BatchErrorCode::TooManyEvents
}

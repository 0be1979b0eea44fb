//! gzip for batch bodies, with a hard limit on the inflated size so a small
//! compressed body cannot expand into gigabytes on the hub.

use flate2::Compression;
use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;
use std::io::{Read, Write};

/// Why a body could not be inflated.
#[derive(Debug, thiserror::Error)]
pub enum DecompressError {
    /// The inflated body is larger than the allowed limit.
    #[error("the decompressed body is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not valid gzip.
    #[error("the body is not valid gzip: {0}")]
    Corrupt(std::io::Error),
    /// Bytes follow the gzip member (another member or garbage): refused
    /// rather than ignored, so what is stored is all that was sent.
    #[error("{bytes} bytes follow the gzip member")]
    TrailingData {
        /// How many.
        bytes: usize,
    },
}

/// Compresses `data` with gzip at a fast level (batches are compressed on a
/// small gateway CPU; the ratio on repetitive JSON is high anyway).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 6 + 64), Compression::fast());
    enc.write_all(data)
        .expect("writing to an in-memory Vec cannot fail");
    enc.finish()
        .expect("finishing an in-memory gzip stream cannot fail")
}

/// Inflates a gzip body of one member of at most `limit` bytes once
/// inflated, with nothing after the member.
pub fn gunzip_limited(data: &[u8], limit: usize) -> Result<Vec<u8>, DecompressError> {
    let mut out = Vec::with_capacity((data.len() * 8).min(limit));
    // The bufread decoder stops at the end of the first member, leaving
    // what follows in `rest`.
    let mut dec = GzDecoder::new(data);
    (&mut dec)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(DecompressError::Corrupt)?;
    if out.len() > limit {
        return Err(DecompressError::TooLarge { limit });
    }
    let rest = dec.into_inner();
    if !rest.is_empty() {
        return Err(DecompressError::TrailingData { bytes: rest.len() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let data = b"{\"events\":[1,2,3]}".repeat(100);
        assert_eq!(gunzip_limited(&gzip(&data), data.len()).expect("fits"), data);
    }

    #[test]
    fn refuses_bombs() {
        let data = vec![b'x'; 1_000_000];
        let packed = gzip(&data);
        assert!(packed.len() < 10_000);
        assert!(matches!(
            gunzip_limited(&packed, 999_999),
            Err(DecompressError::TooLarge { limit: 999_999 })
        ));
    }

    #[test]
    fn refuses_data_after_the_member() {
        let data = b"{\"events\":[]}".to_vec();
        let mut twice = gzip(&data);
        twice.extend(gzip(b"{\"more\":1}"));
        assert!(matches!(
            gunzip_limited(&twice, 1000),
            Err(DecompressError::TrailingData { .. })
        ));
        let mut garbage = gzip(&data);
        garbage.extend(b"junk");
        assert!(matches!(
            gunzip_limited(&garbage, 1000),
            Err(DecompressError::TrailingData { bytes: 4 })
        ));
    }

    #[test]
    fn refuses_garbage() {
        assert!(matches!(
            gunzip_limited(b"not gzip", 100),
            Err(DecompressError::Corrupt(_))
        ));
    }
}

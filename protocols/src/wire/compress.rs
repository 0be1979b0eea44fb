//! gzip for batch bodies, with a hard limit on the inflated size so a small
//! compressed body cannot expand into gigabytes on the hub.

use flate2::Compression;
use flate2::read::GzDecoder;
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

/// Inflates a gzip body of at most `limit` bytes once inflated.
pub fn gunzip_limited(data: &[u8], limit: usize) -> Result<Vec<u8>, DecompressError> {
    let mut out = Vec::with_capacity((data.len() * 8).min(limit));
    let mut dec = GzDecoder::new(data).take(limit as u64 + 1);
    dec.read_to_end(&mut out).map_err(DecompressError::Corrupt)?;
    if out.len() > limit {
        return Err(DecompressError::TooLarge { limit });
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
    fn refuses_garbage() {
        assert!(matches!(
            gunzip_limited(b"not gzip", 100),
            Err(DecompressError::Corrupt(_))
        ));
    }
}

//! Bearer tokens: made from 256 random bits, shown once, stored only as a
//! SHA-256 hash.
//!
//! Why SHA-256 and not argon2: these tokens are random 256-bit secrets, not
//! passwords a person chose, so there is no dictionary to slow down; a fast
//! hash is enough to make a stolen database useless, and it lets every
//! ingest request be checked by an indexed lookup. Human passwords (the
//! console's logins) use argon2.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of agent tokens (makes a leaked token recognisable in a scan).
pub const AGENT_TOKEN_PREFIX: &str = "mesa_";
/// Prefix of tenant API tokens.
pub const API_TOKEN_PREFIX: &str = "mest_";

/// A new random token with `prefix`.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The hash stored for `token`.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let a = new_token(AGENT_TOKEN_PREFIX);
        let b = new_token(AGENT_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("mesa_") && a.len() > 40);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
    }
}

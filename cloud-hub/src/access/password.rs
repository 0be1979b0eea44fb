//! Passwords: hashed with argon2id at OWASP's parameters as a PHC string
//! (so the parameters can be raised later: a login with a hash made at
//! weaker ones rehashes it), and the policy a new password must meet.
//!
//! Policy: at least [`MIN_LENGTH`] characters; not one of the 20,000
//! common passwords Django ships (`common-passwords.txt.gz`, BSD licence,
//! beside this file), also after dropping trailing digits and punctuation
//! (`Password2024!`); not containing the login; not one repeated character.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::collections::HashSet;
use std::io::Read;
use std::sync::OnceLock;

/// Shortest password accepted, in characters.
pub const MIN_LENGTH: usize = 12;

/// OWASP's argon2id configuration (Password Storage Cheat Sheet): 19 MiB
/// of memory, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("OWASP's argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` into a PHC string with a fresh salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id hashes any password with valid parameters")
        .to_string()
}

/// Whether `password` matches the PHC string `phc` (any argon2 variant
/// and parameters the string names). A string that is no PHC hash never
/// matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Whether `phc` was made with other parameters than today's (rehash it
/// at the next successful login).
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let current = format!("m={MEMORY_KIB},t={ITERATIONS},p={LANES}");
    parsed.algorithm.as_str() != "argon2id"
        || parsed.version != Some(Version::V0x13 as u32)
        || parsed.params.to_string() != current
}

/// A hash to verify against when the login names nobody, so that a wrong
/// login takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password that matches nothing"))
}

fn common_passwords() -> &'static HashSet<String> {
    static LIST: OnceLock<HashSet<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        let packed: &[u8] = include_bytes!("common-passwords.txt.gz");
        let mut text = String::new();
        // The list is part of the binary; it inflates or the build is broken.
        flate2::read::GzDecoder::new(packed)
            .read_to_string(&mut text)
            .expect("the embedded common-password list inflates");
        text.lines()
            .map(|l| l.trim().to_lowercase())
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Why a new password is refused, in words for the person choosing it.
pub fn check_policy(password: &str, login: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!(
            "the password has {length} characters; it needs at least {MIN_LENGTH}"
        ));
    }
    let lower = password.to_lowercase();
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let list = common_passwords();
    if list.contains(&lower) || (!stem.is_empty() && list.contains(stem)) {
        return Err("the password is on the list of common passwords; choose another".into());
    }
    let login = login.trim().to_lowercase();
    if login.chars().count() >= 3 && lower.contains(&login) {
        return Err("the password contains the login name; choose another".into());
    }
    let mut chars = lower.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err("the password is one character repeated; choose another".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_names_argon2id() {
        let phc = hash("correct horse battery staple");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery staple", &phc));
        assert!(!verify("correct horse battery stapl", &phc));
        assert!(!verify("anything", "not a hash"));
        assert!(!needs_rehash(&phc));
    }

    #[test]
    fn a_hash_made_with_weaker_parameters_needs_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).expect("valid"),
        );
        let salt = SaltString::generate(&mut OsRng);
        let phc = weak
            .hash_password(b"long enough password", &salt)
            .expect("hashes")
            .to_string();
        assert!(verify("long enough password", &phc));
        assert!(needs_rehash(&phc));
        assert!(needs_rehash("garbage"));
    }

    #[test]
    fn the_policy_refuses_short_common_login_and_repeated() {
        assert!(
            check_policy("short", "anna")
                .expect_err("refused")
                .contains("at least 12")
        );
        // On Django's list as is, and after dropping a year and a `!`.
        assert!(
            check_policy("1q2w3e4r5t6y", "anna")
                .expect_err("refused")
                .contains("common")
        );
        assert!(
            check_policy("Password2024!", "anna")
                .expect_err("refused")
                .contains("common")
        );
        assert!(
            check_policy("anna-is-the-best-here", "anna")
                .expect_err("refused")
                .contains("login")
        );
        assert!(
            check_policy("aaaaaaaaaaaaaaa", "bob")
                .expect_err("refused")
                .contains("repeated")
        );
        assert_eq!(check_policy("violet tractor 19 lemons", "anna"), Ok(()));
        assert!(common_passwords().len() > 19_000);
    }
}

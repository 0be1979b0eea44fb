//! Which server certificate the agent trusts: a configured file, or the
//! SHA-256 fingerprint of the certificate the server presents. Never "trust
//! all": with a security policy other than None one of the two is required
//! (`config.rs`), and the library verifies every channel and session
//! against the PKI's trusted folder, into which only a certificate that
//! passed here is written.
//!
//! With a fingerprint, the certificate is the one in the endpoint the
//! agent connects to (GetEndpoints); the library then encrypts the channel
//! to that certificate and checks that the session's certificate is the
//! same one, so only the holder of its private key can answer.

use opcua::crypto::{CertificateStore, X509};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// How the server's certificate is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerTrust {
    /// No server certificate is trusted (security None: nothing to verify).
    Nothing,
    /// This certificate file (DER or PEM).
    Certificate(PathBuf),
    /// The certificate the server presents, when its SHA-256 is this.
    Sha256(Fingerprint),
}

/// A SHA-256 certificate fingerprint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// Parses 64 hex digits, in either case, optionally with `:` or spaces
    /// between them (`openssl x509 -fingerprint -sha256` prints
    /// `AB:CD:...`).
    pub fn parse(text: &str) -> Result<Fingerprint, String> {
        let digits: Vec<u8> = text
            .bytes()
            .filter(|b| !matches!(b, b':' | b' '))
            .map(|b| match b {
                b'0'..=b'9' => Ok(b - b'0'),
                b'a'..=b'f' => Ok(b - b'a' + 10),
                b'A'..=b'F' => Ok(b - b'A' + 10),
                _ => Err(format!("{text:?}: {:?} is not a hex digit", b as char)),
            })
            .collect::<Result<_, _>>()?;
        if digits.len() != 64 {
            return Err(format!(
                "{text:?}: a SHA-256 fingerprint has 64 hex digits, not {}",
                digits.len()
            ));
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks(2)) {
            *byte = pair[0] << 4 | pair[1];
        }
        Ok(Fingerprint(bytes))
    }

    /// The fingerprint of a DER certificate.
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Puts the configured server certificate (DER or PEM) in the PKI's
/// trusted folder.
pub(super) fn trust_file(pki: &Path, cert: &Path) -> Result<(), String> {
    let bytes = std::fs::read(cert).map_err(|e| format!("server_certificate {}: {e}", cert.display()))?;
    let x509 = if bytes.starts_with(b"-----BEGIN") {
        X509::from_pem(&bytes)
    } else {
        X509::from_der(&bytes)
    }
    .map_err(|e| {
        format!(
            "server_certificate {}: not an X.509 certificate: {e:?}",
            cert.display()
        )
    })?;
    store(pki, &x509)
}

/// Checks the certificate a server presents (DER) against the configured
/// fingerprint and, when it matches, puts it in the PKI's trusted folder.
pub(super) fn trust_presented(pki: &Path, expected: &Fingerprint, der: &[u8]) -> Result<(), String> {
    if der.is_empty() {
        return Err(
            "the server's endpoint carries no certificate to check against server_certificate_sha256".into(),
        );
    }
    let presented = Fingerprint::of(der);
    if &presented != expected {
        return Err(format!(
            "the server's certificate has SHA-256 {presented}, not the configured server_certificate_sha256 {expected}; not trusted"
        ));
    }
    let x509 = X509::from_der(der).map_err(|e| format!("the server's certificate: {e:?}"))?;
    store(pki, &x509)
}

/// Writes `x509` to the trusted folder under the name the library looks it
/// up by (common name and thumbprint).
fn store(pki: &Path, x509: &X509) -> Result<(), String> {
    let dir = pki.join("trusted");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join(CertificateStore::cert_file_name(x509));
    let der = x509
        .to_der()
        .map_err(|e| format!("the server's certificate: {e:?}"))?;
    std::fs::write(&file, der).map_err(|e| format!("{}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_separators_in_either_case() {
        let plain = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let colons =
            "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff";
        let a = Fingerprint::parse(plain).expect("plain");
        assert_eq!(Fingerprint::parse(colons).expect("colons"), a);
        assert_eq!(Fingerprint::parse(&a.to_string()).expect("round trip"), a);
        assert!(a.to_string().starts_with("00:11:22"));
    }

    #[test]
    fn bad_fingerprints_say_why() {
        assert!(
            Fingerprint::parse("abc")
                .expect_err("short")
                .contains("64 hex digits")
        );
        let long_g = format!("{}g", "0".repeat(63));
        assert!(
            Fingerprint::parse(&long_g)
                .expect_err("g is no hex digit")
                .contains("not a hex digit")
        );
    }

    #[test]
    fn a_presented_certificate_is_trusted_only_with_the_configured_fingerprint() {
        let dir = tempfile::tempdir().expect("temp dir");
        let der = b"not a certificate, but hashed all the same";
        let other = Fingerprint::of(b"another certificate");
        let refused = trust_presented(dir.path(), &other, der).expect_err("another fingerprint");
        assert!(refused.contains("not the configured"), "{refused}");
        assert!(!dir.path().join("trusted").exists(), "nothing was trusted");
        // The right fingerprint gets past the check (this DER is no
        // certificate, so storing it then fails).
        let parsed = trust_presented(dir.path(), &Fingerprint::of(der), der).expect_err("not X.509");
        assert!(parsed.contains("the server's certificate"), "{parsed}");
    }
}

//! The TLS client configuration for `mqtts://` brokers: the configured CA
//! file (PEM) as the only trust anchor, with the ring crypto provider chosen
//! explicitly so nothing depends on a process-wide default provider.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA file cannot be read.
    #[error("cannot read the CA file: {0}")]
    Read(#[from] std::io::Error),
    /// The file holds a malformed PEM section.
    #[error("the CA file is not valid PEM: {0}")]
    Pem(String),
    /// The file holds no `CERTIFICATE` section.
    #[error("the CA file holds no PEM certificate")]
    NoCertificate,
    /// rustls refused a certificate or the protocol versions.
    #[error("TLS setup failed: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A client configuration trusting exactly the certificates in `ca_file`.
pub fn client_config(ca_file: &Path) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let pem = std::fs::read(ca_file)?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.map_err(|e| TlsError::Pem(e.to_string()))?)?;
    }
    if roots.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn missing_or_empty_ca_files_are_errors() {
        let err = client_config(Path::new("/nonexistent/ca.pem")).expect_err("missing");
        assert!(err.to_string().starts_with("cannot read the CA file"), "{err}");
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        writeln!(file, "not a certificate").expect("write");
        let err = client_config(file.path()).expect_err("no certificate");
        assert!(matches!(err, TlsError::NoCertificate), "{err}");
    }

    #[test]
    fn garbage_inside_a_certificate_section_is_refused() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        writeln!(
            file,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
        )
        .expect("write");
        assert!(client_config(file.path()).is_err());
    }
}

//! Who the agent is to an OPC UA server: anonymous, a user name with a
//! password from the environment, or an X.509 user certificate with its
//! private key (the session is activated with a signature made by that key
//! over the server's certificate and nonce).

use crate::sources::mqtt::Secret;
use opcua::client::{IdentityToken, Password};
use opcua::crypto::CertificateStore;
use std::path::PathBuf;

/// The session's user.
#[derive(Debug, Clone)]
pub enum UserIdentity {
    /// No user.
    Anonymous,
    /// A user name and its password.
    UserName(String, Secret),
    /// A user certificate (DER or PEM) and its private key (PEM).
    Certificate {
        /// The certificate file.
        certificate: PathBuf,
        /// The private key file.
        private_key: PathBuf,
    },
}

impl UserIdentity {
    /// The identity from the configured keys; errors are (key, reason).
    pub(super) fn parse(
        username: Option<&String>,
        password_env: Option<&String>,
        certificate: Option<&PathBuf>,
        private_key: Option<&PathBuf>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<UserIdentity, (String, String)> {
        let err = |key: &str, reason: &str| Err((key.to_string(), reason.to_string()));
        match (username, password_env, certificate, private_key) {
            (None, None, None, None) => Ok(UserIdentity::Anonymous),
            (_, _, None, Some(_)) => err("user_private_key", "needs user_certificate"),
            (Some(_), _, Some(_), _) => err(
                "user_certificate",
                "either username or user_certificate, not both",
            ),
            (None, Some(_), _, _) => err("password_env", "needs username"),
            (Some(user), Some(var), None, None) => {
                let password = env(var).ok_or_else(|| {
                    (
                        "password_env".to_string(),
                        format!("the environment variable {var} is not set"),
                    )
                })?;
                Ok(UserIdentity::UserName(user.clone(), Secret::new(password)))
            }
            (Some(user), None, None, None) => {
                Ok(UserIdentity::UserName(user.clone(), Secret::new(String::new())))
            }
            (None, None, Some(cert), Some(key)) => Ok(UserIdentity::Certificate {
                certificate: cert.clone(),
                private_key: key.clone(),
            }),
            (None, None, Some(_), None) => err("user_private_key", "is required with user_certificate"),
        }
    }

    /// The library's identity token; a certificate or key that cannot be
    /// read is an error naming the key and the file.
    pub(super) fn token(&self) -> Result<IdentityToken, String> {
        Ok(match self {
            UserIdentity::Anonymous => IdentityToken::Anonymous,
            UserIdentity::UserName(user, password) => {
                IdentityToken::UserName(user.clone(), Password::new(password.expose()))
            }
            UserIdentity::Certificate {
                certificate,
                private_key,
            } => {
                let cert = CertificateStore::read_cert(certificate)
                    .map_err(|e| format!("user_certificate {}: {e}", certificate.display()))?;
                let key = CertificateStore::read_pkey(private_key)
                    .map_err(|e| format!("user_private_key {}: {e}", private_key.display()))?;
                IdentityToken::new_x509(cert, key)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        user: Option<&str>,
        env_var: Option<&str>,
        cert: Option<&str>,
        key: Option<&str>,
    ) -> Result<UserIdentity, (String, String)> {
        UserIdentity::parse(
            user.map(str::to_string).as_ref(),
            env_var.map(str::to_string).as_ref(),
            cert.map(PathBuf::from).as_ref(),
            key.map(PathBuf::from).as_ref(),
            |k| (k == "PW").then(|| "secret".to_string()),
        )
    }

    #[test]
    fn one_identity_at_a_time() {
        assert!(matches!(
            parse(None, None, None, None),
            Ok(UserIdentity::Anonymous)
        ));
        assert!(matches!(
            parse(Some("u"), Some("PW"), None, None),
            Ok(UserIdentity::UserName(u, p)) if u == "u" && p.expose() == "secret"
        ));
        assert!(matches!(
            parse(None, None, Some("u.der"), Some("u.pem")),
            Ok(UserIdentity::Certificate { .. })
        ));
        for (args, key) in [
            (
                (Some("u"), None, Some("u.der"), Some("u.pem")),
                "user_certificate",
            ),
            ((None, None, Some("u.der"), None), "user_private_key"),
            ((None, None, None, Some("u.pem")), "user_private_key"),
            ((None, Some("PW"), None, None), "password_env"),
            ((Some("u"), Some("NOPE"), None, None), "password_env"),
        ] {
            let e = parse(args.0, args.1, args.2, args.3).expect_err(key);
            assert_eq!(e.0, key, "{e:?}");
        }
    }

    #[test]
    fn a_missing_user_certificate_names_its_key_and_file() {
        let identity = UserIdentity::Certificate {
            certificate: "/nonexistent/user.der".into(),
            private_key: "/nonexistent/user.pem".into(),
        };
        let e = identity.token().expect_err("no file");
        assert!(e.starts_with("user_certificate /nonexistent/user.der"), "{e}");
    }
}

//! Configuration of the OPC UA source (`[[opcua]]`, one table per server),
//! parsed once into [`OpcuaSpec`]s that cannot hold an invalid value.
//! Errors name the key and the reason
//! (`opcua[0].tags[2].node: "ns=2;s=x": name the namespace by its URI`).

use super::identity::UserIdentity;
use super::node::NodeRef;
use super::trust::{Fingerprint, ServerTrust};
use mes_protocols::Code;
use mes_protocols::config_text::ConfigError;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One OPC UA server (one device): where, how securely, and which nodes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpcuaConfig {
    /// The device name (what `[[equipment]]` names as its device).
    pub name: String,
    /// The server's endpoint URL, `opc.tcp://host:port[/path]`.
    pub endpoint: String,
    /// `"None"` (default) or `"Basic256Sha256"`.
    #[serde(default = "default_policy")]
    pub security_policy: String,
    /// `"None"` (with policy None), `"Sign"` or `"SignAndEncrypt"`.
    #[serde(default = "default_mode")]
    pub security_mode: String,
    /// User name; anonymous without it (or a user certificate).
    #[serde(default)]
    pub username: Option<String>,
    /// Name of the environment variable holding the password (passwords are
    /// never written in the file).
    #[serde(default)]
    pub password_env: Option<String>,
    /// The user's X.509 certificate (DER or PEM), for certificate user
    /// authentication instead of a user name; needs `user_private_key`.
    #[serde(default)]
    pub user_certificate: Option<PathBuf>,
    /// The private key (PEM) of `user_certificate`.
    #[serde(default)]
    pub user_private_key: Option<PathBuf>,
    /// The server's certificate (DER or PEM file) to trust. With a security
    /// policy other than None this or `server_certificate_sha256` is
    /// required: the agent never trusts a server certificate it was not
    /// given.
    #[serde(default)]
    pub server_certificate: Option<PathBuf>,
    /// The SHA-256 fingerprint of the server's certificate (64 hex digits,
    /// `:` between bytes allowed), instead of `server_certificate`: the
    /// certificate the server presents is trusted only when it has this
    /// fingerprint.
    #[serde(default)]
    pub server_certificate_sha256: Option<String>,
    /// Where the agent keeps its own OPC UA certificate and key (created on
    /// first start) and the trusted server certificates. Default:
    /// `opcua-pki` beside the buffer file.
    #[serde(default)]
    pub pki_dir: Option<PathBuf>,
    /// How often the server sends the changes of the subscription, in ms.
    #[serde(default = "default_publishing")]
    pub publishing_interval_ms: u64,
    /// How often the server samples each node, in ms (default: the
    /// publishing interval).
    #[serde(default)]
    pub sampling_interval_ms: Option<u64>,
    /// Changes the server queues per node between two publishes.
    #[serde(default = "default_queue")]
    pub queue_size: u32,
    /// The time of a value: `"received"` (default, the agent's clock),
    /// `"source"` (the device's timestamp) or `"server"` (the server's).
    #[serde(default = "default_timestamps")]
    pub timestamps: String,
    /// First reconnect delay, in milliseconds (doubles, with jitter).
    #[serde(default = "default_reconnect_initial")]
    pub reconnect_initial_ms: u64,
    /// Longest reconnect delay, in seconds.
    #[serde(default = "default_reconnect_max")]
    pub reconnect_max_secs: u64,
    /// The tags: `{ name = "spindle_speed", node = "nsu=urn:cnc;s=Spindle.Speed" }`,
    /// with `index` for an element of an array and `deadband` (absolute,
    /// applied by the server) for numbers.
    pub tags: Vec<OpcuaTagConfig>,
}

/// One tag: a node (and an array index) read into a named tag.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpcuaTagConfig {
    /// The tag name.
    pub name: String,
    /// The node: `nsu=<namespace uri>;s=<name>` (or `i=`, `g=`, `b=`), or
    /// `ns=0;i=<number>` in the standard namespace.
    pub node: String,
    /// Element of an array value (0-based).
    #[serde(default)]
    pub index: Option<u32>,
    /// Absolute deadband: the server reports a change smaller than this
    /// from the last reported value not at all.
    #[serde(default)]
    pub deadband: Option<f64>,
}

/// How secure the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// No signing, no encryption.
    None,
    /// Basic256Sha256, signed.
    Sign,
    /// Basic256Sha256, signed and encrypted.
    SignAndEncrypt,
}

/// Which timestamp dates a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamps {
    /// When the agent received it.
    Received,
    /// The device's (source) timestamp.
    Source,
    /// The server's timestamp.
    Server,
}

/// A parsed tag.
#[derive(Debug, Clone)]
pub struct OpcuaTag {
    /// The tag name.
    pub name: Code,
    /// The node.
    pub node: NodeRef,
    /// The array element.
    pub index: Option<u32>,
    /// The absolute deadband.
    pub deadband: Option<f64>,
}

/// The checked configuration of one server.
#[derive(Debug, Clone)]
pub struct OpcuaSpec {
    /// The device name.
    pub name: Code,
    /// The endpoint URL.
    pub endpoint: String,
    /// Security of the channel.
    pub security: Security,
    /// The session's user.
    pub user: UserIdentity,
    /// How the server's certificate is trusted.
    pub server_trust: ServerTrust,
    /// The PKI directory.
    pub pki_dir: PathBuf,
    /// The subscription's publishing interval.
    pub publishing_interval: Duration,
    /// Each node's sampling interval.
    pub sampling_interval: Duration,
    /// Queue size per node.
    pub queue_size: u32,
    /// Which time dates a value.
    pub timestamps: Timestamps,
    /// First reconnect delay.
    pub reconnect_initial: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// The tags.
    pub tags: Vec<OpcuaTag>,
}

/// Parses every `[[opcua]]` table read from `file`; `state_dir` is the
/// buffer file's directory (the default PKI directory goes there).
pub fn parse_servers(
    file: &str,
    servers: &[OpcuaConfig],
    state_dir: &Path,
) -> Result<Vec<OpcuaSpec>, ConfigError> {
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        let spec = server
            .parse(state_dir, |key| std::env::var(key).ok())
            .map_err(|(key, reason)| ConfigError::new(file, format!("opcua[{i}].{key}"), reason))?;
        if !names.insert(spec.name.clone()) {
            return Err(ConfigError::new(
                file,
                format!("opcua[{i}].name"),
                format!("{} names two [[opcua]] servers", spec.name),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

impl OpcuaConfig {
    /// Parses one server; errors are (key, reason).
    pub fn parse(
        &self,
        state_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<OpcuaSpec, (String, String)> {
        let at = |key: &str| {
            let key = key.to_string();
            move |reason: String| (key.clone(), reason)
        };
        let name =
            Code::parse(&self.name).map_err(|why| at("name")(format!("{:?}: code {why}", self.name)))?;
        if !self.endpoint.starts_with("opc.tcp://") || self.endpoint.len() <= "opc.tcp://".len() {
            return Err(at("endpoint")(format!(
                "{:?} must be opc.tcp://host:port",
                self.endpoint
            )));
        }
        let security = match (self.security_policy.as_str(), self.security_mode.as_str()) {
            ("None", "None") => Security::None,
            ("Basic256Sha256", "Sign") => Security::Sign,
            ("Basic256Sha256", "SignAndEncrypt") => Security::SignAndEncrypt,
            ("None", mode) => {
                return Err(at("security_mode")(format!(
                    "{mode:?}: with security_policy \"None\" only \"None\""
                )));
            }
            ("Basic256Sha256", mode) => {
                return Err(at("security_mode")(format!(
                    "{mode:?}: with Basic256Sha256 \"Sign\" or \"SignAndEncrypt\""
                )));
            }
            (policy, _) => {
                return Err(at("security_policy")(format!(
                    "{policy:?} is not \"None\" or \"Basic256Sha256\""
                )));
            }
        };
        let server_trust = self.server_trust(security)?;
        let user = UserIdentity::parse(
            self.username.as_ref(),
            self.password_env.as_ref(),
            self.user_certificate.as_ref(),
            self.user_private_key.as_ref(),
            env,
        )?;
        let ms = |key: &str, v: u64, range: std::ops::RangeInclusive<u64>| {
            if range.contains(&v) {
                Ok(Duration::from_millis(v))
            } else {
                Err(at(key)(format!(
                    "{v} is outside {}..={}",
                    range.start(),
                    range.end()
                )))
            }
        };
        let publishing_interval = ms(
            "publishing_interval_ms",
            self.publishing_interval_ms,
            10..=3_600_000,
        )?;
        let sampling_interval = match self.sampling_interval_ms {
            Some(v) => ms("sampling_interval_ms", v, 0..=3_600_000)?,
            None => publishing_interval,
        };
        if !(1..=10_000).contains(&self.queue_size) {
            return Err(at("queue_size")(format!(
                "{} is outside 1..=10000",
                self.queue_size
            )));
        }
        let timestamps = match self.timestamps.as_str() {
            "received" => Timestamps::Received,
            "source" => Timestamps::Source,
            "server" => Timestamps::Server,
            other => {
                return Err(at("timestamps")(format!(
                    "{other:?} is not received, source or server"
                )));
            }
        };
        let reconnect_initial = ms("reconnect_initial_ms", self.reconnect_initial_ms, 1..=600_000)?;
        if self.reconnect_max_secs == 0
            || self.reconnect_initial_ms > self.reconnect_max_secs.saturating_mul(1000)
        {
            return Err(at("reconnect_max_secs")(
                "must be positive and no shorter than reconnect_initial_ms".into(),
            ));
        }
        if self.tags.is_empty() {
            return Err(at("tags")("at least one tag is needed".into()));
        }
        let mut seen = BTreeSet::new();
        let mut tags = Vec::new();
        for (j, t) in self.tags.iter().enumerate() {
            let key = |k: &str| format!("tags[{j}].{k}");
            let tag =
                Code::parse(&t.name).map_err(|why| at(&key("name"))(format!("{:?}: code {why}", t.name)))?;
            if !seen.insert(tag.clone()) {
                return Err(at(&key("name"))(format!("tag {tag} is named twice")));
            }
            let node = NodeRef::parse(&t.node).map_err(at(&key("node")))?;
            if let Some(d) = t.deadband
                && !(d.is_finite() && d >= 0.0)
            {
                return Err(at(&key("deadband"))(format!("{d} is not a non-negative number")));
            }
            tags.push(OpcuaTag {
                name: tag,
                node,
                index: t.index,
                deadband: t.deadband,
            });
        }
        Ok(OpcuaSpec {
            name,
            endpoint: self.endpoint.clone(),
            security,
            user,
            server_trust,
            pki_dir: self
                .pki_dir
                .clone()
                .unwrap_or_else(|| state_dir.join("opcua-pki")),
            publishing_interval,
            sampling_interval,
            queue_size: self.queue_size,
            timestamps,
            reconnect_initial,
            reconnect_max: Duration::from_secs(self.reconnect_max_secs),
            tags,
        })
    }
}

impl OpcuaConfig {
    /// The server certificate trusted: a file or a fingerprint (one, not
    /// both), required with a security policy other than None.
    fn server_trust(&self, security: Security) -> Result<ServerTrust, (String, String)> {
        let key = |k: &str, reason: String| (k.to_string(), reason);
        match (&self.server_certificate, &self.server_certificate_sha256) {
            (Some(_), Some(_)) => Err(key(
                "server_certificate_sha256",
                "either server_certificate or server_certificate_sha256, not both".into(),
            )),
            (None, Some(_)) if security == Security::None => Err(key(
                "server_certificate_sha256",
                "has no use with security_policy \"None\" (no server certificate is checked)".into(),
            )),
            (None, Some(text)) => Fingerprint::parse(text)
                .map(ServerTrust::Sha256)
                .map_err(|why| key("server_certificate_sha256", why)),
            (Some(file), None) => Ok(ServerTrust::Certificate(file.clone())),
            (None, None) if security != Security::None => Err(key(
                "server_certificate",
                "server_certificate or server_certificate_sha256 is required with Basic256Sha256: the agent trusts only the server certificate it is given"
                    .into(),
            )),
            (None, None) => Ok(ServerTrust::Nothing),
        }
    }
}

fn default_policy() -> String {
    "None".into()
}

fn default_mode() -> String {
    "None".into()
}

fn default_publishing() -> u64 {
    1_000
}

fn default_queue() -> u32 {
    10
}

fn default_timestamps() -> String {
    "received".into()
}

fn default_reconnect_initial() -> u64 {
    500
}

fn default_reconnect_max() -> u64 {
    30
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> Result<OpcuaSpec, (String, String)> {
        let config: OpcuaConfig = toml::from_str(toml).expect("shape");
        config.parse(Path::new("/var/lib/mes"), |k| {
            (k == "PW").then(|| "secret".to_string())
        })
    }

    const BASE: &str = "name = \"cnc\"\nendpoint = \"opc.tcp://127.0.0.1:4840\"\n";
    const TAG: &str = "tags = [{ name = \"speed\", node = \"nsu=urn:cnc;s=Speed\" }]\n";

    #[test]
    fn defaults_and_the_pki_beside_the_buffer() {
        let spec = parse(&format!("{BASE}{TAG}")).expect("valid");
        assert_eq!(spec.security, Security::None);
        assert_eq!(spec.pki_dir, Path::new("/var/lib/mes/opcua-pki"));
        assert_eq!(spec.sampling_interval, Duration::from_secs(1));
        assert_eq!(spec.timestamps, Timestamps::Received);
        let spec = parse(&format!(
            "{BASE}security_policy = \"Basic256Sha256\"\nsecurity_mode = \"SignAndEncrypt\"\n\
             server_certificate = \"s.der\"\nusername = \"u\"\npassword_env = \"PW\"\n{TAG}"
        ))
        .expect("valid");
        assert_eq!(spec.security, Security::SignAndEncrypt);
        assert!(matches!(spec.user, UserIdentity::UserName(_, p) if p.expose() == "secret"));
        assert_eq!(spec.server_trust, ServerTrust::Certificate("s.der".into()));
        let hex = "ab".repeat(32);
        let spec = parse(&format!(
            "{BASE}security_policy = \"Basic256Sha256\"\nsecurity_mode = \"Sign\"\n\
             server_certificate_sha256 = \"{hex}\"\nuser_certificate = \"u.der\"\nuser_private_key = \"u.pem\"\n{TAG}"
        ))
        .expect("valid");
        assert!(matches!(spec.server_trust, ServerTrust::Sha256(_)));
        assert!(matches!(spec.user, UserIdentity::Certificate { .. }));
    }

    #[test]
    fn bad_values_name_their_key() {
        for (extra, key) in [
            (
                "security_policy = \"Basic256Sha256\"\nsecurity_mode = \"Sign\"\n",
                "server_certificate",
            ),
            ("security_policy = \"Basic128\"\n", "security_policy"),
            ("security_mode = \"Sign\"\n", "security_mode"),
            ("username = \"u\"\npassword_env = \"NOPE\"\n", "password_env"),
            ("timestamps = \"device\"\n", "timestamps"),
            ("queue_size = 0\n", "queue_size"),
            (
                "security_policy = \"Basic256Sha256\"\nsecurity_mode = \"Sign\"\nserver_certificate_sha256 = \"abc\"\n",
                "server_certificate_sha256",
            ),
            (
                "security_policy = \"Basic256Sha256\"\nsecurity_mode = \"Sign\"\nserver_certificate = \"s.der\"\nserver_certificate_sha256 = \"abc\"\n",
                "server_certificate_sha256",
            ),
            (
                "server_certificate_sha256 = \"abc\"\n",
                "server_certificate_sha256",
            ),
            (
                "username = \"u\"\nuser_certificate = \"u.der\"\nuser_private_key = \"u.pem\"\n",
                "user_certificate",
            ),
            ("user_certificate = \"u.der\"\n", "user_private_key"),
        ] {
            let e = parse(&format!("{BASE}{extra}{TAG}")).expect_err(extra);
            assert_eq!(e.0, key, "{e:?}");
        }
        let e = parse(&format!("{BASE}tags = [{{ name = \"a\", node = \"ns=2;s=x\" }}]")).expect_err("index");
        assert_eq!(e.0, "tags[0].node");
        let e = parse("name = \"cnc\"\nendpoint = \"http://x\"\ntags = []").expect_err("url");
        assert_eq!(e.0, "endpoint");
    }
}

//! Node ids by namespace URI: `nsu=<uri>;s=<name>` (also `i=`, `g=`, `b=`),
//! or `ns=0;...` for the standard namespace only. A server numbers its
//! namespaces as it likes and may renumber them across restarts, so the
//! configuration names the URI and every new session resolves it against
//! the server's NamespaceArray. Pure.

use opcua::types::NodeId;
use std::fmt;
use std::str::FromStr;

/// A configured node: a namespace URI (or the standard namespace) and the
/// identifier in it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRef {
    /// `None`: namespace 0 (`http://opcfoundation.org/UA/`).
    uri: Option<String>,
    /// The node id with namespace 0, its namespace set when resolved.
    id: NodeId,
    raw: String,
}

impl NodeRef {
    /// Parses `nsu=<uri>;<i|s|g|b>=<id>` or `ns=0;<i|s|g|b>=<id>`.
    pub fn parse(raw: &str) -> Result<NodeRef, String> {
        let (uri, rest) = if let Some(rest) = raw.strip_prefix("nsu=") {
            let (uri, id) = rest
                .split_once(';')
                .ok_or_else(|| format!("{raw:?}: expected nsu=<namespace uri>;<i|s|g|b>=<identifier>"))?;
            if uri.is_empty() {
                return Err(format!("{raw:?}: the namespace URI is empty"));
            }
            (Some(uri.to_string()), id)
        } else if let Some(rest) = raw.strip_prefix("ns=0;") {
            (None, rest)
        } else if raw.starts_with("ns=") {
            return Err(format!(
                "{raw:?}: name the namespace by its URI (nsu=<uri>;...), not its index, which the server may change \
                 on restart (only ns=0, the standard namespace, is fixed)"
            ));
        } else {
            (None, raw)
        };
        let id = NodeId::from_str(&format!("ns=0;{rest}"))
            .map_err(|_| format!("{raw:?}: {rest:?} is not i=<number>, s=<text>, g=<guid> or b=<base64>"))?;
        Ok(NodeRef {
            uri,
            id,
            raw: raw.to_string(),
        })
    }

    /// The node id in a session whose server lists `namespaces` (its
    /// NamespaceArray); `None` when the URI is not there.
    pub fn resolve(&self, namespaces: &[String]) -> Option<NodeId> {
        let index = match &self.uri {
            None => 0,
            Some(uri) => u16::try_from(namespaces.iter().position(|n| n == uri)?).ok()?,
        };
        let mut id = self.id.clone();
        id.namespace = index;
        Some(id)
    }

    /// The namespace URI, if not the standard one.
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uri_resolves_to_whatever_index_the_server_gives_it() {
        let node = NodeRef::parse("nsu=urn:cnc;s=Spindle.Speed").expect("valid");
        let a = ["http://opcfoundation.org/UA/".to_string(), "urn:cnc".into()];
        let b = [
            "http://opcfoundation.org/UA/".to_string(),
            "urn:other".into(),
            "urn:cnc".into(),
        ];
        assert_eq!(node.resolve(&a), Some(NodeId::new(1, "Spindle.Speed")));
        assert_eq!(node.resolve(&b), Some(NodeId::new(2, "Spindle.Speed")));
        assert_eq!(node.resolve(&a[..1]), None);
        let numeric = NodeRef::parse("nsu=urn:cnc;i=1234").expect("valid");
        assert_eq!(numeric.resolve(&b), Some(NodeId::new(2, 1234u32)));
        assert_eq!(
            NodeRef::parse("ns=0;i=2258").expect("valid").resolve(&[]),
            Some(NodeId::new(0, 2258u32))
        );
    }

    #[test]
    fn indexes_other_than_zero_and_malformed_ids_are_refused() {
        for (raw, why) in [
            ("ns=2;s=x", "by its URI"),
            ("nsu=;s=x", "URI is empty"),
            ("nsu=urn:x", "expected nsu="),
            ("nsu=urn:x;q=1", "is not i="),
        ] {
            let e = NodeRef::parse(raw).expect_err(raw);
            assert!(e.contains(why), "{raw}: {e}");
        }
    }
}

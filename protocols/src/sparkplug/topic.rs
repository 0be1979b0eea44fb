//! Sparkplug B topics: `spBv1.0/<group>/<type>/<edge node>[/<device>]` and
//! the host applications' `spBv1.0/STATE/<host id>`.

use std::fmt;

/// The Sparkplug B namespace, the first level of every topic.
pub const NAMESPACE: &str = "spBv1.0";

/// What a message on a group's topic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// An edge node's birth: every node metric, with names and aliases.
    NBirth,
    /// An edge node's death (its MQTT will, or a clean disconnect).
    NDeath,
    /// A device's birth.
    DBirth,
    /// A device's death.
    DDeath,
    /// Node metrics that changed.
    NData,
    /// Device metrics that changed.
    DData,
    /// A command to a node (`Node Control/Rebirth`).
    NCmd,
    /// A command to a device.
    DCmd,
}

impl MessageType {
    /// The topic level of this type (`NBIRTH`).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::NBirth => "NBIRTH",
            MessageType::NDeath => "NDEATH",
            MessageType::DBirth => "DBIRTH",
            MessageType::DDeath => "DDEATH",
            MessageType::NData => "NDATA",
            MessageType::DData => "DDATA",
            MessageType::NCmd => "NCMD",
            MessageType::DCmd => "DCMD",
        }
    }

    /// Whether messages of this type are about a device (the topic has a
    /// device level) rather than the node.
    pub fn is_device(self) -> bool {
        matches!(
            self,
            MessageType::DBirth | MessageType::DDeath | MessageType::DData | MessageType::DCmd
        )
    }

    fn parse(level: &str) -> Option<MessageType> {
        [
            MessageType::NBirth,
            MessageType::NDeath,
            MessageType::DBirth,
            MessageType::DDeath,
            MessageType::NData,
            MessageType::DData,
            MessageType::NCmd,
            MessageType::DCmd,
        ]
        .into_iter()
        .find(|t| t.as_str() == level)
    }
}

/// A parsed Sparkplug B topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A message of an edge node or one of its devices.
    Edge {
        /// The group id.
        group: String,
        /// What the message is.
        kind: MessageType,
        /// The edge node id.
        node: String,
        /// The device id, for device message types.
        device: Option<String>,
    },
    /// A host application's online state (`spBv1.0/STATE/<host>`).
    State {
        /// The host application id.
        host: String,
    },
}

/// Why a topic is not a Sparkplug B topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Sparkplug B topic: {0}")]
pub struct TopicError(String);

impl Topic {
    /// Parses a topic a message arrived on.
    pub fn parse(topic: &str) -> Result<Topic, TopicError> {
        let err = |why: &str| TopicError(why.to_string());
        let levels: Vec<&str> = topic.split('/').collect();
        if levels.first() != Some(&NAMESPACE) {
            return Err(err("it does not start with spBv1.0/"));
        }
        if levels.get(1) == Some(&"STATE") {
            return match levels.as_slice() {
                [_, _, host] => Ok(Topic::State {
                    host: id(host, "host id")?,
                }),
                _ => Err(err("a STATE topic is spBv1.0/STATE/<host id>")),
            };
        }
        let (group, kind, node, device) = match levels.as_slice() {
            [_, group, kind, node] => (*group, *kind, *node, None),
            [_, group, kind, node, device] => (*group, *kind, *node, Some(*device)),
            _ => return Err(err("expected spBv1.0/<group>/<type>/<edge node>[/<device>]")),
        };
        let kind =
            MessageType::parse(kind).ok_or_else(|| TopicError(format!("unknown message type {kind:?}")))?;
        if kind.is_device() != device.is_some() {
            return Err(TopicError(format!(
                "{} {}",
                kind.as_str(),
                if kind.is_device() {
                    "needs a device level"
                } else {
                    "has no device level"
                }
            )));
        }
        Ok(Topic::Edge {
            group: id(group, "group id")?,
            kind,
            node: id(node, "edge node id")?,
            device: device.map(|d| id(d, "device id")).transpose()?,
        })
    }

    /// The topic of a node message (`device` `None`) or device message.
    pub fn edge(group: &str, kind: MessageType, node: &str, device: Option<&str>) -> Topic {
        Topic::Edge {
            group: group.to_string(),
            kind,
            node: node.to_string(),
            device: device.map(str::to_string),
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Edge {
                group,
                kind,
                node,
                device,
            } => {
                write!(f, "{NAMESPACE}/{group}/{}/{node}", kind.as_str())?;
                if let Some(device) = device {
                    write!(f, "/{device}")?;
                }
                Ok(())
            }
            Topic::State { host } => write!(f, "{NAMESPACE}/STATE/{host}"),
        }
    }
}

/// Checks a group, node, device or host id: non-empty, no MQTT wildcard.
pub fn id(raw: &str, what: &str) -> Result<String, TopicError> {
    if raw.is_empty() || raw.contains(['+', '#', '/']) {
        return Err(TopicError(format!(
            "{what} {raw:?} must be non-empty, without '/', '+' or '#'"
        )));
    }
    Ok(raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_and_state_topics_parse_and_print_back() {
        for text in [
            "spBv1.0/plant/NBIRTH/gw1",
            "spBv1.0/plant/DDATA/gw1/press-1",
            "spBv1.0/plant/NCMD/gw1",
            "spBv1.0/STATE/scada",
        ] {
            let topic = Topic::parse(text).expect(text);
            assert_eq!(topic.to_string(), text);
        }
        assert_eq!(
            Topic::parse("spBv1.0/plant/DDEATH/gw1/press-1"),
            Ok(Topic::edge("plant", MessageType::DDeath, "gw1", Some("press-1")))
        );
    }

    #[test]
    fn malformed_topics_say_why() {
        for (text, why) in [
            ("spAv1.0/plant/NBIRTH/gw1", "spBv1.0/"),
            ("spBv1.0/plant/NBIRTH", "expected"),
            ("spBv1.0/plant/NOPE/gw1", "unknown message type"),
            ("spBv1.0/plant/NDATA/gw1/dev", "NDATA has no device level"),
            ("spBv1.0/plant/DDATA/gw1", "DDATA needs a device level"),
            ("spBv1.0//NDATA/gw1", "group id"),
            ("spBv1.0/STATE", "STATE topic"),
            ("spBv1.0/STATE/a/b", "STATE topic"),
        ] {
            let e = Topic::parse(text).expect_err(text);
            assert!(e.to_string().contains(why), "{text}: {e}");
        }
    }
}

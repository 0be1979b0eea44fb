//! Routing a received message: find its subscription, name its device, map
//! its payload to one snapshot of tag values, and say what could not be
//! mapped.
//!
//! The first subscription (in configuration order) whose filter matches the
//! topic handles the message. A topic matching none still arrives when a
//! persistent session keeps a subscription an older configuration made, so
//! it is bad input rather than an impossibility.

use super::payload::{JsonPath, PayloadError, parse_json, plain_value};
use super::topic::{Captures, Template, TopicFilter};
use crate::sources::{BadInputKind, Observation, ObservationKind, Origin, TagValue, excerpt};
use mes_protocols::{Code, Timestamp};
use rumqttc::QoS;

/// A device or tag name: fixed (checked when the configuration is parsed) or
/// built from topic variables (checked for every message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    /// A template without variables, already a valid code.
    Fixed(Code),
    /// A template using topic variables.
    Template(Template),
}

impl Name {
    /// A name from a template; a constant template must be a valid code.
    pub fn new(template: Template) -> Result<Self, String> {
        match template.constant() {
            Some(text) => Code::parse(text)
                .map(Name::Fixed)
                .map_err(|why| format!("code {why}")),
            None => Ok(Name::Template(template)),
        }
    }

    /// Whether some topic could give this name the value `device`.
    pub fn could_be(&self, device: &str) -> bool {
        match self {
            Name::Fixed(code) => code.as_str() == device,
            Name::Template(t) => t.could_render(device),
        }
    }

    fn resolve(&self, captures: &Captures<'_>) -> Result<Code, String> {
        match self {
            Name::Fixed(code) => Ok(code.clone()),
            Name::Template(t) => {
                let text = t.render(captures);
                Code::parse(&text).map_err(|why| format!("name {text:?} from the topic: code {why}"))
            }
        }
    }
}

/// How a subscription's payloads become tag values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// The whole payload is one value (number, `true`/`false`, or text).
    Value {
        /// The tag it is the value of.
        tag: Name,
    },
    /// The payload is a JSON document; each field becomes a tag.
    Json {
        /// Tag name and the path of its field.
        fields: Vec<(Name, JsonPath)>,
        /// The field holding the device's own time, if any.
        timestamp: Option<JsonPath>,
    },
}

/// One configured subscription, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// What to subscribe to and how to capture variables.
    pub filter: TopicFilter,
    /// The QoS to subscribe with.
    pub qos: QoS,
    /// The device the messages are about.
    pub device: Name,
    /// How payloads become tags.
    pub mapping: Mapping,
}

/// Input that could not be mapped: counted against `device` (or the topic
/// when no device name could be made) with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInput {
    /// The device name, or the topic.
    pub device: String,
    /// What kind of problem (the metric label).
    pub kind: BadInputKind,
    /// What is wrong.
    pub reason: String,
}

/// What one message turned into.
#[derive(Debug, Default, PartialEq)]
pub struct Mapped {
    /// The message's tag values as one snapshot of its device, whenever a
    /// device name could be made (empty when nothing mapped: the device
    /// still spoke, which keeps it online).
    pub snapshot: Option<Observation>,
    /// One per field or message that could not be mapped.
    pub bad: Vec<BadInput>,
}

/// All subscriptions of one broker connection, in configuration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    subscriptions: Vec<Subscription>,
}

impl Router {
    /// A router over `subscriptions` (the first match wins).
    pub fn new(subscriptions: Vec<Subscription>) -> Self {
        Self { subscriptions }
    }

    /// The subscriptions, to subscribe to.
    pub fn subscriptions(&self) -> &[Subscription] {
        &self.subscriptions
    }

    /// Maps a message received at `received` on `topic`.
    ///
    /// A JSON payload whose timestamp is unreadable is rejected as a whole
    /// (its values would be misplaced in time); otherwise each field maps or
    /// fails on its own, so one missing field does not hide the others.
    pub fn map(&self, topic: &str, payload: &[u8], received: Timestamp) -> Mapped {
        let mut out = Mapped::default();
        let Some((sub, captures)) = self
            .subscriptions
            .iter()
            .find_map(|s| s.filter.matches(topic).map(|c| (s, c)))
        else {
            let why = "the topic matches no configured subscription".into();
            out.bad(topic, BadInputKind::Topic, why);
            return out;
        };
        let device = match sub.device.resolve(&captures) {
            Ok(device) => device,
            Err(why) => {
                out.bad(topic, BadInputKind::Topic, format!("device {why}"));
                return out;
            }
        };
        let mut values = Vec::new();
        let mut at = received;
        match &sub.mapping {
            Mapping::Value { tag } => {
                let value = plain_value(payload).map(Some);
                out.tag(&mut values, &device, tag, &captures, value);
            }
            Mapping::Json { fields, timestamp } => match parse_json(payload).and_then(|doc| {
                let stamp = timestamp.as_ref().map(|p| p.timestamp(&doc)).transpose()?;
                Ok((doc, stamp.flatten()))
            }) {
                Ok((doc, stamp)) => {
                    at = stamp.unwrap_or(received);
                    for (tag, path) in fields {
                        out.tag(&mut values, &device, tag, &captures, path.value(&doc));
                    }
                }
                // Rejected whole: its values would be misplaced in time.
                Err(e) => out.bad(device.as_str(), BadInputKind::Payload, e.to_string()),
            },
        }
        out.snapshot = Some(Observation {
            device,
            at,
            kind: ObservationKind::Snapshot {
                values,
                origin: Origin::Message {
                    topic: topic.to_string(),
                    excerpt: excerpt(payload),
                },
                received,
            },
        });
        out
    }
}

impl Mapped {
    fn bad(&mut self, device: &str, kind: BadInputKind, reason: String) {
        self.bad.push(BadInput {
            device: device.to_string(),
            kind,
            reason,
        });
    }

    fn tag(
        &mut self,
        values: &mut Vec<(Code, TagValue)>,
        device: &Code,
        tag: &Name,
        captures: &Captures<'_>,
        value: Result<Option<TagValue>, PayloadError>,
    ) {
        if let Ok(None) = value {
            return; // an optional field the document does not have
        }
        let tag = match tag.resolve(captures) {
            Ok(tag) => tag,
            Err(why) => {
                self.bad(device.as_str(), BadInputKind::Field, format!("tag {why}"));
                return;
            }
        };
        match value {
            Ok(None) => {}
            Ok(Some(value)) => values.push((tag, value)),
            Err(e) => {
                let kind = match e {
                    PayloadError::NotUtf8 | PayloadError::Empty => BadInputKind::Payload,
                    _ => BadInputKind::Field,
                };
                self.bad(device.as_str(), kind, format!("tag {tag}: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::TagValue;

    fn name(raw: &str, filter: &TopicFilter) -> Name {
        Name::new(Template::parse(raw, filter).expect("template")).expect("name")
    }

    fn router() -> Router {
        let state = TopicFilter::parse("plant/+line/+machine/state").expect("filter");
        let tele = TopicFilter::parse("plant/+line/+machine/telemetry").expect("filter");
        Router::new(vec![
            Subscription {
                device: name("{machine}", &state),
                mapping: Mapping::Value {
                    tag: name("state", &state),
                },
                filter: state,
                qos: QoS::AtLeastOnce,
            },
            Subscription {
                device: name("{line}-{machine}", &tele),
                mapping: Mapping::Json {
                    fields: vec![
                        (
                            name("temperature", &tele),
                            JsonPath::parse("data.temp").expect("path"),
                        ),
                        (
                            name("speed", &tele),
                            JsonPath::parse("axes[1].rpm").expect("path"),
                        ),
                    ],
                    timestamp: Some(JsonPath::parse("ts").expect("path")),
                },
                filter: tele,
                qos: QoS::AtMostOnce,
            },
        ])
    }

    fn now() -> Timestamp {
        Timestamp::from_unix_millis(1_000)
    }

    fn tags(mapped: &Mapped) -> Vec<(String, String, TagValue, i64)> {
        let Some(o) = &mapped.snapshot else {
            return Vec::new();
        };
        match &o.kind {
            ObservationKind::Snapshot { values, .. } => values
                .iter()
                .map(|(tag, value)| {
                    (
                        o.device.to_string(),
                        tag.to_string(),
                        value.clone(),
                        o.at.unix_millis(),
                    )
                })
                .collect(),
            ObservationKind::Link { .. } => panic!("a snapshot"),
        }
    }

    #[test]
    fn plain_payload_maps_to_one_tag_of_the_captured_device() {
        let m = router().map("plant/l1/press-1/state", b"running", now());
        assert_eq!(
            tags(&m),
            [(
                "press-1".into(),
                "state".into(),
                TagValue::Text("running".into()),
                1_000
            )]
        );
        assert!(m.bad.is_empty());
    }

    #[test]
    fn json_payload_maps_each_field_at_the_device_time() {
        let m = router().map(
            "plant/l1/press-1/telemetry",
            br#"{"ts": 5000, "data": {"temp": 21.5}, "axes": [{"rpm": 1}, {"rpm": 1200}]}"#,
            now(),
        );
        assert_eq!(
            tags(&m),
            [
                (
                    "l1-press-1".into(),
                    "temperature".into(),
                    TagValue::Float(21.5),
                    5_000
                ),
                ("l1-press-1".into(), "speed".into(), TagValue::Int(1200), 5_000),
            ]
        );
        let m = router().map("plant/l1/press-1/telemetry", br#"{"data": {"temp": 3}}"#, now());
        assert_eq!(tags(&m)[0].3, 1_000, "receive time without a device time");
    }

    #[test]
    fn every_bad_input_is_reported_with_device_and_reason() {
        let r = router();
        let cases: [(&str, &[u8], &str, &str); 6] = [
            (
                "plant/l1/press-1/telemetry",
                b"{not json",
                "l1-press-1",
                "payload is not JSON",
            ),
            (
                "plant/l1/press-1/telemetry",
                b"{\"ts\": \"soon\"}",
                "l1-press-1",
                "timestamp field `ts`",
            ),
            (
                "plant/l1/press-1/state",
                b"",
                "press-1",
                "tag state: payload is empty",
            ),
            (
                "plant/l1//state",
                b"1",
                "plant/l1//state",
                "device name \"\" from the topic: code must",
            ),
            (
                "other/topic",
                b"1",
                "other/topic",
                "matches no configured subscription",
            ),
            ("plant/l1/press-1/state", &[0xc3, 0x28], "press-1", "not UTF-8"),
        ];
        for (topic, payload, device, reason) in cases {
            let m = r.map(topic, payload, now());
            assert!(tags(&m).is_empty(), "{topic}");
            assert_eq!(m.bad.len(), 1, "{topic}");
            assert_eq!(m.bad[0].device, device);
            assert!(m.bad[0].reason.contains(reason), "{topic}: {}", m.bad[0].reason);
        }
    }

    #[test]
    fn a_message_is_one_snapshot_of_its_device_even_when_nothing_maps() {
        let m = router().map("plant/l1/press-1/telemetry", b"{not json", now());
        let snapshot = m.snapshot.expect("the device spoke");
        assert_eq!(snapshot.device.as_str(), "l1-press-1");
        match snapshot.kind {
            ObservationKind::Snapshot { values, origin, .. } => {
                assert!(values.is_empty());
                assert_eq!(
                    origin.to_string(),
                    "topic plant/l1/press-1/telemetry, payload \"{not json\""
                );
            }
            ObservationKind::Link { .. } => panic!("a snapshot"),
        }
        assert_eq!(m.bad[0].kind, BadInputKind::Payload);
        let m = router().map("other/topic", b"1", now());
        assert!(m.snapshot.is_none(), "no device, no snapshot");
        assert_eq!(m.bad[0].kind, BadInputKind::Topic);
    }

    #[test]
    fn a_bad_field_does_not_hide_the_good_ones() {
        let m = router().map(
            "plant/l1/m/telemetry",
            br#"{"data": {"temp": [1]}, "axes": [0, {"rpm": 7}]}"#,
            now(),
        );
        assert_eq!(
            tags(&m),
            [("l1-m".into(), "speed".into(), TagValue::Int(7), 1_000)]
        );
        assert_eq!(m.bad.len(), 1);
        assert_eq!(
            m.bad[0].reason,
            "tag temperature: field `data.temp` is an array, expected a number, boolean or string"
        );
        let m = router().map("plant/l1/m/telemetry", b"{}", now());
        assert_eq!(m.bad.len(), 2, "both fields missing");
    }

    #[test]
    fn templated_tag_names_are_checked_per_message() {
        let f = TopicFilter::parse("t/+tag").expect("filter");
        let r = Router::new(vec![Subscription {
            device: name("dev", &f),
            mapping: Mapping::Value {
                tag: name("{tag}", &f),
            },
            filter: f,
            qos: QoS::AtMostOnce,
        }]);
        assert_eq!(tags(&r.map("t/speed", b"5", now()))[0].1, "speed");
        let m = r.map(&format!("t/{}", "x".repeat(65)), b"5", now());
        assert_eq!(m.bad[0].device, "dev");
        assert!(m.bad[0].reason.starts_with("tag name"), "{}", m.bad[0].reason);
    }

    #[test]
    fn first_matching_subscription_wins_and_constant_names_are_checked_early() {
        let f = TopicFilter::parse("a/#").expect("filter");
        assert!(Name::new(Template::parse(" bad", &f).expect("template")).is_err());
        let r = Router::new(vec![
            Subscription {
                device: name("first", &f),
                mapping: Mapping::Value { tag: name("v", &f) },
                filter: f.clone(),
                qos: QoS::AtMostOnce,
            },
            Subscription {
                device: name("second", &f),
                mapping: Mapping::Value { tag: name("v", &f) },
                filter: f,
                qos: QoS::AtMostOnce,
            },
        ]);
        assert_eq!(tags(&r.map("a/b", b"1", now()))[0].0, "first");
    }
}

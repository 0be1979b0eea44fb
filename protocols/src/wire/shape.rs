//! The shape rules of an event's JSON: its size, its nesting depth, and no
//! object naming a key twice.
//!
//! Checked at ingest before an event is acknowledged, because the hub
//! reads stored events again later (the projection, costing) with parsers
//! that recurse (serde_json stops at 128 levels) and hold the text in
//! memory: an event acknowledged but unreadable later could never be
//! booked. A key named twice is refused because serde_json keeps the last
//! value without a word while the stored text keeps both, so what the hub
//! booked and what it stored would disagree. The scan here is iterative,
//! so a hostile depth costs nothing.

use crate::field_error::FieldError;
use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

/// Most bytes of one event's JSON (header, body and any unknown fields).
/// The largest real event (an operation start naming its workers, a scan
/// of 1,024 characters) is a few kilobytes.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// Deepest nesting of objects and arrays in one event, counting the event
/// object itself as 1 (`data.run.order` is at depth 3). Known bodies need
/// 3; the rest is room for fields a newer agent adds, far below the 128
/// levels serde_json reads.
pub const MAX_EVENT_DEPTH: usize = 32;

/// Why an event's JSON breaks a shape rule. Each carries the field, relative
/// to the event, and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// Larger than [`MAX_EVENT_BYTES`] (the field is empty) or nested
    /// deeper than [`MAX_EVENT_DEPTH`] (the field is the first two levels
    /// of the path to the value nested too deep, `data.extra`).
    #[error("{0}")]
    Limits(FieldError),
    /// An object names a key twice (the field is the key's path,
    /// `data.lines[2].quantity`).
    #[error("{0}")]
    DuplicateKey(FieldError),
}

/// Checks an event's JSON text against [`MAX_EVENT_BYTES`],
/// [`MAX_EVENT_DEPTH`] and keys named twice.
pub fn check_event_shape(text: &str) -> Result<(), ShapeError> {
    if text.len() > MAX_EVENT_BYTES {
        return Err(ShapeError::Limits(FieldError::new(
            "",
            format!(
                "the event is {} bytes of JSON, at most {MAX_EVENT_BYTES} are accepted",
                text.len()
            ),
        )));
    }
    match scan(text.as_bytes(), MAX_EVENT_DEPTH, &[]) {
        Some(Fault::TooDeep(path)) => Err(ShapeError::Limits(FieldError::new(
            path,
            format!("nests objects or arrays deeper than {MAX_EVENT_DEPTH} levels"),
        ))),
        Some(Fault::Duplicate(path)) => Err(ShapeError::DuplicateKey(duplicate(path))),
        None => Ok(()),
    }
}

/// The first key named twice in an object of `json`, outside the byte
/// ranges `skip` (ascending; each one whole value, such as an event
/// checked on its own), as a field error naming its path. Nothing for
/// JSON that is malformed in other ways (its parse says why).
pub(crate) fn duplicate_key(json: &[u8], skip: &[Range<usize>]) -> Option<FieldError> {
    match scan(json, usize::MAX, skip) {
        Some(Fault::Duplicate(path)) => Some(duplicate(path)),
        _ => None,
    }
}

fn duplicate(path: String) -> FieldError {
    FieldError::new(path, "this key appears twice in its object; name each key once")
}

/// What [`scan`] found first.
enum Fault {
    /// Nested deeper than allowed; the path's first levels.
    TooDeep(String),
    /// A key named twice; its full path.
    Duplicate(String),
}

/// A level of nesting being scanned.
enum Frame<'a> {
    /// An object: the last key read in it and the keys it named so far.
    Object(Option<Cow<'a, str>>, HashSet<Cow<'a, str>>),
    /// An array, with the index of the current element.
    Array(usize),
}

/// Walks `json` once, counting brackets outside strings and reading the
/// keys of every object, skipping the ranges `skip`. Assumes nothing about
/// validity, so malformed JSON is left to the parser.
fn scan<'a>(json: &'a [u8], max_depth: usize, skip: &[Range<usize>]) -> Option<Fault> {
    let mut stack: Vec<Frame<'a>> = Vec::new();
    let mut skip = skip.iter().peekable();
    let mut expect_key = false;
    let mut i = 0;
    while i < json.len() {
        if let Some(range) = skip.next_if(|r| r.start <= i) {
            // A skipped value stands for a scalar here.
            i = i.max(range.end);
            continue;
        }
        match json[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < json.len() && json[i] != b'"' {
                    i += if json[i] == b'\\' { 2 } else { 1 };
                }
                if expect_key && let Some(Frame::Object(key, seen)) = stack.last_mut() {
                    let name = unescape(&json[start..i.min(json.len())]);
                    expect_key = false;
                    if !seen.insert(name.clone()) {
                        *key = Some(name);
                        return Some(Fault::Duplicate(path(&stack, usize::MAX)));
                    }
                    *key = Some(name);
                }
            }
            b'{' | b'[' => {
                if stack.len() >= max_depth {
                    return Some(Fault::TooDeep(path(&stack, 3)));
                }
                let object = json[i] == b'{';
                stack.push(if object {
                    Frame::Object(None, HashSet::new())
                } else {
                    Frame::Array(0)
                });
                expect_key = object;
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(index)) => *index += 1,
                Some(Frame::Object(..)) => expect_key = true,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    None
}

/// A key as serde_json reads it: its escapes resolved (`"a\\u0062"` is
/// `ab`), so two spellings of one key are the same key.
fn unescape(raw: &[u8]) -> Cow<'_, str> {
    if !raw.contains(&b'\\') {
        return String::from_utf8_lossy(raw);
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    match serde_json::from_slice::<String>(&quoted) {
        Ok(text) => Cow::Owned(text),
        Err(_) => String::from_utf8_lossy(raw),
    }
}

/// `data.extra` or `data[3]`: the path below the outermost value, through
/// at most `levels` frames.
fn path(stack: &[Frame<'_>], levels: usize) -> String {
    let mut out = String::new();
    for frame in stack.iter().take(levels) {
        match frame {
            Frame::Object(Some(key), _) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Frame::Object(None, _) => {}
            Frame::Array(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!(
            r#"{{"seq":1,"data":{{"equipment":"p1","extra":{}1{}}}}}"#,
            r#"{"a":"#.repeat(depth),
            "}".repeat(depth)
        )
    }

    #[test]
    fn deep_nesting_is_refused_naming_the_field() {
        let e = check_event_shape(&nested(200)).err();
        assert!(
            matches!(&e, Some(ShapeError::Limits(f)) if f.field == "data.extra.a"),
            "{e:?}"
        );
        assert!(check_event_shape(&nested(MAX_EVENT_DEPTH - 2)).is_ok());
        assert!(check_event_shape(&nested(MAX_EVENT_DEPTH - 1)).is_err());
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let text = format!(r#"{{"data":{{"code":"{}","q":"\"[{{"}}}}"#, "[{".repeat(100));
        assert!(check_event_shape(&text).is_ok());
    }

    #[test]
    fn a_key_named_twice_is_refused_naming_its_path() {
        let field = |text: &str| match check_event_shape(text) {
            Err(ShapeError::DuplicateKey(f)) => Some(f.field),
            _ => None,
        };
        assert_eq!(field(r#"{"seq":1,"seq":2}"#).as_deref(), Some("seq"));
        assert_eq!(
            field(r#"{"data":{"lines":[{"q":1},{"q":1,"u":"kg","q":2}]}}"#).as_deref(),
            Some("data.lines[1].q")
        );
        assert_eq!(
            field(r#"{"data":{"ab":1,"a\u0062":2}}"#).as_deref(),
            Some("data.ab")
        );
        // The same key in two objects, a key's name as a value, or quoted
        // inside a string is no repeat.
        assert!(check_event_shape(r#"{"a":{"b":1},"c":{"b":2},"d":[{"b":1},{"b":2}]}"#).is_ok());
        assert!(check_event_shape(r#"{"a":"a","b":["a","a"],"c":"\"a\":1,\"a\":2"}"#).is_ok());
    }

    #[test]
    fn skipped_ranges_are_not_scanned() {
        let json = br#"{"x":1,"events":[{"a":1,"a":2},{"b":1}],"y":2}"#;
        let start = json.iter().position(|b| *b == b'[').expect("an array") + 1;
        let end = start + br#"{"a":1,"a":2}"#.len();
        assert_eq!(duplicate_key(json, &[Range { start, end }]), None);
        assert_eq!(
            duplicate_key(json, &[]).map(|f| f.field).as_deref(),
            Some("events[0].a")
        );
        let twice = br#"{"x":1,"events":[{"a":1}],"x":2}"#;
        assert_eq!(
            duplicate_key(twice, &[Range { start: 17, end: 24 }])
                .map(|f| f.field)
                .as_deref(),
            Some("x")
        );
    }

    #[test]
    fn a_large_event_is_refused() {
        let text = format!(r#"{{"data":{{"x":"{}"}}}}"#, "a".repeat(MAX_EVENT_BYTES));
        assert!(check_event_shape(&text).is_err());
    }
}

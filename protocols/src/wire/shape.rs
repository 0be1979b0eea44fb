//! The shape limits of one event's JSON: its size and its nesting depth.
//!
//! Checked at ingest before an event is acknowledged, because the hub
//! reads stored events again later (the projection, costing) with parsers
//! that recurse (serde_json stops at 128 levels) and hold the text in
//! memory: an event acknowledged but unreadable later could never be
//! booked. The scan here is iterative, so a hostile depth costs nothing.

use crate::field_error::FieldError;

/// Most bytes of one event's JSON (header, body and any unknown fields).
/// The largest real event (an operation start naming its workers, a scan
/// of 1,024 characters) is a few kilobytes.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// Deepest nesting of objects and arrays in one event, counting the event
/// object itself as 1 (`data.run.order` is at depth 3). Known bodies need
/// 3; the rest is room for fields a newer agent adds, far below the 128
/// levels serde_json reads.
pub const MAX_EVENT_DEPTH: usize = 32;

/// Checks an event's JSON text against [`MAX_EVENT_BYTES`] and
/// [`MAX_EVENT_DEPTH`]. The error's field is relative to the event: the
/// first two levels of the path to the value nested too deep
/// (`data.extra`), or empty for the size.
pub fn check_event_shape(text: &str) -> Result<(), FieldError> {
    if text.len() > MAX_EVENT_BYTES {
        return Err(FieldError::new(
            "",
            format!(
                "the event is {} bytes of JSON, at most {MAX_EVENT_BYTES} are accepted",
                text.len()
            ),
        ));
    }
    match too_deep(text.as_bytes(), MAX_EVENT_DEPTH) {
        Some(path) => Err(FieldError::new(
            path,
            format!("nests objects or arrays deeper than {MAX_EVENT_DEPTH} levels"),
        )),
        None => Ok(()),
    }
}

/// A level of nesting being scanned.
enum Frame {
    /// An object, with the last key read in it.
    Object(Option<String>),
    /// An array, with the index of the current element.
    Array(usize),
}

/// The path (first two levels) to where `json` nests deeper than `max`, or
/// `None`. Assumes nothing about validity: it only counts brackets outside
/// strings, so malformed JSON is left to the parser.
fn too_deep(json: &[u8], max: usize) -> Option<String> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < json.len() && json[i] != b'"' {
                    i += if json[i] == b'\\' { 2 } else { 1 };
                }
                if expect_key && let Some(Frame::Object(key)) = stack.last_mut() {
                    let end = i.min(json.len());
                    *key = Some(String::from_utf8_lossy(&json[start..end]).into_owned());
                    expect_key = false;
                }
            }
            b'{' | b'[' => {
                if stack.len() >= max {
                    return Some(path(&stack));
                }
                let object = json[i] == b'{';
                stack.push(if object {
                    Frame::Object(None)
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
                Some(Frame::Object(_)) => expect_key = true,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    None
}

/// `data.extra` or `data[3]`: the path below the event object, two levels.
fn path(stack: &[Frame]) -> String {
    let mut out = String::new();
    for frame in stack.iter().take(3) {
        match frame {
            Frame::Object(Some(key)) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Frame::Object(None) => {}
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
        assert_eq!(e.map(|e| e.field), Some("data.extra.a".to_string()));
        assert!(check_event_shape(&nested(MAX_EVENT_DEPTH - 2)).is_ok());
        assert!(check_event_shape(&nested(MAX_EVENT_DEPTH - 1)).is_err());
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let text = format!(r#"{{"data":{{"code":"{}","q":"\"[{{"}}}}"#, "[{".repeat(100));
        assert!(check_event_shape(&text).is_ok());
    }

    #[test]
    fn a_large_event_is_refused() {
        let text = format!(r#"{{"data":{{"x":"{}"}}}}"#, "a".repeat(MAX_EVENT_BYTES));
        assert!(check_event_shape(&text).is_err());
    }
}

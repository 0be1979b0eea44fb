//! Topic filters with named single-level wildcards (`plant/+line/+machine/state`)
//! and the name templates (`"{line}-{machine}"`) that use what they capture.
//!
//! Both are parsed once from the configuration; matching an incoming topic
//! walks the precomputed levels without allocating, so the per-message cost
//! is a split of the topic and a comparison per level.

use std::fmt;

/// Most `+name` variables one filter may declare (captures live on the stack).
pub const MAX_VARIABLES: usize = 8;

/// Why a topic filter or a template is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// The filter is empty.
    #[error("a topic filter must not be empty")]
    Empty,
    /// `#` not in the last level.
    #[error("'#' must be the last level")]
    HashNotLast,
    /// A wildcard sharing its level with other characters.
    #[error("'{0}' must be a whole level (or `+name` for a named level)")]
    WildcardInLevel(char),
    /// A variable name that is not `[A-Za-z_][A-Za-z0-9_]*`.
    #[error("variable name `{0}` must be letters, digits or '_' and not start with a digit")]
    BadVariableName(String),
    /// The same variable twice.
    #[error("variable `{0}` is defined twice")]
    DuplicateVariable(String),
    /// More variables than captures fit.
    #[error("at most {MAX_VARIABLES} named levels are allowed")]
    TooManyVariables,
    /// A NUL character, which MQTT forbids in topics.
    #[error("a topic filter must not contain NUL characters")]
    Nul,
    /// A template naming a variable the filter does not define.
    #[error("`{{{name}}}` is not a variable of the topic filter (defined: {defined})")]
    UnknownVariable {
        /// The unknown name.
        name: String,
        /// The variables the filter defines, comma-separated.
        defined: String,
    },
    /// A `{` without `}` or a `}` without `{`.
    #[error("unbalanced '{{' or '}}' in template")]
    Unbalanced,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    Literal(String),
    /// `+` or `+name`; the index of the variable when named.
    Single(Option<usize>),
    /// `#`: this level and everything below, including nothing.
    Multi,
}

/// A parsed topic filter: what to subscribe to and how to match and capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicFilter {
    levels: Vec<Level>,
    variables: Vec<String>,
    mqtt: String,
}

/// The values a matching topic gave to a filter's variables, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Captures<'t> {
    values: [&'t str; MAX_VARIABLES],
}

impl<'t> Captures<'t> {
    /// The value of the variable with index `index` (empty when out of range).
    pub fn get(&self, index: usize) -> &'t str {
        self.values.get(index).copied().unwrap_or("")
    }
}

impl TopicFilter {
    /// Parses a filter: MQTT syntax, plus `+name` levels that capture a
    /// variable.
    pub fn parse(raw: &str) -> Result<Self, TopicError> {
        if raw.is_empty() {
            return Err(TopicError::Empty);
        }
        if raw.contains('\0') {
            return Err(TopicError::Nul);
        }
        let parts: Vec<&str> = raw.split('/').collect();
        let mut levels = Vec::with_capacity(parts.len());
        let mut variables: Vec<String> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let level = if *part == "#" {
                if i + 1 != parts.len() {
                    return Err(TopicError::HashNotLast);
                }
                Level::Multi
            } else if let Some(name) = part.strip_prefix('+') {
                if name.is_empty() {
                    Level::Single(None)
                } else {
                    check_variable_name(name)?;
                    if variables.iter().any(|v| v == name) {
                        return Err(TopicError::DuplicateVariable(name.to_string()));
                    }
                    if variables.len() == MAX_VARIABLES {
                        return Err(TopicError::TooManyVariables);
                    }
                    variables.push(name.to_string());
                    Level::Single(Some(variables.len() - 1))
                }
            } else if part.contains('#') {
                // A `#` anywhere but alone; "last level" is the likelier intent
                // when the level is exactly `#` but not last, handled above.
                return Err(TopicError::WildcardInLevel('#'));
            } else if part.contains('+') {
                return Err(TopicError::WildcardInLevel('+'));
            } else {
                Level::Literal((*part).to_string())
            };
            levels.push(level);
        }
        let mqtt = levels
            .iter()
            .map(|l| match l {
                Level::Literal(s) => s.as_str(),
                Level::Single(_) => "+",
                Level::Multi => "#",
            })
            .collect::<Vec<_>>()
            .join("/");
        Ok(Self {
            levels,
            variables,
            mqtt,
        })
    }

    /// The filter to subscribe with (variable names removed).
    pub fn mqtt_filter(&self) -> &str {
        &self.mqtt
    }

    /// The variable names, in the order of their levels.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// Matches a topic name, returning what the variables captured.
    ///
    /// Follows MQTT 3.1.1 §4.7: `#` also matches the parent level
    /// (`a/#` matches `a`), and a filter starting with a wildcard does not
    /// match topics starting with `$` (`$SYS/...`).
    pub fn matches<'t>(&self, topic: &'t str) -> Option<Captures<'t>> {
        if topic.starts_with('$') && !matches!(self.levels.first(), Some(Level::Literal(_))) {
            return None;
        }
        let mut captures = Captures {
            values: [""; MAX_VARIABLES],
        };
        let mut parts = topic.split('/');
        for level in &self.levels {
            match level {
                Level::Multi => return Some(captures),
                Level::Single(var) => {
                    let part = parts.next()?;
                    if let Some(i) = var {
                        captures.values[*i] = part;
                    }
                }
                Level::Literal(lit) => {
                    if parts.next()? != lit {
                        return None;
                    }
                }
            }
        }
        parts.next().is_none().then_some(captures)
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for level in &self.levels {
            if !first {
                f.write_str("/")?;
            }
            first = false;
            match level {
                Level::Literal(s) => f.write_str(s)?,
                Level::Single(None) => f.write_str("+")?,
                Level::Single(Some(i)) => write!(f, "+{}", self.variables[*i])?,
                Level::Multi => f.write_str("#")?,
            }
        }
        Ok(())
    }
}

fn check_variable_name(name: &str) -> Result<(), TopicError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(TopicError::BadVariableName(name.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(usize),
}

/// A name built from literal text and a filter's variables: `"{machine}"`,
/// `"{line}-{machine}"`, `"state"`. `{{` and `}}` stand for literal braces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses a template against the variables `filter` defines.
    pub fn parse(raw: &str, filter: &TopicFilter) -> Result<Self, TopicError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '}' => return Err(TopicError::Unbalanced),
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(TopicError::Unbalanced),
                        }
                    }
                    let index = filter.variables.iter().position(|v| *v == name).ok_or_else(|| {
                        TopicError::UnknownVariable {
                            name: name.clone(),
                            defined: if filter.variables.is_empty() {
                                "none".into()
                            } else {
                                filter.variables.join(", ")
                            },
                        }
                    })?;
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Var(index));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() || parts.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Self { parts })
    }

    /// The text when the template uses no variable (checkable at config time).
    pub fn constant(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// Whether some topic could make this template render `name`: its
    /// literal text in place, each variable standing for one topic level
    /// (any text without `/`). Used to tell, before any message arrives,
    /// whether a subscription can ever name a configured device.
    pub fn could_render(&self, name: &str) -> bool {
        fn fits(parts: &[Part], rest: &str) -> bool {
            match parts.split_first() {
                None => rest.is_empty(),
                Some((Part::Text(t), more)) => rest.strip_prefix(t.as_str()).is_some_and(|r| fits(more, r)),
                Some((Part::Var(_), more)) => {
                    // A level ends at the first '/': try every shorter cut.
                    let level = rest.find('/').unwrap_or(rest.len());
                    (0..=level)
                        .filter(|&end| rest.is_char_boundary(end))
                        .any(|end| fits(more, &rest[end..]))
                }
            }
        }
        fits(&self.parts, name)
    }

    /// The name for a topic's captures.
    pub fn render(&self, captures: &Captures<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(i) => out.push_str(captures.get(*i)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(raw: &str) -> TopicFilter {
        TopicFilter::parse(raw).expect("valid filter")
    }

    #[test]
    fn named_levels_capture_and_translate_to_plain_wildcards() {
        let f = filter("plant/+line/+machine/state");
        assert_eq!(f.mqtt_filter(), "plant/+/+/state");
        assert_eq!(f.variables(), ["line", "machine"]);
        assert_eq!(f.to_string(), "plant/+line/+machine/state");
        let c = f.matches("plant/l1/press-1/state").expect("matches");
        assert_eq!((c.get(0), c.get(1)), ("l1", "press-1"));
        assert!(f.matches("plant/l1/press-1/state/x").is_none());
        assert!(f.matches("plant/l1/state").is_none());
        assert!(f.matches("plant/l1/press-1/count").is_none());
    }

    #[test]
    fn plus_matches_exactly_one_level_even_an_empty_one() {
        let f = filter("a/+/c");
        assert!(f.matches("a/b/c").is_some());
        assert!(f.matches("a//c").is_some());
        assert!(f.matches("a/c").is_none());
        assert!(f.matches("a/b/b/c").is_none());
        assert!(filter("+").matches("x").is_some());
        assert!(filter("+").matches("x/y").is_none());
        assert!(filter("+/+").matches("/x").is_some());
    }

    #[test]
    fn hash_matches_the_parent_and_everything_below() {
        let f = filter("plant/#");
        assert!(f.matches("plant").is_some());
        assert!(f.matches("plant/").is_some());
        assert!(f.matches("plant/a/b/c").is_some());
        assert!(f.matches("plants/a").is_none());
        assert!(filter("#").matches("anything/at/all").is_some());
        let f = filter("+site/#");
        assert_eq!(f.matches("s1/a/b").expect("matches").get(0), "s1");
    }

    #[test]
    fn wildcard_filters_do_not_match_dollar_topics() {
        assert!(filter("#").matches("$SYS/broker/uptime").is_none());
        assert!(filter("+/broker/uptime").matches("$SYS/broker/uptime").is_none());
        assert!(filter("+name/#").matches("$SYS/x").is_none());
        assert!(filter("$SYS/#").matches("$SYS/broker/uptime").is_some());
        assert!(filter("$SYS/+/uptime").matches("$SYS/broker/uptime").is_some());
        // Only the first level is special.
        assert!(filter("a/+").matches("a/$x").is_some());
    }

    #[test]
    fn literal_levels_are_case_sensitive_and_exact() {
        let f = filter("Plant/state");
        assert!(f.matches("Plant/state").is_some());
        assert!(f.matches("plant/state").is_none());
        assert!(f.matches("Plant/state/").is_none());
    }

    #[test]
    fn invalid_filters_say_why() {
        assert_eq!(TopicFilter::parse("plant/#/x"), Err(TopicError::HashNotLast));
        assert_eq!(
            TopicFilter::parse("plant/a#"),
            Err(TopicError::WildcardInLevel('#'))
        );
        assert_eq!(
            TopicFilter::parse("plant/a+"),
            Err(TopicError::WildcardInLevel('+'))
        );
        assert_eq!(
            TopicFilter::parse("plant/+a+b"),
            Err(TopicError::BadVariableName("a+b".into()))
        );
        assert_eq!(
            TopicFilter::parse("+1x"),
            Err(TopicError::BadVariableName("1x".into()))
        );
        assert_eq!(
            TopicFilter::parse("+m/+m"),
            Err(TopicError::DuplicateVariable("m".into()))
        );
        assert_eq!(TopicFilter::parse(""), Err(TopicError::Empty));
        assert_eq!(TopicFilter::parse("a\0"), Err(TopicError::Nul));
        let many = (0..=MAX_VARIABLES)
            .map(|i| format!("+v{i}"))
            .collect::<Vec<_>>()
            .join("/");
        assert_eq!(TopicFilter::parse(&many), Err(TopicError::TooManyVariables));
        assert_eq!(TopicError::HashNotLast.to_string(), "'#' must be the last level");
    }

    #[test]
    fn templates_render_captures() {
        let f = filter("plant/+line/+machine/state");
        let c = f.matches("plant/l1/press-1/state").expect("matches");
        let t = Template::parse("{line}-{machine}", &f).expect("valid");
        assert_eq!(t.render(&c), "l1-press-1");
        assert_eq!(t.constant(), None);
        let t = Template::parse("state", &f).expect("valid");
        assert_eq!(t.constant(), Some("state"));
        let t = Template::parse("{{x}}{machine}", &f).expect("valid");
        assert_eq!(t.render(&c), "{x}press-1");
        assert_eq!(Template::parse("", &f).expect("valid").constant(), Some(""));
    }

    #[test]
    fn a_template_could_render_only_names_its_text_allows() {
        let f = filter("plant/+line/+machine/state");
        let t = Template::parse("{line}-{machine}", &f).expect("valid");
        assert!(t.could_render("l1-press-1"));
        assert!(t.could_render("a-b-c"), "either dash may be the literal one");
        assert!(!t.could_render("press1"), "the literal dash is missing");
        assert!(!t.could_render("l1/x-press"), "a level holds no '/'");
        let t = Template::parse("press-{machine}", &f).expect("valid");
        assert!(t.could_render("press-7"));
        assert!(!t.could_render("lathe-7"));
        let t = Template::parse("{machine}", &f).expect("valid");
        assert!(t.could_render("anything"));
        let t = Template::parse("oven", &f).expect("valid");
        assert!(t.could_render("oven") && !t.could_render("oven-2"));
    }

    #[test]
    fn templates_reject_unknown_variables_and_stray_braces() {
        let f = filter("plant/+machine");
        let err = Template::parse("{line}", &f).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "`{line}` is not a variable of the topic filter (defined: machine)"
        );
        assert_eq!(Template::parse("{machine", &f), Err(TopicError::Unbalanced));
        assert_eq!(Template::parse("machine}", &f), Err(TopicError::Unbalanced));
        let err = Template::parse("{x}", &filter("a/b")).expect_err("no variables");
        assert!(err.to_string().contains("defined: none"), "{err}");
    }
}

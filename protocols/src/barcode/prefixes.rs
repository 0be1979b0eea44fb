//! The factory's own codes: a configured prefix announces what a scanned
//! code is (badge, production order, lot) and the rest is the code itself.
//!
//! Matching is by longest prefix so that overlapping prefixes ("P-" and
//! "PO-") do what the configuration says rather than what comes first.

use std::fmt;

/// The kinds of the factory's own codes a prefix can announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// A worker badge.
    Badge,
    /// A production order.
    Order,
    /// A material lot.
    Lot,
}

impl fmt::Display for CodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Badge => "badge",
            Self::Order => "production order",
            Self::Lot => "lot",
        })
    }
}

/// The configured prefixes, longest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct PrefixTable {
    entries: Vec<(String, CodeKind)>,
}

impl PrefixTable {
    /// A table of the given prefixes. The caller has checked that they are
    /// non-empty and distinct.
    pub(crate) fn new(prefixes: impl IntoIterator<Item = (String, CodeKind)>) -> Self {
        let mut entries: Vec<_> = prefixes.into_iter().collect();
        entries.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        Self { entries }
    }

    /// The kind announced by the longest prefix of `text`, with the prefix
    /// and the rest of the text.
    pub(crate) fn split<'a>(&self, text: &'a str) -> Option<(CodeKind, &'a str)> {
        self.entries
            .iter()
            .find_map(|(prefix, kind)| text.strip_prefix(prefix.as_str()).map(|rest| (*kind, rest)))
    }
}

//! List query parameters shared by every list route: paging, archived
//! records, site and the kind's own filters. An unknown parameter is an
//! error naming it, never silently ignored.

use super::ApiFailure;
use crate::store::RecordQuery;
use axum::http::StatusCode;
use serde::Serialize;
use std::collections::HashMap;

/// Default page size.
pub(crate) const DEFAULT_LIMIT: usize = 100;
/// Largest page size.
pub(crate) const MAX_LIMIT: usize = 1000;

/// One page of a list.
#[derive(Debug, Serialize)]
pub(crate) struct Page {
    /// The items.
    pub items: Vec<serde_json::Value>,
    /// The cursor for the next page (`after`), none on the last page.
    pub next: Option<String>,
}

/// Parsed list parameters.
#[derive(Debug)]
pub(crate) struct ListParams {
    /// The store query they make.
    pub query: RecordQuery,
}

fn bad(name: &str, message: impl Into<String>) -> ApiFailure {
    ApiFailure::new(StatusCode::BAD_REQUEST, "invalid_query", message).field(name)
}

/// A 400 naming query parameter `name`.
pub(crate) fn bad_query(name: &str, message: impl Into<String>) -> ApiFailure {
    bad(name, message)
}

/// Refuses the first (by name) parameter of `raw` not in `allowed`.
pub(crate) fn only(raw: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiFailure> {
    match raw.keys().filter(|k| !allowed.contains(&k.as_str())).min() {
        Some(name) => Err(bad(
            name,
            format!(
                "unknown query parameter `{name}`; this takes {}",
                allowed.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Reads `limit` (1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]).
pub(crate) fn limit(raw: Option<&String>) -> Result<usize, ApiFailure> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad("limit", format!("must be a whole number from 1 to {MAX_LIMIT}"))),
    }
}

impl ListParams {
    /// Reads `raw`, allowing the kind's `filters`.
    pub fn parse(
        mut raw: HashMap<String, String>,
        filters: &'static [&'static str],
    ) -> Result<Self, ApiFailure> {
        let limit = limit(raw.get("limit"))?;
        raw.remove("limit");
        let include_archived = match raw.remove("archived").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(bad("archived", "must be true or false")),
        };
        let after = raw.remove("after");
        let site = raw.remove("site");
        let mut equals = Vec::new();
        for field in filters {
            if let Some(value) = raw.remove(*field) {
                equals.push((*field, value));
            }
        }
        if let Some(name) = raw.keys().min() {
            let mut known = vec!["limit", "after", "archived", "site"];
            known.extend(filters);
            return Err(bad(
                name,
                format!(
                    "unknown query parameter `{name}`; this list takes {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(Self {
            query: RecordQuery {
                after,
                limit,
                include_archived,
                site,
                equals,
            },
        })
    }

    /// (name, description, schema) of every parameter, for the OpenAPI
    /// document: the ranges [`ListParams::parse`] enforces.
    pub fn documented(filters: &[&str]) -> Vec<(String, String, serde_json::Value)> {
        use serde_json::json;
        let mut params = vec![
            (
                "limit".to_string(),
                format!("page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"),
                json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
            ),
            (
                "after".to_string(),
                "the previous page's `next`".to_string(),
                json!({"type": "string"}),
            ),
            (
                "archived".to_string(),
                "true: include archived records".to_string(),
                json!({"type": "boolean", "default": false}),
            ),
            (
                "site".to_string(),
                "only records of this site".to_string(),
                json!({"type": "string"}),
            ),
        ];
        params.extend(filters.iter().map(|f| {
            (
                f.to_string(),
                format!("only records whose {f} equals this"),
                json!({"type": "string"}),
            )
        }));
        params
    }
}

/// Reads the date query parameter `name` (YYYY-MM-DD), if given.
pub(crate) fn date_param(
    raw: &HashMap<String, String>,
    name: &str,
) -> Result<Option<time::Date>, ApiFailure> {
    raw.get(name)
        .map(|v| mes_protocols::downlink::parse_date(v).map_err(|reason| bad_query(name, reason)))
        .transpose()
}

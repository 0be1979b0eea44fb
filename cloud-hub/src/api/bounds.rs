//! The bounds the API document gives a text field, enforced where a
//! request is parsed: a length outside them is 400 naming the field (the
//! document said so: a schema error), a blank name 422 naming it (the
//! document cannot say "not only spaces").

use super::ApiFailure;
use axum::http::StatusCode;

/// Longest login, display name, role, group or token name, characters.
pub(super) const NAME_MAX: usize = 100;

/// 400 naming `field` when `value` is outside the length the document
/// gives it (characters).
pub(super) fn length(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiFailure> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ApiFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("`{field}` must be {min} to {max} characters; it has {n}"),
        )
        .field(field));
    }
    Ok(())
}

/// A name (login, display name, role, group, token): longer than
/// [`NAME_MAX`] is 400 (the document's bound); empty or only spaces is
/// 422 naming the field.
pub(super) fn check_name(field: &str, name: &str) -> Result<(), ApiFailure> {
    length(field, name, 0, NAME_MAX)?;
    if name.trim().is_empty() {
        return Err(ApiFailure::invalid(field, format!("`{field}` must not be blank")));
    }
    Ok(())
}

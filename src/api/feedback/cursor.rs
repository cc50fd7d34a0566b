//! The opaque cursor of `GET /api/v1/feedback`: the last row's key in the listing's order. A
//! cursor names its order, so one taken from a `sort=updated_at` walk cannot be misread in the
//! default order (or the other way round).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;

use crate::api::error::ApiError;
use crate::api::params::bad;
use crate::repo::feedback::{Cursor, FeedbackRow, Sort};

/// `v1` is the cursor of the default order (newest submitted first), `u1` that of
/// `sort=updated_at` (incremental sync).
fn version(sort: Sort) -> &'static str {
    match sort {
        Sort::Submitted => "v1",
        Sort::Updated => "u1",
    }
}

/// The row's key in `sort`'s order.
pub fn key(row: &FeedbackRow, sort: Sort) -> Cursor {
    match sort {
        Sort::Submitted => (row.answer.submitted_at, row.id),
        Sort::Updated => (row.updated_at, row.id),
    }
}

pub fn encode(sort: Sort, (at, id): Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}:{}:{id}",
        version(sort),
        at.and_utc().timestamp()
    ))
}

pub fn decode(raw: &str, sort: Sort) -> Result<Cursor, ApiError> {
    let invalid = || bad("Parameter `cursor` is not a cursor this API returned.");
    let text = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = String::from_utf8(text).map_err(|_| invalid())?;
    let mut parts = text.split(':');
    let (Some(tag), Some(secs), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if tag != version(sort) {
        return Err(bad(
            "Parameter `cursor` belongs to another `sort`: pass the same `sort` as the request \
             that returned it.",
        ));
    }
    let at = secs
        .parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or_else(invalid)?;
    let id = id.parse::<i32>().map_err(|_| invalid())?;
    Ok((at.naive_utc(), id))
}

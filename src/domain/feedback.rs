//! Feedback responses: typed query parameters, the cursor, and the rules for new rows.
use chrono::{NaiveDate, NaiveDateTime, Timelike};

/// Timestamps are kept at whole seconds: SQLite stores them as text, and the (submitted_at, id)
/// cursor needs both backends to compare them identically.
pub fn whole_seconds(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond(0).unwrap_or(at)
}

/// Parses an RFC 3339 instant (converted to UTC) or a plain date (its midnight UTC).
pub fn parse_instant(raw: &str) -> Option<NaiveDateTime> {
    let raw = raw.trim();
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(whole_seconds(at.naive_utc()));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

//! Instants as the data API reads and compares them: whole seconds (both backends compare them
//! alike), parsing `since`/`until` (RFC 3339, a date, Unix seconds), and how long a change takes
//! to settle (`SETTLE`).
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike};

/// How long a change must have been committed before it is taken as settled. The database stamps
/// a row when it writes it (in whole seconds), but another transaction may commit an earlier
/// stamp later (an import takes a moment): `sort=updated_at` holds back the changes of the last
/// `SETTLE` so that a cursor handed out never passes a row still being saved, and `Last-Modified`
/// waits as long so that a date a client sends back still covers every change up to it.
pub const SETTLE: Duration = Duration::seconds(10);

/// Timestamps are kept at whole seconds: SQLite stores them as text, and the (submitted_at, id)
/// cursor needs both backends to compare them identically.
pub fn whole_seconds(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond(0).unwrap_or(at)
}

/// The first whole second at or after `at`.
pub fn round_up(at: NaiveDateTime) -> NaiveDateTime {
    if at.nanosecond() == 0 {
        at
    } else {
        whole_seconds(at) + Duration::seconds(1)
    }
}

/// Parses an RFC 3339 instant (converted to UTC), a plain date (its midnight UTC) or Unix
/// seconds (`1772355600`, `1772355600.25`), keeping any fraction of a second.
pub fn parse_instant(raw: &str) -> Option<NaiveDateTime> {
    let raw = raw.trim();
    // chrono also takes a space for the `T` and one-digit months; RFC 3339 does not.
    let strict =
        |at: usize, expected: &[u8]| raw.as_bytes().get(at).is_some_and(|b| expected.contains(b));
    if strict(10, b"Tt")
        && let Ok(at) = DateTime::parse_from_rfc3339(raw)
    {
        return Some(at.naive_utc());
    }
    if let Some(at) = unix_seconds(raw) {
        return Some(at);
    }
    if raw.len() != 10 || !strict(4, b"-") || !strict(7, b"-") {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// Non-negative Unix seconds with up to nine decimals (feedback is never older than 1970).
fn unix_seconds(raw: &str) -> Option<NaiveDateTime> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 12
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > 9
    {
        return None;
    }
    if raw.ends_with('.') {
        return None;
    }
    let nanos: u32 = format!("{fraction:0<9}").parse().ok()?;
    DateTime::from_timestamp(whole.parse().ok()?, nanos).map(|at| at.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn instants_in_every_accepted_spelling() {
        let cases = [
            ("2026-03-01T09:00:00Z", "2026-03-01 09:00:00"),
            ("2026-03-01T10:00:00.250+01:00", "2026-03-01 09:00:00.250"),
            ("2026-03-01", "2026-03-01 00:00:00"),
            ("1772355600", "2026-03-01 09:00:00"),
            ("1772355600.5", "2026-03-01 09:00:00.5"),
            ("0", "1970-01-01 00:00:00"),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_instant(raw), Some(at(expected)), "{raw}");
        }
        for raw in [
            "",
            "yesterday",
            "1772355600.",
            "17723x",
            "2026-13-01",
            "1.2.3",
            "-5",
        ] {
            assert_eq!(parse_instant(raw), None, "{raw}");
        }
    }

    #[test]
    fn fractions_round_up_to_the_next_whole_second() {
        assert_eq!(
            round_up(at("2026-03-01 09:00:00.001")),
            at("2026-03-01 09:00:01")
        );
        assert_eq!(
            round_up(at("2026-03-01 09:00:00")),
            at("2026-03-01 09:00:00")
        );
    }
}

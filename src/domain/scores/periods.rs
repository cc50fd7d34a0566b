//! Calendar periods (months, quarters) in a time zone, and the UTC instants they span.
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

use crate::error::AppError;
use crate::repo::feedback::Period;

/// More periods than this in one answer is almost certainly a mistaken `since`.
pub const MAX_PERIODS: usize = 1000;

/// One month or quarter in the summary's time zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// `2026-03` or `2026-Q1`.
    pub label: String,
    /// Its first day, and the first day after it (so `since=start&until=end` selects it).
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The same two as UTC instants (local midnights).
    pub utc_start: NaiveDateTime,
    pub utc_end: NaiveDateTime,
}

fn months(period: Period) -> u32 {
    match period {
        Period::Month => 1,
        Period::Quarter => 3,
    }
}

fn first_day(period: Period, day: NaiveDate) -> NaiveDate {
    let month0 = day.month0() - day.month0() % months(period);
    NaiveDate::from_ymd_opt(day.year(), month0 + 1, 1).unwrap_or(day)
}

fn label(period: Period, start: NaiveDate) -> String {
    match period {
        Period::Month => format!("{:04}-{:02}", start.year(), start.month()),
        Period::Quarter => format!("{:04}-Q{}", start.year(), start.month0() / 3 + 1),
    }
}

/// The UTC instant a local day begins at in `tz`: its midnight, or, where a clock change skips
/// midnight, the first local time that exists; of two (clocks going back), the earlier.
pub fn day_start(day: NaiveDate, tz: Tz) -> NaiveDateTime {
    let mut local = day.and_time(NaiveTime::MIN);
    for _ in 0..(24 * 4) {
        if let Some(at) = tz.from_local_datetime(&local).earliest() {
            return at.naive_utc();
        }
        local += Duration::minutes(15);
    }
    day.and_time(NaiveTime::MIN)
}

/// The local date of UTC instant `at` in `tz`.
pub fn local_day(at: NaiveDateTime, tz: Tz) -> NaiveDate {
    tz.from_utc_datetime(&at).date_naive()
}

/// Every period from the one holding `first` to the one holding `last` (UTC instants), in `tz`.
pub fn spans(
    period: Period,
    tz: Tz,
    first: NaiveDateTime,
    last: NaiveDateTime,
) -> Result<Vec<Span>, AppError> {
    let step = Months::new(months(period));
    let last_day = local_day(last, tz);
    let mut start = first_day(period, local_day(first, tz));
    let mut spans = Vec::new();
    while start <= last_day {
        if spans.len() == MAX_PERIODS {
            return Err(AppError::invalid(format!(
                "That range holds more than {MAX_PERIODS} periods; narrow `since` and `until`."
            )));
        }
        let Some(end) = start.checked_add_months(step) else {
            break;
        };
        spans.push(Span {
            label: label(period, start),
            start,
            end,
            utc_start: day_start(start, tz),
            utc_end: day_start(end, tz),
        });
        start = end;
    }
    Ok(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn months_in_a_zone_start_at_local_midnight() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 23:30 UTC on 31 January is already February in Paris.
        let spans = spans(
            Period::Month,
            paris,
            at("2026-01-31 23:30"),
            at("2026-03-31 21:59"),
        )
        .unwrap();
        let labels: Vec<&str> = spans.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["2026-02", "2026-03"]);
        assert_eq!(spans[0].utc_start, at("2026-01-31 23:00"));
        // Summer time starts on 29 March: April begins at 22:00 UTC.
        assert_eq!(spans[1].utc_end, at("2026-03-31 22:00"));
        assert_eq!(spans[1].end, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
    }

    #[test]
    fn quarters_and_a_midnight_that_does_not_exist() {
        let utc = spans(
            Period::Quarter,
            Tz::UTC,
            at("2025-12-31 23:59"),
            at("2026-04-01 00:00"),
        )
        .unwrap();
        let labels: Vec<&str> = utc.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["2025-Q4", "2026-Q1", "2026-Q2"]);
        // Santiago skips from 00:00 to 01:00 when summer time starts (6 September 2026).
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert_eq!(day_start(day, santiago), at("2026-09-06 04:00"));
    }

    #[test]
    fn too_many_periods_is_a_clear_error() {
        let error = spans(
            Period::Month,
            Tz::UTC,
            at("1900-01-01 00:00"),
            at("2026-01-01 00:00"),
        );
        assert!(matches!(error, Err(AppError::Invalid(m)) if m.contains("narrow")));
    }
}

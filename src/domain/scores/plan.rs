//! Exact counts over time segments: all time from the per-client totals, whole UTC days from the
//! daily rollups, the parts of days a segment's edges cut through from the responses themselves, so every answer equals counting the
//! responses one by one (`tests/api/scores_rollups.rs` checks it on random data).
use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::db::DbConn;
use crate::domain::nps::Counts;
use crate::repo::feedback::Filter;
use crate::repo::scores::{self, Slice, Split};

/// A half-open UTC range `[from, until)`; `None` leaves that end open.
pub type Segment = (Option<NaiveDateTime>, Option<NaiveDateTime>);

/// Counts keyed by (segment index, client id, survey); `0` and `""` where not split.
pub type Tally = HashMap<(usize, i32, String), Counts>;

/// A segment cut into whole days `[first, end)` and the partial days around them.
struct Pieces {
    days: Option<scores::Days>,
    partial: Vec<Segment>,
}

fn is_midnight(at: NaiveDateTime) -> bool {
    at.time() == NaiveTime::MIN
}

fn midnight(day: NaiveDate) -> NaiveDateTime {
    day.and_time(NaiveTime::MIN)
}

fn pieces((from, until): Segment) -> Pieces {
    let first = from.map(|f| {
        if is_midnight(f) {
            f.date()
        } else {
            f.date() + chrono::Days::new(1)
        }
    });
    let end = until.map(|u| u.date());
    if let (Some(first), Some(end)) = (first, end)
        && first >= end
    {
        // Within one or two partial days: no whole day in between.
        return Pieces {
            days: None,
            partial: vec![(from, until)],
        };
    }
    let mut partial = Vec::new();
    if let (Some(f), Some(first)) = (from, first)
        && !is_midnight(f)
    {
        partial.push((Some(f), Some(midnight(first))));
    }
    if let (Some(u), Some(end)) = (until, end)
        && !is_midnight(u)
    {
        partial.push((Some(midnight(end)), Some(u)));
    }
    Pieces {
        days: Some((first, end)),
        partial,
    }
}

fn add(tally: &mut Tally, segment: usize, (client, survey, counts): Slice) {
    *tally.entry((segment, client, survey)).or_default() += Counts::from_categories(counts);
}

/// Counts of `filter`'s responses in each of `segments` (sorted, not overlapping), split as
/// asked. A score filter cannot be read from the rollups: then every segment is counted raw.
pub fn count(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
    segments: &[Segment],
    split: Split,
) -> diesel::QueryResult<Tally> {
    let by_score = filter.min_score.is_some() || filter.max_score.is_some();
    let mut tally = Tally::new();
    let mut whole_days = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let (days, partial) = if by_score {
            (None, vec![*segment])
        } else {
            let pieces = pieces(*segment);
            (pieces.days, pieces.partial)
        };
        whole_days.extend(days.map(|days| (index, days)));
        for (from, until) in partial {
            let part = Filter {
                since: from,
                until,
                ..filter.clone()
            };
            for slice in scores::counted(conn, org_id, &part, split)? {
                add(&mut tally, index, slice);
            }
        }
    }
    if let [(index, (None, None))] = whole_days[..]
        && !split.survey
        && filter.survey.is_none()
    {
        // All time: the per-client totals (which know no surveys) hold it in a row per client.
        for slice in scores::all_time(conn, org_id, filter.client_id, split.client)? {
            add(&mut tally, index, slice);
        }
        return Ok(tally);
    }
    let days: Vec<scores::Days> = whole_days.iter().map(|(_, days)| *days).collect();
    if days.is_empty() {
        return Ok(tally);
    }
    // One query over every segment's whole days; a day in none of them (a partial day between
    // two segments, counted above) is left out.
    for (range, slice) in scores::whole_days(conn, org_id, filter, &days, split)? {
        if let Some((index, _)) = usize::try_from(range).ok().and_then(|r| whole_days.get(r)) {
            add(&mut tally, *index, slice);
        }
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M").unwrap()
    }

    fn day(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn midnights_need_no_raw_counting() {
        let p = pieces((Some(at("2026-01-01 00:00")), Some(at("2026-02-01 00:00"))));
        assert_eq!(
            p.days,
            Some((Some(day("2026-01-01")), Some(day("2026-02-01"))))
        );
        assert!(p.partial.is_empty());
        let open = pieces((None, None));
        assert_eq!(open.days, Some((None, None)));
    }

    #[test]
    fn cut_days_are_counted_raw() {
        let p = pieces((Some(at("2026-01-01 23:00")), Some(at("2026-01-31 23:00"))));
        assert_eq!(
            p.days,
            Some((Some(day("2026-01-02")), Some(day("2026-01-31"))))
        );
        assert_eq!(
            p.partial,
            [
                (Some(at("2026-01-01 23:00")), Some(at("2026-01-02 00:00"))),
                (Some(at("2026-01-31 00:00")), Some(at("2026-01-31 23:00"))),
            ]
        );
        let within = pieces((Some(at("2026-01-01 10:00")), Some(at("2026-01-02 10:00"))));
        assert_eq!(within.days, None);
        assert_eq!(within.partial.len(), 1);
    }
}

//! NPS summaries of an organisation's feedback: overall, and split by period (month or quarter,
//! in a time zone), client and survey, in any combination. Counts come from the daily rollups
//! plus the responses of the partial days a range cuts through (`plan`), so they are exact.
mod periods;
mod plan;

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;

use crate::db::DbConn;
use crate::domain::nps::Counts;
use crate::error::AppError;
use crate::repo::clients::{self, Client};
use crate::repo::feedback::{Filter, Period};
use crate::repo::scores::{self, Split};

pub use periods::{MAX_PERIODS, Span, day_start};
use plan::Segment;

/// How a summary is split: by at most one period, and by client and/or survey.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grouping {
    pub period: Option<Period>,
    pub client: bool,
    pub survey: bool,
}

/// One group of a summary: what it is about, and its counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub period: Option<Span>,
    /// Client id and name.
    pub client: Option<(i32, String)>,
    pub survey: Option<String>,
    pub counts: Counts,
}

pub struct Summary {
    pub overall: Counts,
    /// With a grouping. Split by period: every period from the first to the last of the range,
    /// empty ones with zero counts, for each client/survey with responses. Otherwise only groups
    /// with responses. Ordered by period, client name, survey.
    pub groups: Option<Vec<Group>>,
}

/// What a summary covers: the filter's responses, periods in `tz`, filled up to `now` when the
/// range has no end.
pub struct Request<'a> {
    pub filter: &'a Filter,
    pub grouping: Option<Grouping>,
    pub tz: Tz,
    pub now: NaiveDateTime,
}

/// The periods of the range, and the segment of the range each one covers.
fn periods(
    conn: &mut DbConn,
    org_id: i32,
    request: &Request,
    period: Period,
) -> Result<(Vec<Span>, Vec<Segment>), AppError> {
    let filter = request.filter;
    let extent = scores::extent(conn, org_id, filter)?;
    let Some(first) = filter.since.or(extent.map(|(first, _)| first)) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let last = match filter.until {
        Some(until) => until - Duration::nanoseconds(1),
        None => extent.map_or(request.now, |(_, last)| last.max(request.now)),
    };
    let spans = periods::spans(period, request.tz, first, last.max(first))?;
    let segments = spans
        .iter()
        .map(|span| {
            let from = filter
                .since
                .map_or(span.utc_start, |s| s.max(span.utc_start));
            let until = filter.until.map_or(span.utc_end, |u| u.min(span.utc_end));
            (Some(from), Some(until))
        })
        .collect();
    Ok((spans, segments))
}

pub fn summarise(conn: &mut DbConn, org_id: i32, request: &Request) -> Result<Summary, AppError> {
    let grouping = request.grouping.unwrap_or_default();
    let split = Split {
        client: grouping.client,
        survey: grouping.survey,
    };
    let (spans, segments) = match grouping.period {
        Some(period) => periods(conn, org_id, request, period)?,
        None => (
            Vec::new(),
            vec![(request.filter.since, request.filter.until)],
        ),
    };
    let tally = plan::count(conn, org_id, request.filter, &segments, split)?;
    let overall = tally.values().copied().sum();
    let groups = match request.grouping {
        None => None,
        Some(_) => Some(groups(conn, org_id, tally, spans, split)?),
    };
    Ok(Summary { overall, groups })
}

/// The tally as groups: every period × every client/survey seen, or only the groups seen.
fn groups(
    conn: &mut DbConn,
    org_id: i32,
    mut tally: plan::Tally,
    spans: Vec<Span>,
    split: Split,
) -> Result<Vec<Group>, AppError> {
    let names: HashMap<i32, String> = if split.client {
        clients::list(conn, org_id)?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    } else {
        HashMap::new()
    };
    let name = |id: i32| names.get(&id).cloned().unwrap_or_default();
    // Series in display order: client name (then id), then survey.
    let series: BTreeSet<(String, i32, String)> = tally
        .keys()
        .map(|(_, client, survey)| (name(*client), *client, survey.clone()))
        .collect();
    let periods: Vec<Option<Span>> = if spans.is_empty() {
        vec![None]
    } else {
        spans.into_iter().map(Some).collect()
    };
    let mut groups = Vec::new();
    for (index, period) in periods.into_iter().enumerate() {
        for (client_name, client, survey) in &series {
            let counts = tally
                .remove(&(index, *client, survey.clone()))
                .unwrap_or_default();
            groups.push(Group {
                period: period.clone(),
                client: split.client.then(|| (*client, client_name.clone())),
                survey: split.survey.then(|| survey.clone()),
                counts,
            });
        }
        if series.is_empty() && period.is_some() && !split.client && !split.survey {
            groups.push(Group {
                period,
                client: None,
                survey: None,
                counts: Counts::default(),
            });
        }
    }
    Ok(groups)
}

/// Counts over every response `filter` selects.
pub fn totals(conn: &mut DbConn, org_id: i32, filter: &Filter) -> Result<Counts, AppError> {
    let segment = [(filter.since, filter.until)];
    let tally = plan::count(conn, org_id, filter, &segment, Split::default())?;
    Ok(tally.into_values().next().unwrap_or_default())
}

/// Counts per UTC period that has responses, oldest first, labelled like `2026-03`.
pub fn by_period(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
    period: Period,
) -> Result<Vec<(String, Counts)>, AppError> {
    let request = Request {
        filter,
        grouping: Some(Grouping {
            period: Some(period),
            ..Grouping::default()
        }),
        tz: Tz::UTC,
        now: NaiveDateTime::MIN,
    };
    Ok(summarise(conn, org_id, &request)?
        .groups
        .unwrap_or_default()
        .into_iter()
        .filter(|g| g.counts.responses > 0)
        .filter_map(|g| Some((g.period?.label, g.counts)))
        .collect())
}

/// Every client of the organisation, by name, with the counts of its matching responses (all
/// time: one query over the per-client totals).
pub fn by_client(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
) -> Result<Vec<(Client, Counts)>, AppError> {
    let all_time = filter.since.is_none()
        && filter.until.is_none()
        && filter.client_id.is_none()
        && filter.min_score.is_none()
        && filter.max_score.is_none()
        && filter.survey.is_none();
    if all_time {
        return Ok(clients::list_with_totals(conn, org_id)?
            .into_iter()
            .map(|(client, totals)| {
                let (p, pa, d) = totals.unwrap_or_default();
                (
                    client,
                    Counts::from_categories((p.into(), pa.into(), d.into())),
                )
            })
            .collect());
    }
    let split = Split {
        client: true,
        survey: false,
    };
    let segment = [(filter.since, filter.until)];
    let mut counts: HashMap<i32, Counts> = plan::count(conn, org_id, filter, &segment, split)?
        .into_iter()
        .map(|((_, client, _), counts)| (client, counts))
        .collect();
    Ok(clients::list(conn, org_id)?
        .into_iter()
        .map(|client| {
            let counts = counts.remove(&client.id).unwrap_or_default();
            (client, counts)
        })
        .collect())
}

/// Recomputes the daily rollups from the responses (`pulse rebuild-rollups`).
pub fn rebuild_rollups(conn: &mut DbConn) -> Result<(), AppError> {
    Ok(scores::rebuild(conn)?)
}

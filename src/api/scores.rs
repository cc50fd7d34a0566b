//! `GET /api/v1/scores`: NPS with its category counts and shares, overall and split by period
//! (month or quarter, in a time zone), client and survey, in any combination.
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::bearer::Bearer;
use crate::api::conditional;
use crate::api::error::ApiError;
use crate::api::format::Score;
use crate::api::output::{self, Output, OutputQuery};
use crate::api::params::{self, RawFilter, bad};
use crate::domain::scores::{self, Group, Grouping, Request, Summary};
use crate::error::AppError;
use crate::repo::feedback::{Filter, Period};
use crate::spreadsheet::{self as csv, CsvOptions};
use crate::state::AppState;

/// The parameters of `GET /api/v1/scores`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoresQuery {
    /// Only responses submitted at or after this time: RFC 3339 (fractions of a second
    /// allowed), a date (its midnight in `tz`) or Unix seconds.
    #[param(value_type = Option<params::TimeText>, inline)]
    since: Option<String>,
    /// Only responses submitted before this time (same forms as `since`).
    #[param(value_type = Option<params::TimeText>, inline)]
    until: Option<String>,
    /// Only this client's responses (client id).
    #[param(value_type = Option<i32>, minimum = 1)]
    client: Option<String>,
    /// How to split the counts: one of `month`, `quarter`, `client`, `survey`, or several
    /// separated by commas with at most one period, e.g. `month,client`.
    #[param(value_type = Option<Vec<Dimension>>, style = Form, explode = false, inline)]
    group_by: Option<String>,
    /// The IANA time zone periods begin and end in, and dates in `since`/`until` are read in,
    /// e.g. `Europe/Paris` (default `UTC`).
    #[param(value_type = Option<String>, example = "Europe/Paris")]
    tz: Option<String>,
}

/// What `group_by` can split by.
#[derive(ToSchema, Clone, Copy, PartialEq, Eq)]
#[schema(rename_all = "lowercase")]
pub enum Dimension {
    Month,
    Quarter,
    Client,
    Survey,
}

impl Dimension {
    fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "month" => Some(Self::Month),
            "quarter" => Some(Self::Quarter),
            "client" => Some(Self::Client),
            "survey" => Some(Self::Survey),
            _ => None,
        }
    }
}

/// One group: a period (with its first day and the day after it), a client, a survey, or a
/// combination, as `group_by` asked.
#[derive(Serialize, ToSchema)]
pub struct ScoreGroup {
    /// The month (`2026-03`) or quarter (`2026-Q1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The period's first day, in `tz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_start: Option<NaiveDate>,
    /// The first day after the period: `since=period_start&until=period_end` selects it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_end: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survey: Option<String>,
    #[serde(flatten)]
    pub score: Score,
}

#[derive(Serialize, ToSchema)]
pub struct Scores {
    /// The time zone of the periods.
    pub tz: String,
    pub overall: Score,
    /// Present with `group_by`. With a period: every period from the first to the last of the
    /// range (from the first response, up to now, when `since`/`until` are not given), empty ones
    /// with zero counts and `nps: null`, for each client/survey that has responses. Without one:
    /// the clients/surveys that have responses. Ordered by period, client name, survey.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<ScoreGroup>>,
}

impl From<Group> for ScoreGroup {
    fn from(group: Group) -> Self {
        let (client_id, client_name) = group.client.unzip();
        Self {
            period_start: group.period.as_ref().map(|p| p.start),
            period_end: group.period.as_ref().map(|p| p.end),
            period: group.period.map(|p| p.label),
            client_id,
            client_name,
            survey: group.survey,
            score: group.counts.into(),
        }
    }
}

impl Scores {
    fn new(summary: Summary, tz: Tz) -> Self {
        Self {
            tz: tz.name().to_owned(),
            overall: summary.overall.into(),
            groups: summary
                .groups
                .map(|groups| groups.into_iter().map(ScoreGroup::from).collect()),
        }
    }
}

fn grouping(raw: Option<&str>) -> Result<Option<Grouping>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let mut grouping = Grouping::default();
    for name in raw.split(',') {
        let dimension = Dimension::parse(name).ok_or_else(|| {
            bad(
                "Parameter `group_by` must be `month`, `quarter`, `client`, `survey`, \
                 or several of them separated by commas, e.g. `month,client`.",
            )
        })?;
        let twice = match dimension {
            Dimension::Month => grouping.period.replace(Period::Month).is_some(),
            Dimension::Quarter => grouping.period.replace(Period::Quarter).is_some(),
            Dimension::Client => std::mem::replace(&mut grouping.client, true),
            Dimension::Survey => std::mem::replace(&mut grouping.survey, true),
        };
        if twice {
            return Err(bad(
                "Parameter `group_by` may name each of `client` and `survey` once, and one \
                 period (`month` or `quarter`).",
            ));
        }
    }
    Ok(Some(grouping))
}

fn time_zone(raw: Option<&str>) -> Result<Tz, ApiError> {
    raw.map_or(Ok(Tz::UTC), |raw| {
        raw.trim().parse().map_err(|_| {
            bad("Parameter `tz` must be an IANA time zone name, e.g. `Europe/Paris` or `UTC`.")
        })
    })
}

/// NPS, category counts and shares.
///
/// Overall, and split with `group_by` by month or quarter (in `tz`), client and survey, over an
/// optional time range.
#[utoipa::path(
    get,
    path = "/api/v1/scores",
    operation_id = "getScores",
    tag = "data",
    params(ScoresQuery, OutputQuery),
    responses(
        (status = 200, description = "NPS and counts", body = Scores,
         content((Scores = "application/json"), (String = "text/csv"))),
    )
)]
pub async fn show(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let parsed = output::query::<ScoresQuery>(&req).and_then(|(query, out)| {
        let tz = time_zone(query.tz.as_deref())?;
        let filter: Filter = RawFilter {
            since: query.since.as_deref(),
            until: query.until.as_deref(),
            client: query.client.as_deref(),
            tz: Some(tz),
            ..RawFilter::default()
        }
        .parse()?;
        Ok((filter, grouping(query.group_by.as_deref())?, tz, out))
    });
    let now = state.clock.now();
    let (caller, (scores, last_modified, grouping, out)) = bearer
        .run(&state, move |conn, caller| {
            let (filter, grouping, tz, out) = parsed?;
            let org = caller.organisation_id;
            let changed = crate::repo::feedback::last_change(conn, org, &filter)?;
            let request = Request {
                filter: &filter,
                grouping,
                tz,
                now,
            };
            let scores = Scores::new(scores::summarise(conn, org, &request)?, tz);
            // Periods of an open-ended range run up to now, so the answer changes with the
            // calendar as well as with the data: only the ETag can tell whether it is current.
            let follows_calendar =
                grouping.is_some_and(|g| g.period.is_some()) && filter.until.is_none();
            let last_modified = changed.filter(|_| !follows_calendar);
            Ok((scores, last_modified, grouping, out))
        })
        .await?;
    let (response, body) = match out {
        Output::Json => (output::json_response(), output::json(&scores)?),
        Output::Csv(options) => {
            let name = output::filename(&state, &caller, "scores");
            csv::whole(&name, options, scores_csv(&scores, grouping, options)?)
        }
    };
    Ok(conditional::answer(&req, response, body, last_modified))
}

/// One row per group (or a single overall row): the grouping's keys first, then the score.
fn scores_csv(
    scores: &Scores,
    grouping: Option<Grouping>,
    options: CsvOptions,
) -> Result<web::Bytes, AppError> {
    let (Some(groups), Some(grouping)) = (&scores.groups, grouping) else {
        return csv::encode(Some(&Score::CSV_HEADER), [scores.overall.csv_cells()]);
    };
    let mut header: Vec<&str> = Vec::new();
    if grouping.period.is_some() {
        header.extend(["period", "period_start", "period_end"]);
    }
    if grouping.client {
        header.extend(["client_id", "client_name"]);
    }
    if grouping.survey {
        header.push("survey");
    }
    header.extend(Score::CSV_HEADER);
    let text = |value: &Option<String>| options.text(value.as_deref().unwrap_or("")).into_owned();
    let day = |value: Option<NaiveDate>| value.map(|d| d.to_string()).unwrap_or_default();
    let rows = groups.iter().map(|g| {
        let mut row = Vec::new();
        if grouping.period.is_some() {
            row.extend([text(&g.period), day(g.period_start), day(g.period_end)]);
        }
        if grouping.client {
            let id = g.client_id.map(|id| id.to_string()).unwrap_or_default();
            row.extend([id, text(&g.client_name)]);
        }
        if grouping.survey {
            row.push(text(&g.survey));
        }
        row.extend(g.score.csv_cells());
        row
    });
    csv::encode(Some(&header), rows)
}

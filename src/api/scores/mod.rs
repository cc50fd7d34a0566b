//! `GET /api/v1/scores`: NPS with its category counts and shares, overall and split by period
//! (month or quarter, in a time zone), client and survey, in any combination; as JSON, or as
//! CSV from `GET /api/v1/scores.csv`.
mod csv;
mod model;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono_tz::Tz;
use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::api::answer::{self, Csv, Operation, Read, Streaming};
use crate::api::bearer::{ApiCaller, Bearer};
use crate::api::error::ApiError;
use crate::api::output::{self, CsvFile, CsvQuery, Output};
use crate::api::params::{self, Checked, RawFilter, bad, declared, list_of};
use crate::db::DbConn;
use crate::domain::scores::{self, Grouping, Request};
use crate::repo::feedback::{Filter, Period};
use crate::state::AppState;
pub use model::{ScoreGroup, Scores};

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
    /// Only this survey's responses (its exact name).
    #[param(value_type = Option<String>, min_length = 1, max_length = 2000)]
    survey: Option<String>,
    /// How to split the counts: one of `month`, `quarter`, `client`, `survey`, or several
    /// separated by commas with at most one period, e.g. `month,client` (`month,quarter` is
    /// refused with 400).
    #[param(value_type = Option<GroupBy>, style = Form, explode = false, inline)]
    group_by: Option<String>,
    /// The IANA time zone periods begin and end in, and dates in `since`/`until` are read in,
    /// e.g. `Europe/Paris` (default `UTC`).
    #[param(value_type = Option<String>, example = "Europe/Paris")]
    tz: Option<String>,
}

/// What `group_by` can split by.
#[derive(ToSchema, Clone, Copy, PartialEq, Eq)]
#[schema(as = ScoreDimension, rename_all = "lowercase")]
pub enum Dimension {
    Month,
    Quarter,
    Client,
    Survey,
}

/// The type of `group_by` in the API description: one to three distinct dimensions.
pub struct GroupBy;

impl PartialSchema for GroupBy {
    fn schema() -> RefOr<Schema> {
        list_of::<Dimension>(3)
    }
}

impl ToSchema for GroupBy {}

impl Dimension {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "month" => Some(Self::Month),
            "quarter" => Some(Self::Quarter),
            "client" => Some(Self::Client),
            "survey" => Some(Self::Survey),
            _ => None,
        }
    }
}

fn grouping(raw: Option<&str>) -> Result<Option<Grouping>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let dimensions = params::items(
        raw,
        Dimension::parse,
        "Parameter `group_by` must be `month`, `quarter`, `client`, `survey`, or several of \
         them separated by commas, each once, e.g. `month,client`.",
    )?;
    let mut grouping = Grouping::default();
    for dimension in dimensions {
        let period = match dimension {
            Dimension::Month => Period::Month,
            Dimension::Quarter => Period::Quarter,
            Dimension::Client => {
                grouping.client = true;
                continue;
            }
            Dimension::Survey => {
                grouping.survey = true;
                continue;
            }
        };
        if grouping.period.replace(period).is_some() {
            return Err(bad(
                "Parameter `group_by` may name one period (`month` or `quarter`), not both.",
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

/// What a scores request asks for, read from its query string.
struct Asked {
    filter: Filter,
    grouping: Option<Grouping>,
    tz: Tz,
}

fn asked(query: &Checked) -> Result<Asked, ApiError> {
    let query: ScoresQuery = query.read()?;
    let tz = time_zone(query.tz.as_deref())?;
    let filter = RawFilter {
        since: query.since.as_deref(),
        until: query.until.as_deref(),
        client: query.client.as_deref(),
        survey: query.survey.as_deref(),
        tz: Some(tz),
        ..RawFilter::default()
    }
    .parse()?;
    let grouping = grouping(query.group_by.as_deref())?;
    Ok(Asked {
        filter,
        grouping,
        tz,
    })
}

/// NPS, category counts and shares.
///
/// Overall, and split with `group_by` by month or quarter (in `tz`), client and survey, over an
/// optional time range, client and survey. (`format=csv` or `Accept: text/csv` still gives CSV
/// here, for tools set up before `exportScoresCsv`.)
#[utoipa::path(
    get,
    path = "/api/v1/scores",
    operation_id = "getScores",
    tag = "data",
    params(ScoresQuery),
    responses(
        (status = 200, description = "NPS and counts", body = Scores,
         content_type = "application/json"),
    )
)]
pub async fn show(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let parsed = output::negotiate(&req, declared::<ScoresQuery>())
        .and_then(|(query, out)| Ok((asked(&query)?, out)));
    answer(bearer, req, state, parsed).await
}

/// NPS, category counts and shares as CSV.
///
/// One row per group of `getScores` (the grouping's columns first), or one overall row.
#[utoipa::path(
    get,
    path = "/api/v1/scores.csv",
    operation_id = "exportScoresCsv",
    tag = "data",
    params(ScoresQuery, CsvQuery),
    responses(
        (status = 200, description = "NPS and counts, as CSV", body = inline(CsvFile),
         content_type = "text/csv"),
    )
)]
pub async fn export(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let parsed = output::csv(&req, declared::<ScoresQuery>())
        .and_then(|(query, options)| Ok((asked(&query)?, Output::Csv(options))));
    answer(bearer, req, state, parsed).await
}

/// The operation's shared tail (`api::answer`), with the grouping the CSV columns follow.
async fn answer(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
    parsed: Result<(Asked, Output), ApiError>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let grouping = parsed.as_ref().ok().and_then(|(asked, _)| asked.grouping);
    let operation = Operation {
        parsed,
        read: move |conn: &mut DbConn, caller: &ApiCaller, asked: Asked| {
            let Asked {
                filter,
                grouping,
                tz,
            } = asked;
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
            Ok(Read {
                value: scores,
                last_modified: changed.filter(|_| !follows_calendar),
            })
        },
        json: answer::json,
        csv_name: "scores",
        csv: move |scores: Scores, options, _: Streaming| {
            Ok(Csv::Whole(csv::scores_csv(&scores, grouping, options)?))
        },
    };
    answer::serve(bearer, req, state, operation).await
}

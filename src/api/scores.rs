//! `GET /api/v1/scores`: NPS with its category counts, overall and per month, quarter or client.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::api::bearer::ApiCaller;
use crate::api::conditional;
use crate::api::error::ApiError;
use crate::api::format::Score;
use crate::api::output::{self, Output, OutputQuery};
use crate::api::params::{self, RawFilter, bad};
use crate::domain::scores::{self, GroupKey, Grouping, Summary};
use crate::error::AppError;
use crate::repo::feedback::Period;
use crate::spreadsheet::{self as csv, CsvOptions};
use crate::state::AppState;

/// The parameters of `GET /api/v1/scores`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoresQuery {
    /// Only responses submitted at or after this time: RFC 3339 (fractions of a second
    /// allowed), a date (midnight UTC) or Unix seconds.
    #[param(value_type = Option<params::TimeText>, inline)]
    since: Option<String>,
    /// Only responses submitted before this time (same forms as `since`).
    #[param(value_type = Option<params::TimeText>, inline)]
    until: Option<String>,
    /// Only this client's responses (client id).
    #[param(value_type = Option<i32>, minimum = 1)]
    client: Option<String>,
    /// `month`, `quarter` or `client`.
    #[param(value_type = Option<GroupBy>, inline)]
    group_by: Option<String>,
}

/// The values of `group_by` in the API description; `grouping` reads the parameter.
struct GroupBy;

impl utoipa::PartialSchema for GroupBy {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(["month", "quarter", "client"]))
            .into()
    }
}

impl utoipa::ToSchema for GroupBy {}

/// One group of `group_by`: a period (`2026-03`, `2026-Q1`) or a client.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScoreGroup {
    /// The month or quarter (`group_by=month|quarter`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The client (`group_by=client`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(flatten)]
    pub score: Score,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Scores {
    pub overall: Score,
    /// Present with `group_by`: periods oldest first, or clients by name; only groups with
    /// responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<ScoreGroup>>,
}

impl From<Summary> for Scores {
    fn from(summary: Summary) -> Self {
        let group = |(key, counts)| {
            let (period, client_id, client_name) = match key {
                GroupKey::Period(label) => (Some(label), None, None),
                GroupKey::Client { id, name } => (None, Some(id), Some(name)),
            };
            ScoreGroup {
                period,
                client_id,
                client_name,
                score: Score::from(counts),
            }
        };
        Self {
            overall: summary.overall.into(),
            groups: summary
                .groups
                .map(|groups| groups.into_iter().map(group).collect()),
        }
    }
}

fn grouping(raw: Option<&str>) -> Result<Option<Grouping>, ApiError> {
    match raw {
        None => Ok(None),
        Some("month") => Ok(Some(Grouping::Period(Period::Month))),
        Some("quarter") => Ok(Some(Grouping::Period(Period::Quarter))),
        Some("client") => Ok(Some(Grouping::Client)),
        Some(_) => Err(bad(
            "Parameter `group_by` must be `month`, `quarter` or `client`.",
        )),
    }
}

/// NPS and category counts.
///
/// Overall, and per month, quarter or client with `group_by`, over an optional time range.
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
    caller: ApiCaller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (query, out): (ScoresQuery, OutputQuery) = params::query(&req)?;
    let out = out.parse(&req)?;
    let filter = RawFilter {
        since: query.since.as_deref(),
        until: query.until.as_deref(),
        client: query.client.as_deref(),
        ..RawFilter::default()
    }
    .parse()?;
    let grouping = grouping(query.group_by.as_deref())?;
    let org = caller.organisation_id;
    let (summary, last_modified) = state
        .db
        .run(move |conn| {
            let changed = crate::repo::feedback::last_change(conn, org, &filter)?;
            Ok((scores::summarise(conn, org, &filter, grouping)?, changed))
        })
        .await?;
    let scores = Scores::from(summary);
    let (response, body) = match out {
        Output::Json => (output::json_response(), output::json(&scores)?),
        Output::Csv(options) => {
            let name = output::filename(&state, org, "scores").await?;
            csv::whole(&name, options, scores_csv(&scores, options)?)
        }
    };
    Ok(conditional::answer(&req, response, body, last_modified))
}

/// One row per group (or a single overall row), the grouping key first.
fn scores_csv(scores: &Scores, options: CsvOptions) -> Result<web::Bytes, AppError> {
    let Some(groups) = &scores.groups else {
        return csv::encode(Some(&Score::CSV_HEADER), [scores.overall.csv_cells()]);
    };
    let by_client = groups.iter().any(|g| g.client_id.is_some());
    let keys: &[&str] = if by_client {
        &["client_id", "client_name"]
    } else {
        &["period"]
    };
    let header: Vec<&str> = keys
        .iter()
        .chain(Score::CSV_HEADER.iter())
        .copied()
        .collect();
    let rows = groups.iter().map(|g| {
        let mut row: Vec<String> = match (&g.period, g.client_id, &g.client_name) {
            (Some(period), _, _) => vec![period.clone()],
            (None, id, name) => vec![
                id.map(|i| i.to_string()).unwrap_or_default(),
                options.text(name.as_deref().unwrap_or("")).into_owned(),
            ],
        };
        row.extend(g.score.csv_cells());
        row
    });
    csv::encode(Some(&header), rows)
}

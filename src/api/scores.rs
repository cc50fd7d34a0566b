//! `GET /api/v1/scores`: NPS with its category counts, overall and per month, quarter or client.
use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::api::bearer::ApiCaller;
use crate::api::csv;
use crate::api::error::ApiError;
use crate::api::params::{Params, bad};
use crate::domain::AppError;
use crate::domain::nps::Counts;
use crate::repo::clients;
use crate::repo::feedback::{self, Period};
use crate::startup::AppState;

const PARAMS: &[&str] = &["since", "until", "client", "group_by", "format"];

/// Counts of responses by category and the NPS they give.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Score {
    pub responses: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
    /// % promoters − % detractors, −100 to 100, one decimal place rounded half away from zero;
    /// `null` when there are no responses.
    pub nps: Option<f64>,
}

impl From<Counts> for Score {
    fn from(c: Counts) -> Self {
        Self {
            responses: c.responses,
            promoters: c.promoters,
            passives: c.passives,
            detractors: c.detractors,
            nps: c.nps(),
        }
    }
}

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

enum GroupBy {
    Period(Period),
    Client,
}

/// NPS and category counts.
///
/// Overall, and per month, quarter or client with `group_by`, over an optional time range.
#[utoipa::path(
    get,
    path = "/api/v1/scores",
    tag = "data",
    params(
        ("since" = Option<String>, Query, description = "Only responses at or after this RFC 3339 time or date."),
        ("until" = Option<String>, Query, description = "Only responses before this RFC 3339 time or date."),
        ("client" = Option<i32>, Query, description = "Only this client's responses (client id)."),
        ("group_by" = Option<String>, Query, description = "`month`, `quarter` or `client`."),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv` (the groups, or the overall row)."),
    ),
    responses(
        (status = 200, description = "NPS and counts", body = Scores,
         content((Scores = "application/json"), (String = "text/csv"))),
        crate::api::error::DataErrors,
    ),
    security(("bearer" = []))
)]
pub async fn show(
    caller: ApiCaller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(&req, PARAMS)?;
    let filter = params.filter()?;
    let group_by = match params.get("group_by") {
        None => None,
        Some("month") => Some(GroupBy::Period(Period::Month)),
        Some("quarter") => Some(GroupBy::Period(Period::Quarter)),
        Some("client") => Some(GroupBy::Client),
        Some(_) => {
            return Err(bad(
                "Parameter `group_by` must be `month`, `quarter` or `client`.",
            ));
        }
    };
    let wants_csv = params.wants_csv(&req)?;
    let org = caller.organisation_id;
    let scores = state
        .db
        .run(move |conn| {
            let overall = feedback::totals(conn, org, &filter)?.into();
            let groups = match group_by {
                None => None,
                Some(GroupBy::Period(period)) => Some(
                    feedback::by_period(conn, org, &filter, period)?
                        .into_iter()
                        .map(|(label, counts)| ScoreGroup {
                            period: Some(label),
                            client_id: None,
                            client_name: None,
                            score: counts.into(),
                        })
                        .collect(),
                ),
                Some(GroupBy::Client) => {
                    let mut counts: HashMap<i32, Counts> = feedback::by_client(conn, org, &filter)?
                        .into_iter()
                        .collect();
                    Some(
                        clients::list(conn, org)?
                            .into_iter()
                            .filter_map(|client| {
                                counts.remove(&client.id).map(|c| ScoreGroup {
                                    period: None,
                                    client_id: Some(client.id),
                                    client_name: Some(client.name),
                                    score: c.into(),
                                })
                            })
                            .collect(),
                    )
                }
            };
            Ok::<_, AppError>(Scores { overall, groups })
        })
        .await?;
    if wants_csv {
        return Ok(csv::whole("scores.csv", scores_csv(&scores)?));
    }
    Ok(HttpResponse::Ok().json(scores))
}

fn score_cells(s: &Score) -> [String; 5] {
    [
        s.responses.to_string(),
        s.promoters.to_string(),
        s.passives.to_string(),
        s.detractors.to_string(),
        s.nps.map(|n| format!("{n:.1}")).unwrap_or_default(),
    ]
}

/// One row per group (or a single overall row), the grouping key first.
fn scores_csv(scores: &Scores) -> Result<web::Bytes, ApiError> {
    const COUNTS: [&str; 5] = ["responses", "promoters", "passives", "detractors", "nps"];
    let Some(groups) = &scores.groups else {
        return csv::encode(Some(&COUNTS), [score_cells(&scores.overall)]);
    };
    let by_client = groups.iter().any(|g| g.client_id.is_some());
    let keys: &[&str] = if by_client {
        &["client_id", "client_name"]
    } else {
        &["period"]
    };
    let header: Vec<&str> = keys.iter().chain(COUNTS.iter()).copied().collect();
    let rows = groups.iter().map(|g| {
        let mut row: Vec<String> = match (&g.period, g.client_id, &g.client_name) {
            (Some(period), _, _) => vec![period.clone()],
            (None, id, name) => vec![
                id.map(|i| i.to_string()).unwrap_or_default(),
                csv::text(name.as_deref().unwrap_or("")).into_owned(),
            ],
        };
        row.extend(score_cells(&g.score));
        row
    });
    csv::encode(Some(&header), rows)
}

//! `GET /api/v1/clients`: the organisation's clients with their response count and NPS.
use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::api::bearer::ApiCaller;
use crate::api::csv;
use crate::api::error::ApiError;
use crate::api::feedback::rfc3339;
use crate::api::params::Params;
use crate::api::scores::Score;
use crate::domain::AppError;
use crate::domain::nps::Counts;
use crate::repo::clients;
use crate::repo::feedback::{self, Filter};
use crate::startup::AppState;

const PARAMS: &[&str] = &["format"];

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientItem {
    pub id: i32,
    pub name: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// All-time counts and NPS of the client's responses.
    #[serde(flatten)]
    pub score: Score,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientList {
    /// Every client of the organisation, by name.
    pub data: Vec<ClientItem>,
}

/// The organisation's clients.
///
/// Each with its all-time response count, category counts and NPS.
#[utoipa::path(
    get,
    path = "/api/v1/clients",
    tag = "data",
    params(
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`; `Accept: text/csv` also selects CSV."),
    ),
    responses(
        (status = 200, description = "The organisation's clients", body = ClientList,
         content((ClientList = "application/json"), (String = "text/csv"))),
        crate::api::error::DataErrors,
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: ApiCaller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(&req, PARAMS)?;
    let wants_csv = params.wants_csv(&req)?;
    let org = caller.organisation_id;
    let data: Vec<ClientItem> = state
        .db
        .run(move |conn| {
            let counts: HashMap<i32, Counts> = feedback::by_client(conn, org, &Filter::default())?
                .into_iter()
                .collect();
            let list = clients::list(conn, org)?;
            Ok::<_, AppError>(
                list.into_iter()
                    .map(|c| ClientItem {
                        score: counts.get(&c.id).copied().unwrap_or_default().into(),
                        id: c.id,
                        name: c.name,
                        created_at: rfc3339(c.created_at),
                    })
                    .collect(),
            )
        })
        .await?;
    if !wants_csv {
        return Ok(HttpResponse::Ok().json(ClientList { data }));
    }
    let header = [
        "id",
        "name",
        "created_at",
        "responses",
        "promoters",
        "passives",
        "detractors",
        "nps",
    ];
    let rows = data.iter().map(|c| {
        [
            c.id.to_string(),
            csv::text(&c.name).into_owned(),
            c.created_at.clone(),
            c.score.responses.to_string(),
            c.score.promoters.to_string(),
            c.score.passives.to_string(),
            c.score.detractors.to_string(),
            c.score.nps.map(|n| format!("{n:.1}")).unwrap_or_default(),
        ]
    });
    Ok(csv::whole("clients.csv", csv::encode(Some(&header), rows)?))
}

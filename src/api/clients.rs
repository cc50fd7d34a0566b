//! `GET /api/v1/clients`: the organisation's clients with their response count and NPS.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::api::bearer::ApiCaller;
use crate::api::csv;
use crate::api::error::ApiError;
use crate::api::format::{Score, rfc3339};
use crate::api::params;
use crate::domain::scores;
use crate::repo::feedback::Filter;
use crate::state::AppState;

/// The parameters of `GET /api/v1/clients`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientsQuery {
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    format: Option<String>,
}

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
    params(ClientsQuery),
    responses(
        (status = 200, description = "The organisation's clients", body = ClientList,
         content((ClientList = "application/json"), (String = "text/csv"))),
    )
)]
pub async fn list(
    caller: ApiCaller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: ClientsQuery = params::query(&req)?;
    let wants_csv = params::wants_csv(query.format.as_deref(), &req)?;
    let org = caller.organisation_id;
    let data: Vec<ClientItem> = state
        .db
        .run(move |conn| scores::by_client(conn, org, &Filter::default()))
        .await?
        .into_iter()
        .map(|(client, counts)| ClientItem {
            id: client.id,
            name: client.name,
            created_at: rfc3339(client.created_at),
            score: counts.into(),
        })
        .collect();
    if !wants_csv {
        return Ok(HttpResponse::Ok().json(ClientList { data }));
    }
    let header: Vec<&str> = ["id", "name", "created_at"]
        .into_iter()
        .chain(Score::CSV_HEADER)
        .collect();
    let rows = data.iter().map(|c| {
        let mut row = vec![
            c.id.to_string(),
            csv::text(&c.name).into_owned(),
            c.created_at.clone(),
        ];
        row.extend(c.score.csv_cells());
        row
    });
    Ok(csv::whole("clients.csv", csv::encode(Some(&header), rows)?))
}

//! `GET /api/v1/clients`: the organisation's clients with their response count and NPS.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::api::answer::{self, Csv, Json, Operation, Read, Streaming};
use crate::api::bearer::{ApiCaller, Bearer};
use crate::api::error::ApiError;
use crate::api::format::{Score, rfc3339};
use crate::api::output::{self, CsvFile, CsvQuery, Output};
use crate::api::params::declared;
use crate::db::DbConn;
use crate::domain::scores;
use crate::error::AppError;
use crate::repo::feedback::{self, Filter};
use crate::spreadsheet as csv;
use crate::state::AppState;

/// `GET /api/v1/clients` has no parameters of its own.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientsQuery {}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientItem {
    #[schema(minimum = 1)]
    pub id: i32,
    pub name: String,
    /// RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
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
/// Each with its all-time response count, category counts and NPS. (`format=csv` or
/// `Accept: text/csv` still gives CSV here, for tools set up before `exportClientsCsv`.)
#[utoipa::path(
    get,
    path = "/api/v1/clients",
    operation_id = "listClients",
    tag = "data",
    params(ClientsQuery),
    responses(
        (status = 200, description = "The organisation's clients", body = ClientList,
         content_type = "application/json"),
    )
)]
pub async fn list(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let parsed = output::negotiate(&req, declared::<ClientsQuery>()).map(|(_, out)| ((), out));
    answer::serve(bearer, req, state, operation(parsed)).await
}

/// The organisation's clients as CSV.
///
/// The columns of `listClients`, one row per client.
#[utoipa::path(
    get,
    path = "/api/v1/clients.csv",
    operation_id = "exportClientsCsv",
    tag = "data",
    params(ClientsQuery, CsvQuery),
    responses(
        (status = 200, description = "The organisation's clients, as CSV", body = inline(CsvFile),
         content_type = "text/csv"),
    )
)]
pub async fn export(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let parsed = output::csv(&req, declared::<ClientsQuery>()).map(|(_, o)| ((), Output::Csv(o)));
    answer::serve(bearer, req, state, operation(parsed)).await
}

type Query = fn(&mut DbConn, &ApiCaller, ()) -> Result<Read<ClientList>, ApiError>;
type JsonWriter = fn(ClientList) -> Result<Json, ApiError>;
type CsvWriter = fn(ClientList, csv::CsvOptions, Streaming) -> Result<Csv, AppError>;

fn operation(
    parsed: Result<((), Output), ApiError>,
) -> Operation<(), Query, JsonWriter, CsvWriter> {
    Operation {
        parsed,
        read,
        json: answer::json,
        csv_name: "clients",
        csv: |list, options, _| Ok(Csv::Whole(clients_csv(&list.data, options)?)),
    }
}

fn read(conn: &mut DbConn, caller: &ApiCaller, (): ()) -> Result<Read<ClientList>, ApiError> {
    let org = caller.organisation_id;
    let all = Filter::default();
    let changed = feedback::last_change(conn, org, &all)?;
    let clients = scores::by_client(conn, org, &all)?;
    let created = clients.iter().map(|(client, _)| client.created_at).max();
    let data = clients
        .into_iter()
        .map(|(client, counts)| ClientItem {
            id: client.id,
            name: client.name,
            created_at: rfc3339(client.created_at),
            score: counts.into(),
        })
        .collect();
    Ok(Read {
        value: ClientList { data },
        last_modified: changed.max(created),
    })
}

fn clients_csv(data: &[ClientItem], options: csv::CsvOptions) -> Result<web::Bytes, AppError> {
    let header: Vec<&str> = ["id", "name", "created_at"]
        .into_iter()
        .chain(Score::CSV_HEADER)
        .collect();
    let rows = data.iter().map(|c| {
        let mut row = vec![
            c.id.to_string(),
            options.text(&c.name).into_owned(),
            c.created_at.clone(),
        ];
        row.extend(c.score.csv_cells());
        row
    });
    csv::encode(Some(&header), rows)
}

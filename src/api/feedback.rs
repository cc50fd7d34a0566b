//! `GET /api/v1/feedback`: the organisation's responses, newest first, cursor-paginated; or all
//! of them as one streamed CSV.
use actix_web::{HttpRequest, HttpResponse, web};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use futures_util::stream;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::api::bearer::ApiCaller;
use crate::api::csv;
use crate::api::error::ApiError;
use crate::api::format::{category, rfc3339};
use crate::api::params::{self, RawFilter, bad};
use crate::error::AppError;
use crate::repo::feedback::{self, Cursor, FeedbackRow, Filter};
use crate::state::AppState;

/// The parameters of `GET /api/v1/feedback`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    /// Only responses submitted at or after this RFC 3339 time or date (midnight UTC).
    since: Option<String>,
    /// Only responses submitted before this RFC 3339 time or date.
    until: Option<String>,
    /// Only this client's responses (client id).
    #[param(value_type = Option<i32>)]
    client: Option<String>,
    /// Lowest score, 0–10.
    #[param(value_type = Option<i32>)]
    min_score: Option<String>,
    /// Highest score, 0–10.
    #[param(value_type = Option<i32>)]
    max_score: Option<String>,
    /// Page size, 1–1000 (default 100). Ignored for CSV, which streams every matching row.
    #[param(value_type = Option<i32>)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    format: Option<String>,
}

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;
/// Rows fetched per database round trip while streaming CSV: bounded memory for any export.
const CSV_CHUNK: i64 = 5000;

/// One feedback response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedbackItem {
    pub id: i32,
    pub client_id: i32,
    pub client_name: String,
    pub respondent_name: String,
    pub respondent_email: String,
    /// 0–10.
    pub score: i32,
    /// `promoter` (9–10), `passive` (7–8) or `detractor` (0–6).
    pub category: &'static str,
    pub comment: Option<String>,
    /// The survey or round the response belongs to.
    pub survey: String,
    /// RFC 3339, UTC.
    pub submitted_at: String,
}

/// A page of responses, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedbackPage {
    pub data: Vec<FeedbackItem>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<FeedbackRow> for FeedbackItem {
    fn from(row: FeedbackRow) -> Self {
        Self {
            id: row.id,
            client_id: row.client_id,
            client_name: row.client_name,
            respondent_name: row.respondent_name,
            respondent_email: row.respondent_email,
            score: row.score,
            category: category(row.score),
            comment: row.comment,
            survey: row.survey,
            submitted_at: rfc3339(row.submitted_at),
        }
    }
}

/// The cursor is opaque to clients; inside it is the last row's (submitted_at, id).
fn encode_cursor((at, id): Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{}:{id}", at.and_utc().timestamp()))
}

fn decode_cursor(raw: &str) -> Result<Cursor, ApiError> {
    let invalid = || bad("Parameter `cursor` is not a cursor this API returned.");
    let text = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = String::from_utf8(text).map_err(|_| invalid())?;
    let mut parts = text.split(':');
    let (Some("v1"), Some(secs), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let at = secs
        .parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or_else(invalid)?;
    let id = id.parse::<i32>().map_err(|_| invalid())?;
    Ok((at.naive_utc(), id))
}

const CSV_HEADER: [&str; 10] = [
    "id",
    "submitted_at",
    "client_id",
    "client_name",
    "respondent_name",
    "respondent_email",
    "score",
    "category",
    "comment",
    "survey",
];

fn csv_record(row: &FeedbackRow) -> [String; 10] {
    [
        row.id.to_string(),
        rfc3339(row.submitted_at),
        row.client_id.to_string(),
        csv::text(&row.client_name).into_owned(),
        csv::text(&row.respondent_name).into_owned(),
        csv::text(&row.respondent_email).into_owned(),
        row.score.to_string(),
        category(row.score).to_owned(),
        csv::text(row.comment.as_deref().unwrap_or("")).into_owned(),
        csv::text(&row.survey).into_owned(),
    ]
}

/// Feedback responses, newest first.
///
/// Filter by time, client and score; page with `limit` and `cursor`, or stream all as CSV.
#[utoipa::path(
    get,
    path = "/api/v1/feedback",
    tag = "data",
    params(FeedbackQuery),
    responses(
        (status = 200, description = "A page of responses, newest first", body = FeedbackPage,
         content((FeedbackPage = "application/json"), (String = "text/csv"))),
    )
)]
pub async fn list(
    caller: ApiCaller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: FeedbackQuery = params::query(&req)?;
    let filter = RawFilter {
        since: query.since.as_deref(),
        until: query.until.as_deref(),
        client: query.client.as_deref(),
        min_score: query.min_score.as_deref(),
        max_score: query.max_score.as_deref(),
        tz: None,
    }
    .parse()?;
    let limit =
        params::int("limit", query.limit.as_deref(), 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
    let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let org = caller.organisation_id;
    if params::wants_csv(query.format.as_deref(), &req)? {
        return Ok(csv::streamed(
            "feedback.csv",
            export(state, org, filter, cursor),
        ));
    }
    let mut rows = state
        .db
        .run(move |conn| Ok(feedback::page(conn, org, &filter, cursor, limit + 1)?))
        .await?;
    // One row beyond the page tells whether another page exists.
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor((r.submitted_at, r.id)))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(FeedbackPage {
        data: rows.into_iter().map(FeedbackItem::from).collect(),
        next_cursor,
    }))
}

/// Every matching row as CSV, read from the database a chunk at a time while the client
/// downloads, so an export of millions of rows holds only a chunk or two in memory. The next
/// chunk is read while this one is encoded and sent (the database on a blocking thread, the CSV
/// on the worker), which keeps the export close to the database's own speed.
fn export(
    state: web::Data<AppState>,
    org: i32,
    filter: Filter,
    start: Option<Cursor>,
) -> impl futures_util::Stream<Item = Result<web::Bytes, ApiError>> {
    let read = move |cursor: Option<Cursor>| {
        let (state, filter) = (state.clone(), filter.clone());
        actix_web::rt::spawn(async move {
            state
                .db
                .run(move |conn| Ok(feedback::page(conn, org, &filter, cursor, CSV_CHUNK)?))
                .await
        })
    };
    // (the chunk being read, header written yet); no chunk being read means the end.
    stream::try_unfold((Some(read(start)), false), move |(reading, started)| {
        let read = read.clone();
        async move {
            let Some(reading) = reading else {
                return Ok(None);
            };
            let rows = reading
                .await
                .context("reading a chunk of the export")
                .map_err(AppError::from)??;
            let more = rows.len() as i64 == CSV_CHUNK;
            let next = more.then(|| read(rows.last().map(|r| (r.submitted_at, r.id))));
            let header = (!started).then_some(&CSV_HEADER[..]);
            let bytes = csv::encode(header, rows.iter().map(csv_record))?;
            Ok(Some((bytes, (next, true))))
        }
    })
}

//! `GET /api/v1/feedback`: the organisation's responses, newest first or (for incremental sync)
//! oldest change first, cursor-paginated; `GET /api/v1/feedback.csv`: all of them as one
//! streamed CSV. Both go through the shared tail (`api::answer`).
mod cursor;
mod export;
mod item;
mod query;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::api::answer::{self, Csv, Json, Operation, Read, Streaming};
use crate::api::bearer::{ApiCaller, Bearer};
use crate::api::error::ApiError;
use crate::api::output::{self, CsvFile, CsvQuery, Output};
use crate::api::params::declared;
use crate::db::DbConn;
use crate::error::AppError;
use crate::repo::feedback::{self, FeedbackRow};
use crate::spreadsheet::CsvOptions;
use crate::state::AppState;
pub use item::{FeedbackItem, Field};
pub use query::SortParam;
use query::{FeedbackQuery, Paging, Selection};

/// A page of responses.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedbackPage {
    pub data: Vec<FeedbackItem>,
    /// Pass as `cursor` (with the same other parameters) to get the next page; `null` on the
    /// last page. The `Link` header (`rel="next"`) carries the same as a full URL.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// What `list` and `export` read while authenticating: a page of rows, read one beyond it (the
/// extra row tells whether another page exists), or none for the CSV file, which reads as it
/// streams.
struct Listed {
    rows: Vec<FeedbackRow>,
    next_cursor: Option<String>,
    selection: Selection,
}

/// Feedback responses, newest first.
///
/// Filter by time, client, survey and score; choose the fields; page with `limit` and `cursor`
/// (`exportFeedbackCsv` gives every matching response as one CSV file). For tools set up before
/// that operation, `format=csv` or `Accept: text/csv` still gives that file here.
#[utoipa::path(
    get,
    path = "/api/v1/feedback",
    operation_id = "listFeedback",
    tag = "data",
    params(FeedbackQuery, Paging),
    responses(
        (status = 200, description = "A page of responses", body = FeedbackPage,
         content_type = "application/json",
         headers(
             ("Link" = String, description = "`<URL of the next page>; rel=\"next\"`, unless this is the last page"),
         )),
    )
)]
pub async fn list(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let own = [declared::<FeedbackQuery>(), declared::<Paging>()].concat();
    let parsed = output::negotiate(&req, own).and_then(|(query, out)| {
        let mut selection = query.read::<FeedbackQuery>()?.parse(now)?;
        let (after, limit) = query.read::<Paging>()?.parse(selection.listing.sort)?;
        selection.listing.after = after;
        // CSV here is the whole file, as `export` gives it.
        let paged = matches!(out, Output::Json).then_some(limit);
        Ok(((selection, paged), out))
    });
    answer::serve(bearer, req, state, operation(parsed)).await
}

/// Every matching feedback response as one CSV file.
///
/// The same filters, order and fields as `listFeedback`, without pages: the file streams every
/// matching response, read from the database a chunk at a time.
#[utoipa::path(
    get,
    path = "/api/v1/feedback.csv",
    operation_id = "exportFeedbackCsv",
    tag = "data",
    params(FeedbackQuery, CsvQuery),
    responses(
        (status = 200, description = "Every matching response, as CSV", body = inline(CsvFile),
         content_type = "text/csv"),
    )
)]
pub async fn export(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let parsed = output::csv(&req, declared::<FeedbackQuery>()).and_then(|(query, options)| {
        let selection = query.read::<FeedbackQuery>()?.parse(now)?;
        Ok(((selection, None), Output::Csv(options)))
    });
    answer::serve(bearer, req, state, operation(parsed)).await
}

type Query =
    fn(&mut DbConn, &ApiCaller, (Selection, Option<i64>)) -> Result<Read<Listed>, ApiError>;
type JsonWriter = fn(Listed) -> Result<Json, ApiError>;
type CsvWriter = fn(Listed, CsvOptions, Streaming) -> Result<Csv, AppError>;

fn operation(
    parsed: Result<((Selection, Option<i64>), Output), ApiError>,
) -> Operation<(Selection, Option<i64>), Query, JsonWriter, CsvWriter> {
    Operation {
        parsed,
        read,
        json: page,
        csv_name: "feedback",
        csv: |listed, options, (state, caller)| {
            let org = caller.organisation_id;
            Ok(Csv::Streamed(export::rows(
                state.clone(),
                org,
                listed.selection,
                options,
            )))
        },
    }
}

/// A page of at most `limit` rows when `paged`; nothing for the CSV file, which reads as it
/// streams.
fn read(
    conn: &mut DbConn,
    caller: &ApiCaller,
    (selection, paged): (Selection, Option<i64>),
) -> Result<Read<Listed>, ApiError> {
    let Some(limit) = paged else {
        return Ok(Read {
            value: Listed {
                rows: Vec::new(),
                next_cursor: None,
                selection,
            },
            last_modified: None,
        });
    };
    let org = caller.organisation_id;
    let listing = &selection.listing;
    let mut rows = feedback::page(conn, org, &selection.filter, listing, limit + 1)?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| cursor::encode(listing.sort, cursor::key(r, listing.sort)))
    } else {
        None
    };
    let last_modified = rows.iter().map(|r| r.updated_at).max();
    Ok(Read {
        value: Listed {
            rows,
            next_cursor,
            selection,
        },
        last_modified,
    })
}

/// The page as JSON, with the selected fields of each response.
fn page(listed: Listed) -> Result<Json, ApiError> {
    let Listed {
        rows,
        next_cursor,
        selection,
    } = listed;
    let page = FeedbackPage {
        data: rows
            .into_iter()
            .map(|row| FeedbackItem::new(row, &selection.columns))
            .collect(),
        next_cursor,
    };
    Ok(Json {
        body: output::json(&page)?,
        next_cursor: page.next_cursor,
    })
}

//! `GET /api/v1/feedback`: the organisation's responses, newest first or (for incremental sync)
//! oldest change first, cursor-paginated; `GET /api/v1/feedback.csv`: all of them as one
//! streamed CSV.
mod cursor;
mod export;
mod item;
mod query;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::api::bearer::Bearer;
use crate::api::conditional;
use crate::api::error::ApiError;
use crate::api::output::{self, CsvFile, CsvQuery, Output};
use crate::api::params::declared;
use crate::auth::origin::public_origin;
use crate::repo::feedback::{self, FeedbackRow, Sort};
use crate::spreadsheet::CsvOptions;
use crate::state::AppState;
use item::Columns;
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

/// The URL of the next page (RFC 8288 `Link`): this request's own, with `cursor` replaced.
fn next_link(req: &HttpRequest, next: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.retain(|(name, _)| name != "cursor");
    pairs.push(("cursor".into(), next.into()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!(
        "<{}{}?{query}>; rel=\"next\"",
        public_origin(req),
        req.path()
    )
}

/// What `list` read while authenticating: a page, or what the export will read as it streams.
enum Read {
    Page {
        rows: Vec<FeedbackRow>,
        sort: Sort,
        limit: i64,
        columns: Columns,
    },
    Export(Selection, CsvOptions),
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
        Ok((selection, limit, out))
    });
    let (caller, read) = bearer
        .run(&state, move |conn, caller| {
            let (selection, limit, out) = parsed?;
            Ok(match out {
                Output::Csv(options) => Read::Export(selection, options),
                Output::Json => Read::Page {
                    rows: feedback::page(
                        conn,
                        caller.organisation_id,
                        &selection.filter,
                        &selection.listing,
                        limit + 1,
                    )?,
                    sort: selection.listing.sort,
                    limit,
                    columns: selection.columns,
                },
            })
        })
        .await?;
    match read {
        Read::Page {
            rows,
            sort,
            limit,
            columns,
        } => page_answer(&req, rows, (sort, limit), &columns, now),
        Read::Export(selection, options) => Ok(export::answer(state, &caller, selection, options)),
    }
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
    let parsed = output::csv(&req, declared::<FeedbackQuery>())
        .and_then(|(query, options)| Ok((query.read::<FeedbackQuery>()?.parse(now)?, options)));
    let (caller, (selection, options)) = bearer.run(&state, move |_, _| parsed).await?;
    Ok(export::answer(state, &caller, selection, options))
}

/// A page of at most `limit` rows as JSON, from `rows` read one beyond it: the extra row tells
/// whether another page exists.
fn page_answer(
    req: &HttpRequest,
    mut rows: Vec<FeedbackRow>,
    (sort, limit): (Sort, i64),
    columns: &Columns,
    now: chrono::NaiveDateTime,
) -> Result<HttpResponse, ApiError> {
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| cursor::encode(sort, cursor::key(r, sort)))
    } else {
        None
    };
    let last_modified = rows.iter().map(|r| r.updated_at).max();
    let mut response = output::json_response();
    if let Some(next) = &next_cursor {
        response.insert_header((header::LINK, next_link(req, next)));
    }
    let page = FeedbackPage {
        data: rows
            .into_iter()
            .map(|row| FeedbackItem::new(row, columns))
            .collect(),
        next_cursor,
    };
    Ok(conditional::answer(
        req,
        response,
        output::json(&page)?,
        last_modified,
        now,
    ))
}

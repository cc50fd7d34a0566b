//! `GET /api/v1/feedback`: the organisation's responses, newest first or (for incremental sync)
//! oldest change first, cursor-paginated; or all of them as one streamed CSV.
mod cursor;
mod item;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use anyhow::Context;
use chrono::{Duration, NaiveDateTime};
use futures_util::stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::bearer::Bearer;
use crate::api::conditional;
use crate::api::error::ApiError;
use crate::api::output::{self, Output, OutputQuery};
use crate::api::params::{self, RawFilter, bad};
use crate::auth::origin::public_origin;
use crate::error::AppError;
use crate::repo::feedback::{self, FeedbackRow, Filter, Listing, Sort};
use crate::spreadsheet::{self as csv, CsvOptions};
use crate::state::AppState;
pub use item::FeedbackItem;

/// The order of `GET /api/v1/feedback`.
#[derive(ToSchema, Clone, Copy)]
#[schema(rename_all = "snake_case")]
enum SortParam {
    /// Newest `submitted_at` first (default).
    SubmittedAt,
    /// Oldest `updated_at` first, for incremental sync.
    UpdatedAt,
}

/// The parameters of `GET /api/v1/feedback`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    /// Only responses submitted at or after this time: RFC 3339 (fractions of a second
    /// allowed), a date (midnight UTC) or Unix seconds.
    #[param(value_type = Option<params::TimeText>, inline)]
    since: Option<String>,
    /// Only responses submitted before this time (same forms as `since`).
    #[param(value_type = Option<params::TimeText>, inline)]
    until: Option<String>,
    /// Only responses added to Pulse or changed at or after this time (same forms as `since`),
    /// whenever they were submitted. For incremental refresh pass the `updated_at` of the last
    /// response you stored, with `sort=updated_at`.
    #[param(value_type = Option<params::TimeText>, inline)]
    updated_since: Option<String>,
    /// `submitted_at` (default: newest submitted first) or `updated_at` (oldest change first;
    /// changes of the last few seconds appear on the next request, so that a refresh never
    /// skips a response that was still being saved).
    #[param(value_type = Option<SortParam>, inline)]
    sort: Option<String>,
    /// Only this client's responses (client id).
    #[param(value_type = Option<i32>, minimum = 1)]
    client: Option<String>,
    /// Lowest score, 0–10.
    #[param(value_type = Option<i32>, minimum = 0, maximum = 10)]
    min_score: Option<String>,
    /// Highest score, 0–10.
    #[param(value_type = Option<i32>, minimum = 0, maximum = 10)]
    max_score: Option<String>,
    /// Page size, 1–1000 (default 100). Ignored for CSV, which streams every matching row.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// `next_cursor` of the previous page, with the same other parameters; empty or left out
    /// for the first page.
    cursor: Option<String>,
}

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;
/// Rows fetched per database round trip while streaming CSV: bounded memory for any export.
const CSV_CHUNK: i64 = 5000;
/// How long a change must have been committed before `sort=updated_at` lists it. The database
/// stamps a row when it writes it, but another transaction may commit an earlier stamp later
/// (an import takes a moment): holding back the last seconds keeps every such row ahead of any
/// cursor handed out, so an incremental walk never skips one.
const SETTLE: Duration = Duration::seconds(10);

/// A page of responses.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedbackPage {
    pub data: Vec<FeedbackItem>,
    /// Pass as `cursor` (with the same other parameters) to get the next page; `null` on the
    /// last page. The `Link` header (`rel="next"`) carries the same as a full URL.
    pub next_cursor: Option<String>,
}

impl FeedbackQuery {
    fn sort(&self) -> Result<Sort, ApiError> {
        let sort = match self.sort.as_deref() {
            None | Some("submitted_at") => SortParam::SubmittedAt,
            Some("updated_at") => SortParam::UpdatedAt,
            Some(_) => {
                return Err(bad(
                    "Parameter `sort` must be `submitted_at` or `updated_at`.",
                ));
            }
        };
        Ok(match sort {
            SortParam::SubmittedAt => Sort::Submitted,
            SortParam::UpdatedAt => Sort::Updated,
        })
    }

    /// Which rows, in which order, from where; `now` places the settle horizon.
    fn parse(&self, now: NaiveDateTime) -> Result<(Filter, Listing, i64), ApiError> {
        let filter = RawFilter {
            since: self.since.as_deref(),
            until: self.until.as_deref(),
            client: self.client.as_deref(),
            min_score: self.min_score.as_deref(),
            max_score: self.max_score.as_deref(),
            tz: None,
        }
        .parse()?;
        let sort = self.sort()?;
        let listing = Listing {
            sort,
            updated_since: params::instant("updated_since", self.updated_since.as_deref())?,
            updated_before: (sort == Sort::Updated).then(|| now - SETTLE),
            // An empty cursor is the first page: Power Query's paging loop starts with one.
            after: self
                .cursor
                .as_deref()
                .filter(|raw| !raw.is_empty())
                .map(|raw| cursor::decode(raw, sort))
                .transpose()?,
        };
        let limit =
            params::int("limit", self.limit.as_deref(), 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
        Ok((filter, listing, limit))
    }
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
    },
    Export(Filter, Listing, CsvOptions),
}

/// Feedback responses, newest first.
///
/// Filter by time, client and score; page with `limit` and `cursor`, or stream all as CSV.
#[utoipa::path(
    get,
    path = "/api/v1/feedback",
    operation_id = "listFeedback",
    tag = "data",
    params(FeedbackQuery, OutputQuery),
    responses(
        (status = 200, description = "A page of responses", body = FeedbackPage,
         headers(
             ("Link" = String, description = "`<URL of the next page>; rel=\"next\"`, unless this is the last page"),
         ),
         content((FeedbackPage = "application/json"), (String = "text/csv"))),
    )
)]
pub async fn list(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let parsed = output::query::<FeedbackQuery>(&req).and_then(|(query, out)| {
        let (filter, listing, limit) = query.parse(now)?;
        Ok((filter, listing, limit, out))
    });
    let (caller, read) = bearer
        .run(&state, move |conn, caller| {
            let (filter, listing, limit, out) = parsed?;
            Ok(match out {
                Output::Csv(options) => Read::Export(filter, listing, options),
                Output::Json => Read::Page {
                    rows: feedback::page(
                        conn,
                        caller.organisation_id,
                        &filter,
                        &listing,
                        limit + 1,
                    )?,
                    sort: listing.sort,
                    limit,
                },
            })
        })
        .await?;
    match read {
        Read::Page { rows, sort, limit } => page_answer(&req, rows, sort, limit),
        Read::Export(filter, listing, options) => {
            let name = output::filename(&state, &caller, "feedback");
            let rows = export(state, caller.organisation_id, filter, listing, options);
            Ok(csv::streamed(&name, options, rows))
        }
    }
}

/// A page of at most `limit` rows as JSON, from `rows` read one beyond it: the extra row tells
/// whether another page exists.
fn page_answer(
    req: &HttpRequest,
    mut rows: Vec<FeedbackRow>,
    sort: Sort,
    limit: i64,
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
        data: rows.into_iter().map(FeedbackItem::from).collect(),
        next_cursor,
    };
    Ok(conditional::answer(
        req,
        response,
        output::json(&page)?,
        last_modified,
    ))
}

/// Every matching row as CSV, read from the database a chunk at a time while the client
/// downloads, so an export of millions of rows holds only a chunk or two in memory. The next
/// chunk is read while this one is encoded and sent (the database on a blocking thread, the CSV
/// on the worker), which keeps the export close to the database's own speed.
fn export(
    state: web::Data<AppState>,
    org: i32,
    filter: Filter,
    listing: Listing,
    options: CsvOptions,
) -> impl futures_util::Stream<Item = Result<web::Bytes, ApiError>> {
    let read = move |chunk: Listing| {
        let (state, filter) = (state.clone(), filter.clone());
        actix_web::rt::spawn(async move {
            let reading = chunk.clone();
            let rows = state
                .db
                .run(move |conn| Ok(feedback::page(conn, org, &filter, &reading, CSV_CHUNK)?))
                .await?;
            // Where the chunk after this one starts, if there can be one.
            let next = (rows.len() as i64 == CSV_CHUNK).then(|| Listing {
                after: rows.last().map(|r| cursor::key(r, chunk.sort)),
                ..chunk
            });
            Ok::<_, AppError>((rows, next))
        })
    };
    // (the chunk being read, header written yet); no chunk being read means the end.
    stream::try_unfold((Some(read(listing)), false), move |(reading, started)| {
        let read = read.clone();
        async move {
            let Some(reading) = reading else {
                return Ok(None);
            };
            let (rows, next) = reading
                .await
                .context("reading a chunk of the export")
                .map_err(AppError::from)??;
            let header = (!started).then_some(&item::CSV_HEADER[..]);
            let bytes = csv::encode(header, rows.iter().map(|r| item::csv_record(r, options)))?;
            Ok(Some((bytes, (next.map(read), true))))
        }
    })
}

//! The shared tail of the data operations: the parsed request (or its 400) goes into
//! `Bearer::run` with the operation's queries, and what they read goes out as JSON (with a `Link`
//! to the next page for an operation that pages) or as a dated CSV file, whole or streamed. A
//! whole body gets its validators (`conditional::answer`: ETag, Last-Modified, 304); a streamed
//! one cannot (its ETag would need the whole body first).
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use futures_util::stream::LocalBoxStream;
use serde::Serialize;

use crate::api::bearer::{ApiCaller, Bearer};
use crate::api::conditional;
use crate::api::error::ApiError;
use crate::api::output::{self, Output};
use crate::auth::origin::public_origin;
use crate::db::DbConn;
use crate::error::AppError;
use crate::spreadsheet::{self, CsvOptions};
use crate::state::AppState;

/// What an operation's queries read: the answer, and when its data last changed (for
/// Last-Modified; `None` when that cannot be said).
pub struct Read<T> {
    pub value: T,
    pub last_modified: Option<NaiveDateTime>,
}

/// A JSON answer: its body, and for an operation that pages, the cursor of the next page (sent
/// as a `Link` to this request's URL with that cursor).
pub struct Json {
    pub body: Bytes,
    pub next_cursor: Option<String>,
}

/// The JSON answer of an operation that does not page: `value` as it is.
pub fn json<T: Serialize>(value: T) -> Result<Json, ApiError> {
    Ok(Json {
        body: output::json(&value)?,
        next_cursor: None,
    })
}

/// A CSV answer: one whole file, or chunks streamed while they are read.
pub enum Csv {
    Whole(Bytes),
    Streamed(LocalBoxStream<'static, Result<Bytes, ApiError>>),
}

/// What a CSV writer may use beyond what was read: the app (to read as it streams) and the
/// caller.
pub type Streaming<'a> = (&'a web::Data<AppState>, &'a ApiCaller);

/// How one operation answers: its request as parsed (`Err` is answered after the token is
/// checked), its queries, how it writes what they read as JSON, the name of its CSV file
/// (`clients` → `acme-clients-2026-12-02.csv`) and how it writes it as CSV.
pub struct Operation<P, Q, J, C> {
    pub parsed: Result<(P, Output), ApiError>,
    pub read: Q,
    pub json: J,
    pub csv_name: &'static str,
    pub csv: C,
}

/// parse → `Bearer::run` → JSON or CSV → ETag.
pub async fn serve<P, T, Q, J, C>(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
    operation: Operation<P, Q, J, C>,
) -> Result<HttpResponse, ApiError>
where
    P: Send + 'static,
    T: Send + 'static,
    Q: FnOnce(&mut DbConn, &ApiCaller, P) -> Result<Read<T>, ApiError> + Send + 'static,
    J: FnOnce(T) -> Result<Json, ApiError>,
    C: FnOnce(T, CsvOptions, Streaming) -> Result<Csv, AppError>,
{
    let Operation {
        parsed,
        read,
        json,
        csv_name,
        csv,
    } = operation;
    let (caller, (read, out)) = bearer
        .run(&state, move |conn, caller| {
            let (parsed, out) = parsed?;
            Ok((read(conn, caller, parsed)?, out))
        })
        .await?;
    let Read {
        value,
        last_modified,
    } = read;
    let (response, body) = match out {
        Output::Json => {
            let Json { body, next_cursor } = json(value)?;
            let mut response = output::json_response();
            if let Some(next) = next_cursor {
                response.insert_header((header::LINK, next_link(&req, &next)));
            }
            (response, body)
        }
        Output::Csv(options) => {
            let name = output::filename(&state, &caller, csv_name);
            match csv(value, options, (&state, &caller))? {
                Csv::Whole(body) => spreadsheet::whole(&name, options, body),
                Csv::Streamed(chunks) => return Ok(spreadsheet::streamed(&name, options, chunks)),
            }
        }
    };
    Ok(conditional::answer(
        &req,
        response,
        body,
        last_modified,
        state.clock.now(),
    ))
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

//! The shared tail of the data operations that answer with one whole body: the parsed request
//! (or its 400) goes into `Bearer::run` with the operation's queries, and what they read goes out
//! as JSON or as a dated CSV file, with its validators (`conditional::answer`: ETag,
//! Last-Modified, 304). `GET /api/v1/feedback` pages and streams, so it writes its own answer
//! from the same parts.
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::api::bearer::{ApiCaller, Bearer};
use crate::api::conditional;
use crate::api::error::ApiError;
use crate::api::output::{self, Output};
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

/// How one operation answers: its request as parsed (`Err` is answered after the token is
/// checked), its queries, the name of its CSV file (`clients` → `acme-clients-2026-12-02.csv`)
/// and how it writes its answer as CSV.
pub struct Operation<P, Q, C> {
    pub parsed: Result<(P, Output), ApiError>,
    pub read: Q,
    pub csv_name: &'static str,
    pub csv: C,
}

/// parse → `Bearer::run` → JSON or CSV → ETag.
pub async fn serve<P, T, Q, C>(
    bearer: Bearer,
    req: HttpRequest,
    state: web::Data<AppState>,
    operation: Operation<P, Q, C>,
) -> Result<HttpResponse, ApiError>
where
    P: Send + 'static,
    T: Serialize + Send + 'static,
    Q: FnOnce(&mut DbConn, &ApiCaller, P) -> Result<Read<T>, ApiError> + Send + 'static,
    C: FnOnce(&T, CsvOptions) -> Result<Bytes, AppError>,
{
    let Operation {
        parsed,
        read,
        csv_name,
        csv,
    } = operation;
    let (caller, (read, out)) = bearer
        .run(&state, move |conn, caller| {
            let (parsed, out) = parsed?;
            Ok((read(conn, caller, parsed)?, out))
        })
        .await?;
    let (response, body) = match out {
        Output::Json => (output::json_response(), output::json(&read.value)?),
        Output::Csv(options) => {
            let name = output::filename(&state, &caller, csv_name);
            spreadsheet::whole(&name, options, csv(&read.value, options)?)
        }
    };
    Ok(conditional::answer(
        &req,
        response,
        body,
        read.last_modified,
        state.clock.now(),
    ))
}

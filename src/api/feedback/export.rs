//! The feedback as one CSV file of any length, streamed.
use actix_web::web;
use anyhow::Context;
use futures_util::StreamExt;
use futures_util::stream::{self, LocalBoxStream};

use crate::api::error::ApiError;
use crate::api::feedback::cursor;
use crate::api::feedback::query::Selection;
use crate::error::AppError;
use crate::repo::feedback::{self, Listing};
use crate::spreadsheet::{self as csv, CsvOptions};
use crate::state::AppState;

/// Rows fetched per database round trip while streaming CSV: bounded memory for any export.
const CSV_CHUNK: i64 = 5000;

/// Every matching row as CSV, read from the database a chunk at a time while the client
/// downloads, so an export of millions of rows holds only a chunk or two in memory. The next
/// chunk is read while this one is encoded and sent (the database on a blocking thread, the CSV
/// on the worker), which keeps the export close to the database's own speed.
pub fn rows(
    state: web::Data<AppState>,
    org: i32,
    selection: Selection,
    options: CsvOptions,
) -> LocalBoxStream<'static, Result<web::Bytes, ApiError>> {
    let Selection {
        filter,
        listing,
        columns,
    } = selection;
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
    let chunks = stream::try_unfold((Some(read(listing)), false), move |(reading, started)| {
        let read = read.clone();
        let columns = columns.clone();
        async move {
            let Some(reading) = reading else {
                return Ok(None);
            };
            let (rows, next) = reading
                .await
                .context("reading a chunk of the export")
                .map_err(AppError::from)??;
            let header = (!started).then(|| columns.header());
            let records = rows.iter().map(|r| columns.record(r, options));
            let bytes = csv::encode(header.as_deref(), records)?;
            Ok(Some((bytes, (next.map(read), true))))
        }
    });
    chunks.boxed_local()
}

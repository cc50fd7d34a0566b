//! CSV output (RFC 4180 quoting by the `csv` crate, UTF-8, header row) for every list.
use std::borrow::Cow;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use futures_util::Stream;

use anyhow::Context;

use crate::api::error::ApiError;
use crate::error::AppError;

pub const TEXT_CSV: &str = "text/csv; charset=utf-8";

/// A free-text cell, neutralised against formula injection: spreadsheets run a cell that starts
/// with `=`, `+`, `-` or `@` (or a tab/CR that hides one) as a formula, so such text gets a leading
/// `'`, which they show as plain text. Only for text: numbers are written as they are.
pub fn text(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

/// Encodes records (the header first, if given) as CSV bytes.
pub fn encode<R, I>(header: Option<&[&str]>, records: R) -> Result<Bytes, ApiError>
where
    R: IntoIterator<Item = I>,
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    if let Some(header) = header {
        writer
            .write_record(header)
            .context("writing a CSV header")
            .map_err(AppError::from)?;
    }
    for record in records {
        writer
            .write_record(record)
            .context("writing a CSV record")
            .map_err(AppError::from)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .context("flushing CSV")
        .map_err(AppError::from)?;
    Ok(Bytes::from(bytes))
}

fn attachment(filename: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{filename}\""),
    )
}

/// A small CSV answered in one piece.
pub fn whole(filename: &str, body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(TEXT_CSV)
        .insert_header(attachment(filename))
        .body(body)
}

/// A CSV of any length, sent chunk by chunk as the stream produces it.
pub fn streamed<S>(filename: &str, chunks: S) -> HttpResponse
where
    S: Stream<Item = Result<Bytes, ApiError>> + 'static,
{
    HttpResponse::Ok()
        .content_type(TEXT_CSV)
        .insert_header(attachment(filename))
        .streaming(chunks)
}

//! CSV files for spreadsheets and BI tools, for the API's lists and the pages' downloads alike:
//! RFC 4180 (quoting by the `csv` crate, CRLF line ends), UTF-8 with an optional byte order
//! mark, a header row, and a dated file name.
use std::borrow::Cow;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, HttpResponseBuilder};
use chrono::NaiveDate;
use futures_util::{Stream, StreamExt};

use anyhow::Context;

use crate::error::AppError;

pub const TEXT_CSV: &str = "text/csv; charset=utf-8";

/// The UTF-8 byte order mark: without it Excel, opening the file directly, reads a legacy code
/// page and garbles `García`. (LibreOffice ignores it either way: README, "Data API".)
const BOM: &[u8] = "\u{feff}".as_bytes();

/// How CSV is written (`OutputQuery` reads it from `bom` and `escape_formulas`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    pub bom: bool,
    pub escape_formulas: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            bom: false,
            escape_formulas: true,
        }
    }
}

impl CsvOptions {
    /// A free-text cell. With `escape_formulas`, neutralised against formula injection:
    /// spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (or a tab/CR that hides one)
    /// as a formula, so such text gets a leading `'`, which they show as plain text. Only for
    /// text: numbers are written as they are.
    pub fn text<'a>(&self, value: &'a str) -> Cow<'a, str> {
        match value.chars().next() {
            Some('=' | '+' | '-' | '@' | '\t' | '\r') if self.escape_formulas => {
                Cow::Owned(format!("'{value}"))
            }
            _ => Cow::Borrowed(value),
        }
    }

    /// What the file starts with.
    fn preamble(&self) -> Bytes {
        Bytes::from_static(if self.bom { BOM } else { b"" })
    }
}

/// `acme-feedback-2026-11-29.csv`: whose, what, and when, so that downloads do not overwrite one
/// another. Slugs are lower-case letters, digits and dashes, safe in a header.
pub fn filename(slug: &str, what: &str, on: NaiveDate) -> String {
    format!("{slug}-{what}-{}.csv", on.format("%Y-%m-%d"))
}

/// Encodes records (the header first, if given) as CSV bytes.
pub fn encode<R, I>(header: Option<&[&str]>, records: R) -> Result<Bytes, AppError>
where
    R: IntoIterator<Item = I>,
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    if let Some(header) = header {
        writer
            .write_record(header)
            .context("writing a CSV header")?;
    }
    for record in records {
        writer
            .write_record(record)
            .context("writing a CSV record")?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .context("flushing CSV")?;
    Ok(Bytes::from(bytes))
}

fn attachment(filename: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{filename}\""),
    )
}

/// A small CSV in one piece: the headers to answer with, and the body (after the BOM if asked).
pub fn whole(filename: &str, options: CsvOptions, body: Bytes) -> (HttpResponseBuilder, Bytes) {
    let mut response = HttpResponse::Ok();
    response
        .content_type(TEXT_CSV)
        .insert_header(attachment(filename));
    let body = if options.bom {
        [options.preamble(), body].concat().into()
    } else {
        body
    };
    (response, body)
}

/// A CSV of any length, sent chunk by chunk as the stream produces it.
pub fn streamed<S, E>(filename: &str, options: CsvOptions, chunks: S) -> HttpResponse
where
    S: Stream<Item = Result<Bytes, E>> + 'static,
    E: Into<Box<dyn std::error::Error>> + 'static,
{
    let preamble = futures_util::stream::once(std::future::ready(Ok(options.preamble())));
    HttpResponse::Ok()
        .content_type(TEXT_CSV)
        .insert_header(attachment(filename))
        .streaming(preamble.chain(chunks))
}

//! How a data endpoint writes its answer. Each data resource has a JSON operation
//! (`/api/v1/feedback`) and a CSV one (`/api/v1/feedback.csv`), so that generated clients type
//! each answer by its one media type. The JSON URLs still give CSV to the tools that asked them
//! for it before the CSV operations existed (`format=csv`, or `Accept: text/csv` with its quality
//! values): `negotiate` reads that, and those parameters stay out of the OpenAPI document.
use actix_web::http::header::{self, Header, Quality};
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::Parameter;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::api::bearer::ApiCaller;
use crate::api::error::ApiError;
use crate::api::params::{self, Checked, bad, declared, flag};
use crate::error::AppError;
use crate::spreadsheet::CsvOptions;
use crate::state::AppState;

/// `format` on a JSON URL: `json` or `csv` (not in the document; the CSV operations replace it).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FormatQuery {
    format: Option<String>,
}

/// How CSV is written: the parameters of every CSV operation.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsvQuery {
    /// Start the file with a UTF-8 byte order mark (`false` by default; the web pages' download
    /// links set it). Excel needs it to read accented letters right when it opens the file
    /// directly; LibreOffice needs the UTF-8 character set chosen on import either way.
    #[param(value_type = Option<bool>)]
    bom: Option<String>,
    /// `true` (default) puts a `'` before text that starts with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return, so that spreadsheets show it as text instead of running it as a
    /// formula. The `'` is then part of the cell's value: programs that read the file as data
    /// (pandas, scripts, databases) should ask for `false` and get the text as stored.
    #[param(value_type = Option<bool>)]
    escape_formulas: Option<String>,
}

impl CsvQuery {
    fn options(&self) -> Result<CsvOptions, ApiError> {
        Ok(CsvOptions {
            bom: flag("bom", self.bom.as_deref())?.unwrap_or(false),
            escape_formulas: flag("escape_formulas", self.escape_formulas.as_deref())?
                .unwrap_or(true),
        })
    }
}

/// The body of a CSV operation in the API description: a file, bytes (`format: binary`), so
/// that generated clients hand it over as it came (Java and Go as a file, Python as bytes)
/// instead of parsing it as JSON.
pub struct CsvFile;

impl PartialSchema for CsvFile {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "UTF-8 CSV (RFC 4180, CRLF line ends) with a header row; with `bom=true` a \
                 byte order mark first.",
            ))
            .into()
    }
}

impl ToSchema for CsvFile {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Json,
    Csv(CsvOptions),
}

/// Marks a request whose answer depends on its `Accept` header, so that the response says
/// `Vary: Accept` (`api::vary`).
#[derive(Clone, Copy, Debug)]
pub struct Negotiated;

/// Reads the query of a JSON URL, whose own parameters are `own`, and what it answers in: JSON,
/// or CSV for `format=csv` or an `Accept` header that prefers `text/csv`.
pub fn negotiate(req: &HttpRequest, own: Vec<Parameter>) -> Result<(Checked, Output), ApiError> {
    req.extensions_mut().insert(Negotiated);
    let all = [own, declared::<FormatQuery>(), declared::<CsvQuery>()].concat();
    let query = params::check(req, &all)?;
    let FormatQuery { format } = query.read()?;
    let options = query.read::<CsvQuery>()?.options()?;
    let csv = match format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(_) => return Err(bad("Parameter `format` must be `json` or `csv`.")),
        None => accepts_csv(req),
    };
    let output = if csv {
        Output::Csv(options)
    } else {
        Output::Json
    };
    Ok((query, output))
}

/// Reads the query of a CSV operation, whose own parameters are `own`, and the CSV options.
pub fn csv(req: &HttpRequest, own: Vec<Parameter>) -> Result<(Checked, CsvOptions), ApiError> {
    let query = params::check(req, &[own, declared::<CsvQuery>()].concat())?;
    let options = query.read::<CsvQuery>()?.options()?;
    Ok((query, options))
}

/// The headers of a 200 JSON answer.
pub fn json_response() -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.content_type(header::ContentType::json());
    response
}

/// A JSON body.
pub fn json(value: &impl Serialize) -> Result<Bytes, ApiError> {
    let bytes = serde_json::to_vec(value)
        .context("writing JSON")
        .map_err(AppError::from)?;
    Ok(bytes.into())
}

/// The download name of a CSV of `what` for the caller's organisation, dated today.
pub fn filename(state: &AppState, caller: &ApiCaller, what: &str) -> String {
    crate::spreadsheet::filename(&caller.organisation_slug, what, state.clock.now().date())
}

/// The quality the `Accept` header gives `mime` (type/subtype, lower case): the most specific
/// range that matches wins (RFC 9110 §12.5.1), with how specific it was (2 exact, 1 `type/*`,
/// 0 `*/*`). `None` when no range matches.
fn quality(accept: &header::Accept, mime: &str) -> Option<(Quality, u8)> {
    let (kind, _) = mime.split_once('/').unwrap_or((mime, ""));
    accept
        .iter()
        .filter_map(|range| {
            let (t, s) = (range.item.type_().as_str(), range.item.subtype().as_str());
            let specificity = match (t, s) {
                ("*", "*") => 0,
                (t, "*") if t.eq_ignore_ascii_case(kind) => 1,
                _ if range.item.essence_str().eq_ignore_ascii_case(mime) => 2,
                _ => return None,
            };
            Some((specificity, range.quality))
        })
        .max_by_key(|(specificity, _)| *specificity)
        .map(|(specificity, q)| (q, specificity))
}

/// CSV when the `Accept` header prefers `text/csv` to `application/json` (by quality, then by
/// how specifically it names it); JSON without a header, on a tie, or when neither is acceptable.
fn accepts_csv(req: &HttpRequest) -> bool {
    let Ok(accept) = header::Accept::parse(req) else {
        return false;
    };
    let csv = quality(&accept, "text/csv").filter(|(q, _)| *q > Quality::ZERO);
    let json = quality(&accept, "application/json").filter(|(q, _)| *q > Quality::ZERO);
    match (csv, json) {
        (Some(csv), Some(json)) => csv > json,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn csv_for(accept: &str) -> bool {
        accepts_csv(
            &TestRequest::default()
                .insert_header(("Accept", accept))
                .to_http_request(),
        )
    }

    #[test]
    fn accept_quality_values_decide() {
        assert!(csv_for("text/csv"));
        assert!(csv_for("text/csv, */*;q=0.1"));
        assert!(csv_for("application/json;q=0.4, text/csv;q=0.9"));
        assert!(csv_for("text/*, application/json;q=0.5"));
        assert!(csv_for("text/csv, */*"));
        assert!(!csv_for("text/csv;q=0.5, application/json"));
        assert!(!csv_for("text/csv;q=0, */*"));
        assert!(!csv_for("*/*"));
        assert!(!csv_for("text/html"));
        assert!(!csv_for("application/json, text/csv"));
        assert!(!csv_for(""));
    }
}

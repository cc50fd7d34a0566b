//! How a data endpoint writes its answer: JSON or CSV (the `format` parameter, else the `Accept`
//! header with its quality values), and the CSV options. Every data endpoint takes these
//! parameters (`query` reads them beside the endpoint's own).
use actix_web::http::header::{self, Header, Quality};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::bearer::ApiCaller;
use crate::api::error::ApiError;
use crate::api::params::{self, bad, flag};
use crate::error::AppError;
use crate::spreadsheet::CsvOptions;
use crate::state::AppState;

/// What a data endpoint can answer in.
#[derive(ToSchema, Clone, Copy, PartialEq, Eq)]
#[schema(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

/// The parameters every data endpoint shares.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutputQuery {
    /// `json` or `csv`. Without it the `Accept` header decides (`text/csv` gives CSV; quality
    /// values count, so `text/csv;q=0.5, application/json` gives JSON); JSON by default.
    #[param(value_type = Option<Format>, inline)]
    format: Option<String>,
    /// CSV only: start the file with a UTF-8 byte order mark so that Excel and LibreOffice read
    /// accented letters right (`false` by default; the web pages' download links set it).
    #[param(value_type = Option<bool>)]
    bom: Option<String>,
    /// CSV only: `true` (default) puts a `'` before text that starts with `=`, `+`, `-`, `@`, a
    /// tab or a carriage return, so that spreadsheets show it as text instead of running it as a
    /// formula. The `'` is then part of the cell's value: programs that read the file as data
    /// (pandas, scripts, databases) should ask for `false` and get the text as stored.
    #[param(value_type = Option<bool>)]
    escape_formulas: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Json,
    Csv(CsvOptions),
}

impl OutputQuery {
    pub fn parse(&self, req: &HttpRequest) -> Result<Output, ApiError> {
        let format = match self.format.as_deref() {
            Some("csv") => Format::Csv,
            Some("json") => Format::Json,
            Some(_) => return Err(bad("Parameter `format` must be `json` or `csv`.")),
            None if accepts_csv(req) => Format::Csv,
            None => Format::Json,
        };
        let options = CsvOptions {
            bom: flag("bom", self.bom.as_deref())?.unwrap_or(false),
            escape_formulas: flag("escape_formulas", self.escape_formulas.as_deref())?
                .unwrap_or(true),
        };
        Ok(match format {
            Format::Csv => Output::Csv(options),
            Format::Json => Output::Json,
        })
    }
}

/// Reads an endpoint's own parameters `Q` and the output the request asks for.
pub fn query<Q: IntoParams + DeserializeOwned>(req: &HttpRequest) -> Result<(Q, Output), ApiError> {
    let (own, out) = params::query::<Q, OutputQuery>(req)?;
    Ok((own, out.parse(req)?))
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

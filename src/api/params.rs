//! Query-string parameters of the data API. Each endpoint declares its parameters once, as a
//! struct deriving `IntoParams` (names, descriptions and types for the OpenAPI document) and
//! `Deserialize` (every field raw text). `query` refuses unknown and repeated parameters; the
//! functions below turn raw text into values, so that every mistake becomes a 400 problem+json
//! naming the parameter (actix's `Query` extractor would answer in plain text).
use actix_web::HttpRequest;
use actix_web::http::header;
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use utoipa::openapi::path::ParameterIn;

use crate::api::error::ApiError;
use crate::domain::feedback::parse_instant;
use crate::domain::scores::day_start;
use crate::error::AppError;
use crate::repo::feedback::Filter;

pub fn bad(detail: impl Into<String>) -> ApiError {
    AppError::invalid(detail).into()
}

/// Reads the query string into `Q`, failing on malformed encoding or on a parameter that `Q`
/// does not declare or that is given twice.
pub fn query<Q: IntoParams + DeserializeOwned>(req: &HttpRequest) -> Result<Q, ApiError> {
    let allowed: Vec<String> = Q::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| p.name)
        .collect();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| bad("The query string is not valid URL encoding."))?;
    for (i, (name, _)) in pairs.iter().enumerate() {
        if !allowed.contains(name) {
            return Err(bad(format!(
                "Unknown parameter `{name}`; this endpoint accepts: {}.",
                allowed.join(", ")
            )));
        }
        if pairs[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(bad(format!("Parameter `{name}` is given more than once.")));
        }
    }
    serde_urlencoded::from_str(req.query_string())
        .map_err(|e| bad(format!("The query string could not be read: {e}.")))
}

pub fn instant(name: &str, raw: Option<&str>) -> Result<Option<NaiveDateTime>, ApiError> {
    raw.map(|raw| {
        parse_instant(raw).ok_or_else(|| {
            bad(format!(
                "Parameter `{name}` must be an RFC 3339 time (2026-03-01T09:00:00Z) \
                 or a date (2026-03-01)."
            ))
        })
    })
    .transpose()
}

/// Like `instant`, but a plain date is its midnight in `tz` (UTC without one).
fn instant_in(
    name: &str,
    raw: Option<&str>,
    tz: Option<Tz>,
) -> Result<Option<NaiveDateTime>, ApiError> {
    let date = raw.and_then(|raw| NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok());
    match (date, tz) {
        (Some(day), Some(tz)) => Ok(Some(day_start(day, tz))),
        _ => instant(name, raw),
    }
}

pub fn int(name: &str, raw: Option<&str>, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    raw.map(|raw| {
        raw.parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                bad(format!(
                    "Parameter `{name}` must be a whole number from {min} to {max}."
                ))
            })
    })
    .transpose()
}

/// The raw filter parameters an endpoint accepts (`None` for those it does not).
#[derive(Default)]
pub struct RawFilter<'a> {
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub client: Option<&'a str>,
    pub min_score: Option<&'a str>,
    pub max_score: Option<&'a str>,
    /// The time zone plain dates in `since` and `until` are read in (UTC without one).
    pub tz: Option<Tz>,
}

impl RawFilter<'_> {
    pub fn parse(&self) -> Result<Filter, ApiError> {
        let score = |name, raw| Ok::<_, ApiError>(int(name, raw, 0, 10)?.map(|n| n as i32));
        let filter = Filter {
            since: instant_in("since", self.since, self.tz)?,
            until: instant_in("until", self.until, self.tz)?,
            client_id: int("client", self.client, 1, i32::MAX.into())?.map(|n| n as i32),
            min_score: score("min_score", self.min_score)?,
            max_score: score("max_score", self.max_score)?,
        };
        if let (Some(since), Some(until)) = (filter.since, filter.until)
            && since >= until
        {
            return Err(bad("Parameter `until` must be later than `since`."));
        }
        if let (Some(min), Some(max)) = (filter.min_score, filter.max_score)
            && min > max
        {
            return Err(bad("Parameter `min_score` must not exceed `max_score`."));
        }
        Ok(filter)
    }
}

/// CSV if `format=csv` or, without `format`, if the Accept header asks for `text/csv`.
pub fn wants_csv(format: Option<&str>, req: &HttpRequest) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(bad("Parameter `format` must be `json` or `csv`.")),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/csv"))),
    }
}

//! Query-string parameters of the data API. Each endpoint declares its parameters once, as a
//! struct deriving `IntoParams` (names, descriptions and types for the OpenAPI document) and
//! `Deserialize` (every field raw text). `query` refuses unknown and repeated parameters (a list
//! parameter may repeat); the functions below turn raw text into values, so that every mistake
//! becomes a 400 problem+json naming the parameter (actix's `Query` extractor would answer in
//! plain text).
use actix_web::HttpRequest;
use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::api::error::ApiError;
use crate::domain::feedback::{parse_instant, round_up};
use crate::domain::scores::day_start;
use crate::error::AppError;
use crate::repo::feedback::Filter;

pub fn bad(detail: impl Into<String>) -> ApiError {
    AppError::invalid(detail).into()
}

/// Reads the query string into `Q` (the endpoint's own parameters) and `O` (those it shares with
/// others, e.g. `OutputQuery`), failing on malformed encoding or on a parameter that neither
/// declares or that is given twice. A list parameter is described comma-separated
/// (`group_by=month,client`), but many generated clients repeat it instead
/// (`group_by=month&group_by=client`): both forms read the same.
pub fn query<Q, O>(req: &HttpRequest) -> Result<(Q, O), ApiError>
where
    Q: IntoParams + DeserializeOwned,
    O: IntoParams + DeserializeOwned,
{
    let declared: Vec<_> = Q::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .chain(O::into_params(|| Some(ParameterIn::Query)))
        .collect();
    let allowed: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
    let is_list = |name: &str| {
        declared
            .iter()
            .any(|p| p.name == name && matches!(p.schema, Some(RefOr::T(Schema::Array(_)))))
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| bad("The query string is not valid URL encoding."))?;
    let mut merged: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        if !allowed.contains(&name.as_str()) {
            return Err(bad(format!(
                "Unknown parameter `{name}`; this endpoint accepts: {}.",
                allowed.join(", ")
            )));
        }
        match merged.iter_mut().find(|(earlier, _)| *earlier == name) {
            Some((_, items)) if is_list(&name) => {
                items.push(',');
                items.push_str(&value);
            }
            Some(_) => return Err(bad(format!("Parameter `{name}` is given more than once."))),
            None => merged.push((name, value)),
        }
    }
    let read =
        |e: serde_urlencoded::de::Error| bad(format!("The query string could not be read: {e}."));
    let query = serde_urlencoded::to_string(&merged)
        .context("re-encoding the query string")
        .map_err(AppError::from)?;
    let own = serde_urlencoded::from_str(&query).map_err(read)?;
    let shared = serde_urlencoded::from_str(&query).map_err(read)?;
    Ok((own, shared))
}

/// `true` or `false`.
pub fn flag(name: &str, raw: Option<&str>) -> Result<Option<bool>, ApiError> {
    raw.map(|raw| match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(format!(
            "Parameter `{name}` must be `true` or `false`."
        ))),
    })
    .transpose()
}

/// A time parameter's type in the API description (`#[param(value_type = Option<TimeText>,
/// inline)]`): the three forms `instant` reads.
pub struct TimeText;

impl PartialSchema for TimeText {
    fn schema() -> RefOr<Schema> {
        let string = || ObjectBuilder::new().schema_type(Type::String);
        let format = |f| Some(SchemaFormat::KnownFormat(f));
        AnyOfBuilder::new()
            .item(string().format(format(KnownFormat::DateTime)))
            .item(string().format(format(KnownFormat::Date)))
            .item(string().pattern(Some(UNIX_SECONDS)))
            .into()
    }
}

impl ToSchema for TimeText {}

/// Unix seconds as `time_schema` describes them (`domain::feedback::parse_instant` reads them).
const UNIX_SECONDS: &str = r"^[0-9]{1,12}(\.[0-9]{1,9})?$";

/// A time bound: RFC 3339 (fractions of a second allowed), a date (midnight UTC) or Unix
/// seconds. Stored times are whole seconds, so a fraction rounds up: `since=…:00.5` starts at the
/// next whole second and `until=…:00.5` still takes in `…:00`, exactly as the fraction says.
pub fn instant(name: &str, raw: Option<&str>) -> Result<Option<NaiveDateTime>, ApiError> {
    raw.map(|raw| {
        parse_instant(raw).map(round_up).ok_or_else(|| {
            bad(format!(
                "Parameter `{name}` must be an RFC 3339 time (2026-03-01T09:00:00Z), \
                 a date (2026-03-01) or Unix seconds (1772355600)."
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

//! Query-string parameters of the data API. Each endpoint declares its parameters once, as a
//! struct deriving `IntoParams` (names, descriptions and types for the OpenAPI document) and
//! `Deserialize` (every field raw text). `check` refuses unknown and repeated parameters (a list
//! parameter may repeat); the functions below turn raw text into values, so that every mistake
//! becomes a 400 problem+json naming the parameter (actix's `Query` extractor would answer in
//! plain text).
use actix_web::HttpRequest;
use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use utoipa::openapi::path::Parameter;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::api::error::ApiError;
use crate::domain::feedback_import::MAX_TEXT;
use crate::domain::instants::{parse_instant, round_up};
use crate::domain::scores::day_start;
use crate::error::AppError;
use crate::repo::feedback::Filter;

pub fn bad(detail: impl Into<String>) -> ApiError {
    AppError::invalid(detail).into()
}

/// The parameters a query struct declares (`IntoParams`), by which `check` knows them.
pub fn declared<P: IntoParams>() -> Vec<Parameter> {
    P::into_params(|| Some(ParameterIn::Query))
}

/// A query string whose parameters were all declared, each given once (a list's items merged
/// into one comma-separated value): `read` deserializes any of the declaring structs from it.
pub struct Checked(String);

impl Checked {
    pub fn read<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_urlencoded::from_str(&self.0)
            .map_err(|e| bad(format!("The query string could not be read: {e}.")))
    }
}

/// Checks the query string against the parameters `declared` (by the structs an endpoint reads
/// it into), failing on malformed encoding or on a parameter that none declares or that is given
/// twice. A list parameter is described comma-separated (`group_by=month,client`), but many
/// generated clients repeat it instead (`group_by=month&group_by=client`): both forms read the
/// same.
pub fn check(req: &HttpRequest, declared: &[Parameter]) -> Result<Checked, ApiError> {
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
    let query = serde_urlencoded::to_string(&merged)
        .context("re-encoding the query string")
        .map_err(AppError::from)?;
    Ok(Checked(query))
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
/// inline)]`): one string schema, so that every generator gives it a plain string argument and
/// sends it as written (an `anyOf` of three left Go and Java clients unable to send it at all).
/// The pattern admits the three forms `instant` reads; a value it admits can still be refused
/// (the 30th of February).
pub struct TimeText;

impl PartialSchema for TimeText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(TIME_PATTERN))
            .examples(["2026-03-01T09:00:00Z", "2026-03-01", "1772355600"])
            .into()
    }
}

impl ToSchema for TimeText {}

/// RFC 3339, a date, or Unix seconds, as `domain::instants::parse_instant` reads them.
const TIME_PATTERN: &str = concat!(
    r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
    r"([Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?",
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?",
    r"|[0-9]{1,12}(\.[0-9]{1,9})?)$"
);

/// A list parameter's schema (`style = Form, explode = false`): distinct `T`s, one to `max`. `T`
/// is named (a component the document lists), so that generated clients type the items.
pub fn list_of<T: ToSchema>(max: usize) -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(Ref::from_schema_name(T::name()))
        .min_items(Some(1))
        .max_items(Some(max))
        .unique_items(true)
        .into()
}

/// The items of a list parameter's raw value (`a,b` or, repeated, merged to it by `check`),
/// each read by `parse`; an unknown or repeated item is refused with `refusal`.
pub fn items<T: PartialEq>(
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
    refusal: &str,
) -> Result<Vec<T>, ApiError> {
    let mut items: Vec<T> = Vec::new();
    for item in raw.split(',') {
        match parse(item.trim()) {
            Some(item) if !items.contains(&item) => items.push(item),
            _ => return Err(bad(refusal)),
        }
    }
    Ok(items)
}

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

/// A survey's name, as the responses carry it.
fn survey(raw: &str) -> Result<String, ApiError> {
    if raw.is_empty() || raw.chars().count() > MAX_TEXT {
        return Err(bad(format!(
            "Parameter `survey` must be a survey's name, 1 to {MAX_TEXT} characters."
        )));
    }
    Ok(raw.to_owned())
}

/// The raw filter parameters an endpoint accepts (`None` for those it does not).
#[derive(Default)]
pub struct RawFilter<'a> {
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub client: Option<&'a str>,
    pub min_score: Option<&'a str>,
    pub max_score: Option<&'a str>,
    pub survey: Option<&'a str>,
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
            survey: self.survey.map(survey).transpose()?,
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

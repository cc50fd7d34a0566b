//! Query-string parameters of the data API, parsed by hand so that every mistake becomes a 400
//! problem+json naming the parameter (actix's `Query` extractor would answer in plain text).
use actix_web::HttpRequest;
use actix_web::http::header;
use chrono::NaiveDateTime;

use crate::api::error::ApiError;
use crate::domain::feedback::parse_instant;
use crate::repo::feedback::Filter;

pub struct Params {
    pairs: Vec<(String, String)>,
    allowed: &'static [&'static str],
}

impl Params {
    /// Fails on a malformed query string, an unknown parameter or a repeated one.
    pub fn parse(req: &HttpRequest, allowed: &'static [&'static str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
            .map_err(|_| bad("The query string is not valid URL encoding."))?;
        for (i, (name, _)) in pairs.iter().enumerate() {
            if !allowed.contains(&name.as_str()) {
                return Err(bad(format!(
                    "Unknown parameter `{name}`; this endpoint accepts: {}.",
                    allowed.join(", ")
                )));
            }
            if pairs[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(bad(format!("Parameter `{name}` is given more than once.")));
            }
        }
        Ok(Self { pairs, allowed })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        debug_assert!(self.allowed.contains(&name));
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn instant(&self, name: &str) -> Result<Option<NaiveDateTime>, ApiError> {
        self.get(name)
            .map(|raw| {
                parse_instant(raw).ok_or_else(|| {
                    bad(format!(
                        "Parameter `{name}` must be an RFC 3339 time (2026-03-01T09:00:00Z) \
                         or a date (2026-03-01)."
                    ))
                })
            })
            .transpose()
    }

    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|raw| {
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

    /// `since`, `until`, `client`, `min_score`, `max_score`, as far as the endpoint allows them.
    pub fn filter(&self) -> Result<Filter, ApiError> {
        let has = |name| self.allowed.contains(&name);
        let filter = Filter {
            since: self.instant("since")?,
            until: self.instant("until")?,
            client_id: self.int("client", 1, i32::MAX.into())?.map(|n| n as i32),
            min_score: if has("min_score") {
                self.int("min_score", 0, 10)?.map(|n| n as i32)
            } else {
                None
            },
            max_score: if has("max_score") {
                self.int("max_score", 0, 10)?.map(|n| n as i32)
            } else {
                None
            },
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

    /// CSV if `format=csv` or, without `format`, if the Accept header asks for `text/csv`.
    pub fn wants_csv(&self, req: &HttpRequest) -> Result<bool, ApiError> {
        match self.get("format") {
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
}

pub fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::BadRequest(detail.into())
}

//! The parameters of `GET /api/v1/feedback` and its CSV export: which responses, in which order,
//! with which fields (`FeedbackQuery`, both operations), and the JSON listing's pages (`Paging`).
use chrono::NaiveDateTime;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::feedback::cursor;
use crate::api::feedback::item::{Columns, FieldList};
use crate::api::params::{self, RawFilter, bad};
use crate::domain::instants::SETTLE;
use crate::repo::feedback::{Cursor, Filter, Listing, Sort};

/// The order of `GET /api/v1/feedback`.
#[derive(ToSchema, Clone, Copy)]
#[schema(as = FeedbackSort, rename_all = "snake_case")]
pub enum SortParam {
    /// Newest `submitted_at` first (default).
    SubmittedAt,
    /// Oldest `updated_at` first, for incremental sync.
    UpdatedAt,
}

/// Which responses, in which order, with which fields.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    /// Only responses submitted at or after this time: RFC 3339 (`2026-03-01T09:00:00Z`;
    /// fractions of a second allowed), a date (`2026-03-01`, midnight UTC) or Unix seconds
    /// (`1772355600`).
    #[param(value_type = Option<params::TimeText>, inline)]
    since: Option<String>,
    /// Only responses submitted before this time (same forms as `since`).
    #[param(value_type = Option<params::TimeText>, inline)]
    until: Option<String>,
    /// Only responses added to Pulse or changed at or after this time (same forms as `since`),
    /// whenever they were submitted. For incremental refresh pass the `updated_at` of the last
    /// response you stored, with `sort=updated_at`.
    #[param(value_type = Option<params::TimeText>, inline)]
    updated_since: Option<String>,
    /// Only responses added or last changed before this time (same forms as `since`).
    #[param(value_type = Option<params::TimeText>, inline)]
    updated_until: Option<String>,
    /// `submitted_at` (default: newest submitted first) or `updated_at` (oldest change first;
    /// changes of the last few seconds appear on the next request, so that a refresh never
    /// skips a response that was still being saved).
    #[param(value_type = Option<SortParam>)]
    sort: Option<String>,
    /// Only this client's responses (client id).
    #[param(value_type = Option<i32>, minimum = 1)]
    client: Option<String>,
    /// Only this survey's responses (its exact name, as `survey` in a response).
    #[param(value_type = Option<String>, min_length = 1, max_length = 2000)]
    survey: Option<String>,
    /// Lowest score, 0–10.
    #[param(value_type = Option<i32>, minimum = 0, maximum = 10)]
    min_score: Option<String>,
    /// Highest score, 0–10.
    #[param(value_type = Option<i32>, minimum = 0, maximum = 10)]
    max_score: Option<String>,
    /// The fields to give, separated by commas, e.g. `submitted_at,score,comment`: in JSON each
    /// response has these (and always `id`); in CSV these are the columns, in this order.
    /// Every field by default.
    #[param(value_type = Option<FieldList>, style = Form, explode = false, inline)]
    fields: Option<String>,
}

/// The pages of the JSON listing.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page size, 1–1000 (default 100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// `next_cursor` of the previous page, with the same other parameters; empty or left out
    /// for the first page.
    cursor: Option<String>,
}

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

/// What a request selects: rows, their order and where it starts, and the fields to write.
pub struct Selection {
    pub filter: Filter,
    pub listing: Listing,
    pub columns: Columns,
}

impl FeedbackQuery {
    fn sort(&self) -> Result<Sort, ApiError> {
        let sort = match self.sort.as_deref() {
            None | Some("submitted_at") => SortParam::SubmittedAt,
            Some("updated_at") => SortParam::UpdatedAt,
            Some(_) => {
                return Err(bad(
                    "Parameter `sort` must be `submitted_at` or `updated_at`.",
                ));
            }
        };
        Ok(match sort {
            SortParam::SubmittedAt => Sort::Submitted,
            SortParam::UpdatedAt => Sort::Updated,
        })
    }

    /// Which rows, in which order (from the first), with which fields; `now` places the settle
    /// horizon of `sort=updated_at`.
    pub fn parse(&self, now: NaiveDateTime) -> Result<Selection, ApiError> {
        let filter = RawFilter {
            since: self.since.as_deref(),
            until: self.until.as_deref(),
            client: self.client.as_deref(),
            min_score: self.min_score.as_deref(),
            max_score: self.max_score.as_deref(),
            survey: self.survey.as_deref(),
            tz: None,
        }
        .parse()?;
        let sort = self.sort()?;
        let updated_since = params::instant("updated_since", self.updated_since.as_deref())?;
        let updated_until = params::instant("updated_until", self.updated_until.as_deref())?;
        if let (Some(since), Some(until)) = (updated_since, updated_until)
            && since >= until
        {
            return Err(bad(
                "Parameter `updated_until` must be later than `updated_since`.",
            ));
        }
        let horizon = (sort == Sort::Updated).then(|| now - SETTLE);
        let listing = Listing {
            sort,
            updated_since,
            updated_before: match (updated_until, horizon) {
                (Some(until), Some(horizon)) => Some(until.min(horizon)),
                (until, horizon) => until.or(horizon),
            },
            after: None,
        };
        let columns = Columns::parse(self.fields.as_deref())?;
        Ok(Selection {
            filter,
            listing,
            columns,
        })
    }
}

impl Paging {
    /// Where the page starts in `sort`'s order, and how many rows it holds.
    pub fn parse(&self, sort: Sort) -> Result<(Option<Cursor>, i64), ApiError> {
        // An empty cursor is the first page: Power Query's paging loop starts with one.
        let after = self
            .cursor
            .as_deref()
            .filter(|raw| !raw.is_empty())
            .map(|raw| cursor::decode(raw, sort))
            .transpose()?;
        let limit =
            params::int("limit", self.limit.as_deref(), 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
        Ok((after, limit))
    }
}

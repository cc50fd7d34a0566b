//! How one response is written, with the columns a request chose (`fields`): a JSON object, or a
//! CSV record.
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::api::error::ApiError;
use crate::api::format::{category, rfc3339};
use crate::api::params::{self, list_of};
use crate::domain::nps::Category;
use crate::repo::feedback::FeedbackRow;
use crate::spreadsheet::CsvOptions;

/// A field of a response, as `fields` names it.
#[derive(ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[schema(as = FeedbackField, rename_all = "snake_case")]
pub enum Field {
    Id,
    SubmittedAt,
    ClientId,
    ClientName,
    RespondentName,
    RespondentEmail,
    Score,
    Category,
    Comment,
    Survey,
    UpdatedAt,
}

impl Field {
    /// Every field, in the CSV's default column order.
    pub const ALL: [Field; 11] = [
        Field::Id,
        Field::SubmittedAt,
        Field::ClientId,
        Field::ClientName,
        Field::RespondentName,
        Field::RespondentEmail,
        Field::Score,
        Field::Category,
        Field::Comment,
        Field::Survey,
        Field::UpdatedAt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::SubmittedAt => "submitted_at",
            Field::ClientId => "client_id",
            Field::ClientName => "client_name",
            Field::RespondentName => "respondent_name",
            Field::RespondentEmail => "respondent_email",
            Field::Score => "score",
            Field::Category => "category",
            Field::Comment => "comment",
            Field::Survey => "survey",
            Field::UpdatedAt => "updated_at",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.name() == raw)
    }

    /// The field of `row` as a CSV cell; free text through the formula guard.
    fn cell(self, row: &FeedbackRow, options: CsvOptions) -> String {
        let answer = &row.answer;
        let text = |value: &str| options.text(value).into_owned();
        match self {
            Field::Id => row.id.to_string(),
            Field::SubmittedAt => rfc3339(answer.submitted_at),
            Field::ClientId => row.client_id.to_string(),
            Field::ClientName => text(&row.client_name),
            Field::RespondentName => text(&answer.respondent_name),
            Field::RespondentEmail => text(&answer.respondent_email),
            Field::Score => answer.score.to_string(),
            Field::Category => category(answer.score).to_owned(),
            Field::Comment => text(answer.comment.as_deref().unwrap_or("")),
            Field::Survey => text(&answer.survey),
            Field::UpdatedAt => rfc3339(row.updated_at),
        }
    }
}

/// The type of `fields` in the API description: distinct field names.
pub struct FieldList;

impl PartialSchema for FieldList {
    fn schema() -> RefOr<Schema> {
        list_of::<Field>(Field::ALL.len())
    }
}

impl ToSchema for FieldList {}

/// The fields a request chose, in its order; every field by default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns(Vec<Field>);

impl Default for Columns {
    fn default() -> Self {
        Self(Field::ALL.to_vec())
    }
}

impl Columns {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let Some(raw) = raw else {
            return Ok(Self::default());
        };
        let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        let refusal = format!(
            "Parameter `fields` must name fields of a response, each once, separated by \
             commas: {}.",
            names.join(", ")
        );
        Ok(Self(params::items(raw, Field::parse, &refusal)?))
    }

    fn has(&self, field: Field) -> bool {
        self.0.contains(&field)
    }

    pub fn header(&self) -> Vec<&'static str> {
        self.0.iter().map(|f| f.name()).collect()
    }

    pub fn record(&self, row: &FeedbackRow, options: CsvOptions) -> Vec<String> {
        self.0.iter().map(|f| f.cell(row, options)).collect()
    }
}

/// One feedback response: `id`, and every other field unless `fields` leaves it out.
#[derive(Serialize, ToSchema)]
pub struct FeedbackItem {
    /// Always present, whatever `fields` says: responses are merged by it.
    #[schema(minimum = 1)]
    pub id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, nullable = false)]
    pub client_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub respondent_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub respondent_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 10, nullable = false)]
    pub score: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub category: Option<Category>,
    /// `null` when the respondent left no comment; `""` is an empty one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub comment: Option<Option<String>>,
    /// The survey or round the response belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub survey: Option<String>,
    /// When the respondent answered. RFC 3339, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: Option<String>,
    /// When the response was added to Pulse or last changed (set by the database), for
    /// incremental refresh with `updated_since`. RFC 3339, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Option<String>,
}

impl FeedbackItem {
    pub fn new(row: FeedbackRow, columns: &Columns) -> Self {
        let answer = row.answer;
        let has = |field| columns.has(field);
        Self {
            id: row.id,
            client_id: has(Field::ClientId).then_some(row.client_id),
            client_name: has(Field::ClientName).then_some(row.client_name),
            category: has(Field::Category).then(|| Category::of(answer.score)),
            respondent_name: has(Field::RespondentName).then_some(answer.respondent_name),
            respondent_email: has(Field::RespondentEmail).then_some(answer.respondent_email),
            score: has(Field::Score).then_some(answer.score),
            comment: has(Field::Comment).then_some(answer.comment),
            survey: has(Field::Survey).then_some(answer.survey),
            submitted_at: has(Field::SubmittedAt).then(|| rfc3339(answer.submitted_at)),
            updated_at: has(Field::UpdatedAt).then(|| rfc3339(row.updated_at)),
        }
    }
}

//! How one response is written: a JSON object, or a CSV record.
use serde::Serialize;

use crate::api::format::{category, rfc3339};
use crate::domain::nps::Category;
use crate::repo::feedback::FeedbackRow;
use crate::spreadsheet::CsvOptions;

/// One feedback response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedbackItem {
    #[schema(minimum = 1)]
    pub id: i32,
    #[schema(minimum = 1)]
    pub client_id: i32,
    pub client_name: String,
    pub respondent_name: String,
    pub respondent_email: String,
    #[schema(minimum = 0, maximum = 10)]
    pub score: i32,
    pub category: Category,
    /// `null` when the respondent left no comment; `""` is an empty one.
    pub comment: Option<String>,
    /// The survey or round the response belongs to.
    pub survey: String,
    /// When the respondent answered. RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: String,
    /// When the response was added to Pulse or last changed (set by the database), for
    /// incremental refresh with `updated_since`. RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: String,
}

impl From<FeedbackRow> for FeedbackItem {
    fn from(row: FeedbackRow) -> Self {
        let answer = row.answer;
        Self {
            id: row.id,
            client_id: row.client_id,
            client_name: row.client_name,
            category: Category::of(answer.score),
            respondent_name: answer.respondent_name,
            respondent_email: answer.respondent_email,
            score: answer.score,
            comment: answer.comment,
            survey: answer.survey,
            submitted_at: rfc3339(answer.submitted_at),
            updated_at: rfc3339(row.updated_at),
        }
    }
}

pub const CSV_HEADER: [&str; 11] = [
    "id",
    "submitted_at",
    "client_id",
    "client_name",
    "respondent_name",
    "respondent_email",
    "score",
    "category",
    "comment",
    "survey",
    "updated_at",
];

pub fn csv_record(row: &FeedbackRow, options: CsvOptions) -> [String; 11] {
    let answer = &row.answer;
    let text = |value: &str| options.text(value).into_owned();
    [
        row.id.to_string(),
        rfc3339(answer.submitted_at),
        row.client_id.to_string(),
        text(&row.client_name),
        text(&answer.respondent_name),
        text(&answer.respondent_email),
        answer.score.to_string(),
        category(answer.score).to_owned(),
        text(answer.comment.as_deref().unwrap_or("")),
        text(&answer.survey),
        rfc3339(row.updated_at),
    ]
}

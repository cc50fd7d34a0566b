//! What `GET /api/v1/scores` answers: the overall score and its groups.
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::format::Score;
use crate::domain::scores::{Group, Summary};

/// One group: a period (with its first day and the day after it), a client, a survey, or a
/// combination, as `group_by` asked.
#[derive(Serialize, ToSchema)]
pub struct ScoreGroup {
    /// The month (`2026-03`) or quarter (`2026-Q1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub period: Option<String>,
    /// The period's first day, in `tz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub period_start: Option<NaiveDate>,
    /// The first day after the period: `since=period_start&until=period_end` selects it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub period_end: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 1)]
    pub client_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub survey: Option<String>,
    #[serde(flatten)]
    pub score: Score,
}

#[derive(Serialize, ToSchema)]
pub struct Scores {
    /// The time zone of the periods.
    pub tz: String,
    pub overall: Score,
    /// Present with `group_by`. With a period: every period from the first to the last of the
    /// range (from the first response, up to now, when `since`/`until` are not given), empty ones
    /// with zero counts and `nps: null`, for each client/survey that has responses. Without one:
    /// the clients/surveys that have responses. Ordered by period, client name, survey.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub groups: Option<Vec<ScoreGroup>>,
}

impl From<Group> for ScoreGroup {
    fn from(group: Group) -> Self {
        let (client_id, client_name) = group.client.unzip();
        Self {
            period_start: group.period.as_ref().map(|p| p.start),
            period_end: group.period.as_ref().map(|p| p.end),
            period: group.period.map(|p| p.label),
            client_id,
            client_name,
            survey: group.survey,
            score: group.counts.into(),
        }
    }
}

impl Scores {
    pub fn new(summary: Summary, tz: Tz) -> Self {
        Self {
            tz: tz.name().to_owned(),
            overall: summary.overall.into(),
            groups: summary
                .groups
                .map(|groups| groups.into_iter().map(ScoreGroup::from).collect()),
        }
    }
}

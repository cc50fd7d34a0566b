//! How the API writes values, shared by every endpoint: times, NPS scores and their CSV cells.
use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serialize;

use crate::domain::nps::{Category, Counts};

/// RFC 3339 in UTC with whole seconds, e.g. `2026-03-01T09:00:00Z`.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn category(score: i32) -> &'static str {
    match Category::of(score) {
        Category::Promoter => "promoter",
        Category::Passive => "passive",
        Category::Detractor => "detractor",
    }
}

/// Counts of responses by category and the NPS they give.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Score {
    #[serde(flatten)]
    pub counts: Counts,
    /// % promoters − % detractors, −100 to 100, one decimal place rounded half away from zero;
    /// `null` when there are no responses.
    pub nps: Option<f64>,
}

impl From<Counts> for Score {
    fn from(counts: Counts) -> Self {
        Self {
            nps: counts.nps(),
            counts,
        }
    }
}

impl Score {
    /// The CSV header of `csv_cells`.
    pub const CSV_HEADER: [&'static str; 5] =
        ["responses", "promoters", "passives", "detractors", "nps"];

    /// The counts and NPS as CSV cells; no responses gives an empty NPS cell.
    pub fn csv_cells(&self) -> Vec<String> {
        let c = &self.counts;
        let mut cells: Vec<String> = [c.responses, c.promoters, c.passives, c.detractors]
            .iter()
            .map(i64::to_string)
            .collect();
        cells.push(self.nps.map(|n| format!("{n:.1}")).unwrap_or_default());
        cells
    }
}

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

/// Counts of responses by category, their shares and the NPS they give.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Score {
    #[serde(flatten)]
    pub counts: Counts,
    /// % promoters − % detractors, −100 to 100, one decimal place rounded half away from zero;
    /// `null` when there are no responses.
    #[schema(required = true, minimum = -100, maximum = 100)]
    pub nps: Option<f64>,
    /// Share of promoters (9–10), 0 to 100 with one decimal place; `null` without responses.
    /// Rounded separately, so the three shares may add up to 99.9 or 100.1.
    #[schema(required = true, minimum = 0, maximum = 100)]
    pub promoter_percent: Option<f64>,
    /// Share of passives (7–8), like `promoter_percent`.
    #[schema(required = true, minimum = 0, maximum = 100)]
    pub passive_percent: Option<f64>,
    /// Share of detractors (0–6), like `promoter_percent`.
    #[schema(required = true, minimum = 0, maximum = 100)]
    pub detractor_percent: Option<f64>,
}

impl From<Counts> for Score {
    fn from(counts: Counts) -> Self {
        Self {
            nps: counts.nps(),
            promoter_percent: counts.percent(counts.promoters),
            passive_percent: counts.percent(counts.passives),
            detractor_percent: counts.percent(counts.detractors),
            counts,
        }
    }
}

impl Score {
    /// The CSV header of `csv_cells`.
    pub const CSV_HEADER: [&'static str; 8] = [
        "responses",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "promoter_percent",
        "passive_percent",
        "detractor_percent",
    ];

    /// The counts, NPS and shares as CSV cells; no responses gives empty NPS and share cells.
    pub fn csv_cells(&self) -> Vec<String> {
        let c = &self.counts;
        let mut cells: Vec<String> = [c.responses, c.promoters, c.passives, c.detractors]
            .iter()
            .map(i64::to_string)
            .collect();
        let decimals = [
            self.nps,
            self.promoter_percent,
            self.passive_percent,
            self.detractor_percent,
        ];
        cells.extend(
            decimals
                .iter()
                .map(|n| n.map(|n| format!("{n:.1}")).unwrap_or_default()),
        );
        cells
    }
}

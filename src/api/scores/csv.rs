//! Scores as CSV: one row per group (or one overall row), the grouping's keys first.
use actix_web::web;
use chrono::NaiveDate;

use crate::api::format::Score;
use crate::api::scores::model::Scores;
use crate::domain::scores::Grouping;
use crate::error::AppError;
use crate::spreadsheet::{self as csv, CsvOptions};

/// One row per group (or a single overall row): the grouping's keys first, then the score.
pub fn scores_csv(
    scores: &Scores,
    grouping: Option<Grouping>,
    options: CsvOptions,
) -> Result<web::Bytes, AppError> {
    let (Some(groups), Some(grouping)) = (&scores.groups, grouping) else {
        return csv::encode(Some(&Score::CSV_HEADER), [scores.overall.csv_cells()]);
    };
    let mut header: Vec<&str> = Vec::new();
    if grouping.period.is_some() {
        header.extend(["period", "period_start", "period_end"]);
    }
    if grouping.client {
        header.extend(["client_id", "client_name"]);
    }
    if grouping.survey {
        header.push("survey");
    }
    header.extend(Score::CSV_HEADER);
    let text = |value: &Option<String>| options.text(value.as_deref().unwrap_or("")).into_owned();
    let day = |value: Option<NaiveDate>| value.map(|d| d.to_string()).unwrap_or_default();
    let rows = groups.iter().map(|g| {
        let mut row = Vec::new();
        if grouping.period.is_some() {
            row.extend([text(&g.period), day(g.period_start), day(g.period_end)]);
        }
        if grouping.client {
            let id = g.client_id.map(|id| id.to_string()).unwrap_or_default();
            row.extend([id, text(&g.client_name)]);
        }
        if grouping.survey {
            row.push(text(&g.survey));
        }
        row.extend(g.score.csv_cells());
        row
    });
    csv::encode(Some(&header), rows)
}

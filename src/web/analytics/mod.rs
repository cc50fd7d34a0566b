//! The "Analytics" page: the last twelve calendar months (UTC) — NPS per month and the shares of
//! promoters, passives and detractors as server-rendered SVG charts, the counts as a table, the
//! same as a CSV download, and the API request that gives the same numbers.
mod chart;

use actix_web::{HttpResponse, web};
use anyhow::Context;
use askama::Template;
use chrono::{Datelike, Months, NaiveDate};

use crate::auth::extractors::OrgManager;
use crate::domain::nps::Counts;
use crate::domain::scores;
use crate::error::AppError;
use crate::repo::clients;
use crate::repo::feedback::{Filter, Period};
use crate::spreadsheet::{self, CsvOptions};
use crate::state::AppState;
use crate::web::error::{WebError, render};
use crate::web::layout::Nav;
use chart::{MonthView, Tick};

#[derive(Template)]
#[template(path = "orgs/analytics.html")]
struct AnalyticsPage {
    nav: Option<Nav>,
    name: String,
    slug: String,
    months: Vec<MonthView>,
    points: String,
    nps_ticks: Vec<Tick>,
    share_ticks: Vec<Tick>,
    description: String,
    overall: Option<String>,
    /// With thousands separators.
    responses: String,
    /// The window, for people (`1 December 2025 – 30 November 2026`) and as API parameters.
    window: String,
    since: String,
    until: String,
    /// (id, name, selected) for the client picker; none selected means all clients.
    clients: Vec<(i32, String, bool)>,
    client_id: Option<i32>,
}

#[derive(serde::Deserialize)]
pub struct AnalyticsQuery {
    client: Option<String>,
}

impl AnalyticsQuery {
    /// The client picked, or none for all clients.
    fn client_id(&self) -> Result<Option<i32>, AppError> {
        match self.client.as_deref() {
            None | Some("") => Ok(None),
            Some(raw) => raw
                .parse::<i32>()
                .map(Some)
                .map_err(|_| AppError::invalid("The client to show is not valid.")),
        }
    }
}

/// The twelve calendar months ending with `today`'s: [first day, first day after).
fn window(today: NaiveDate) -> Result<(NaiveDate, NaiveDate), AppError> {
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1);
    let first = this_month.and_then(|d| d.checked_sub_months(Months::new(11)));
    let end = this_month.and_then(|d| d.checked_add_months(Months::new(1)));
    Ok(first.zip(end).context("the analytics window")?)
}

/// What both the page and its CSV show.
struct Shown {
    first: NaiveDate,
    end: NaiveDate,
    months: Vec<MonthView>,
    overall: Counts,
    clients: Vec<clients::Client>,
}

async fn shown(
    state: &web::Data<AppState>,
    org_id: i32,
    client_id: Option<i32>,
) -> Result<Shown, AppError> {
    let (first, end) = window(state.clock.now().date())?;
    // Queries are scoped to this organisation, so another organisation's client id shows nothing.
    let filter = Filter {
        since: first.and_hms_opt(0, 0, 0),
        until: end.and_hms_opt(0, 0, 0),
        client_id,
        ..Filter::default()
    };
    let (rows, clients) = state
        .db
        .run(move |conn| {
            let rows = scores::by_period(conn, org_id, &filter, Period::Month)?;
            Ok((rows, clients::list(conn, org_id)?))
        })
        .await?;
    Ok(Shown {
        months: chart::months(&rows, first),
        first,
        end,
        // The window is whole months, so its months add up to it.
        overall: rows.iter().map(|(_, counts)| *counts).sum(),
        clients,
    })
}

pub async fn show(
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    query: web::Query<AnalyticsQuery>,
) -> Result<HttpResponse, WebError> {
    let client_id = query.client_id()?;
    let shown = shown(&state, member.org.id, client_id).await?;
    let last_day = shown.end.pred_opt().unwrap_or(shown.end);
    render(&AnalyticsPage {
        nav: Some(Nav::for_member(&member, &state).await?),
        name: member.org.name,
        slug: member.org.slug,
        points: chart::polyline(&shown.months),
        description: chart::describe(&shown.months),
        nps_ticks: chart::ticks(100, -100, 4, ""),
        share_ticks: chart::ticks(100, 0, 4, " %"),
        overall: shown.overall.nps().map(chart::signed),
        responses: chart::thousands(shown.overall.responses),
        window: format!(
            "{} – {}",
            shown.first.format("%-d %B %Y"),
            last_day.format("%-d %B %Y")
        ),
        since: shown.first.format("%Y-%m-%d").to_string(),
        until: shown.end.format("%Y-%m-%d").to_string(),
        months: shown.months,
        clients: shown
            .clients
            .into_iter()
            .map(|c| (c.id, c.name, Some(c.id) == client_id))
            .collect(),
        client_id,
    })
}

/// A client's name as part of a file name: lower-case letters and digits, `-` between words.
fn file_part(name: &str) -> String {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        "client".to_owned()
    } else {
        words.join("-")
    }
}

const CSV_HEADER: [&str; 9] = [
    "month",
    "responses",
    "promoters",
    "passives",
    "detractors",
    "promoter_percent",
    "passive_percent",
    "detractor_percent",
    "nps",
];

/// `GET /orgs/{slug}/analytics/export`: the page's table as CSV, with a BOM so that a
/// spreadsheet opening the download reads it as UTF-8.
pub async fn export(
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    query: web::Query<AnalyticsQuery>,
) -> Result<HttpResponse, WebError> {
    let client_id = query.client_id()?;
    let shown = shown(&state, member.org.id, client_id).await?;
    let rows = shown.months.iter().map(|m| {
        let c = &m.counts;
        let mut row = vec![m.period.clone()];
        row.extend([c.responses, c.promoters, c.passives, c.detractors].map(|n| n.to_string()));
        row.extend(m.shares.clone().unwrap_or_default());
        row.push(m.nps.clone().unwrap_or_default());
        row
    });
    let options = CsvOptions {
        bom: true,
        ..CsvOptions::default()
    };
    // A client's download says whose it is: `acme-analytics-globex-inc-2026-12-02.csv`.
    let client = client_id.and_then(|id| shown.clients.iter().find(|c| c.id == id));
    let what = match client {
        Some(client) => format!("analytics-{}", file_part(&client.name)),
        None => "analytics".to_owned(),
    };
    let name = spreadsheet::filename(&member.org.slug, &what, state.clock.now().date());
    let table = spreadsheet::encode(Some(&CSV_HEADER), rows)?;
    let (mut response, body) = spreadsheet::whole(&name, options, table);
    Ok(response.body(body))
}

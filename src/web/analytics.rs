//! The "Analytics" page: NPS per month over the last year as a server-rendered SVG chart (no
//! script, no inline style: CSP forbids both) and the category counts behind it as a table.
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
use crate::state::AppState;
use crate::web::error::{WebError, render};
use crate::web::layout::Nav;

const WIDTH: f64 = 640.0;
const TOP: f64 = 20.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 48.0;

/// One month: its label, counts, and where the chart draws it.
pub struct MonthView {
    pub label: String,
    pub counts: Counts,
    pub nps: Option<String>,
    pub x: String,
    pub y: Option<String>,
    /// Heights of the stacked promoter/passive/detractor bar segments, top to bottom, and their y.
    pub bars: [(String, String); 3],
}

#[derive(Template)]
#[template(path = "orgs/analytics.html")]
struct AnalyticsPage {
    nav: Option<Nav>,
    name: String,
    slug: String,
    months: Vec<MonthView>,
    points: String,
    overall: Option<String>,
    responses: i64,
    /// (id, name, selected) for the client picker; none selected means all clients.
    clients: Vec<(i32, String, bool)>,
    all_selected: bool,
}

#[derive(serde::Deserialize)]
pub struct AnalyticsQuery {
    client: Option<String>,
}

/// y coordinate of an NPS value: 100 at the top, −100 at the bottom.
fn y_of(nps: f64) -> f64 {
    TOP + (100.0 - nps) / 200.0 * HEIGHT
}

fn months_view(rows: Vec<(String, Counts)>, first: NaiveDate) -> Vec<MonthView> {
    let step = (WIDTH - LEFT) / 12.0;
    (0..12)
        .map(|i| {
            let month = first + Months::new(i);
            let label = format!("{:04}-{:02}", month.year(), month.month());
            let counts = rows
                .iter()
                .find(|(l, _)| *l == label)
                .map(|(_, c)| *c)
                .unwrap_or_default();
            let x = LEFT + step * (f64::from(i) + 0.5);
            let total = counts.responses.max(1) as f64;
            let mut top = TOP;
            let bars = [counts.promoters, counts.passives, counts.detractors].map(|n| {
                let h = n as f64 / total * HEIGHT;
                let seg = (format!("{top:.1}"), format!("{h:.1}"));
                top += h;
                seg
            });
            MonthView {
                nps: counts.nps().map(|n| format!("{n:.1}")),
                y: counts.nps().map(|n| format!("{:.1}", y_of(n))),
                x: format!("{x:.1}"),
                label,
                counts,
                bars,
            }
        })
        .collect()
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

/// The first day of the month eleven months before `today`'s: the chart's twelve months.
fn first_month(today: NaiveDate) -> Result<NaiveDate, AppError> {
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
        .and_then(|d| d.checked_sub_months(Months::new(11)))
        .context("the first month of the chart")?;
    Ok(first)
}

pub async fn show(
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    query: web::Query<AnalyticsQuery>,
) -> Result<HttpResponse, WebError> {
    let client_id = query.client_id()?;
    let first = first_month(state.clock.now().date())?;
    // Queries are scoped to this organisation, so another organisation's client id shows nothing.
    let filter = Filter {
        since: first.and_hms_opt(0, 0, 0),
        client_id,
        ..Filter::default()
    };
    let org_id = member.org.id;
    let (rows, overall, clients) = state
        .db
        .run(move |conn| {
            let rows = scores::by_period(conn, org_id, &filter, Period::Month)?;
            let overall = scores::totals(conn, org_id, &filter)?;
            Ok((rows, overall, clients::list(conn, org_id)?))
        })
        .await?;
    let months = months_view(rows, first);
    render(&AnalyticsPage {
        nav: Some(Nav::for_member(&member)),
        name: member.org.name,
        slug: member.org.slug,
        points: polyline(&months),
        months,
        overall: overall.nps().map(|n| format!("{n:.1}")),
        responses: overall.responses,
        all_selected: client_id.is_none(),
        clients: clients
            .into_iter()
            .map(|c| (c.id, c.name, Some(c.id) == client_id))
            .collect(),
    })
}

/// The NPS line through the months that have a score, as SVG `points`.
fn polyline(months: &[MonthView]) -> String {
    months
        .iter()
        .filter_map(|m| m.y.as_ref().map(|y| format!("{},{y}", m.x)))
        .collect::<Vec<_>>()
        .join(" ")
}

//! The list on `/staff/orgs`: the search and filter form, one page of organisations with their
//! token state, and links to the other pages that keep the search and filters.
use serde::Deserialize;

use crate::domain::orgs_console::{self, Listing, Query, RawQuery, TokenState};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::time::TimeView;

/// The query string of `/staff/orgs`.
#[derive(Deserialize, Default)]
pub struct ConsoleQuery {
    /// The organisation just created.
    pub created: Option<String>,
    q: Option<String>,
    api: Option<String>,
    token: Option<String>,
    requested: Option<String>,
    page: Option<String>,
}

impl ConsoleQuery {
    pub fn parse(&self) -> Result<Query, AppError> {
        Query::parse(&RawQuery {
            q: self.q.as_deref(),
            api: self.api.as_deref(),
            token: self.token.as_deref(),
            requested: self.requested.as_deref(),
            page: self.page.as_deref(),
        })
    }
}

pub struct RowView {
    pub name: String,
    pub slug: String,
    pub api_enabled: bool,
    pub state: &'static str,
    pub state_label: &'static str,
    pub requested_at: Option<TimeView>,
}

/// A choice of a filter's `<select>`: (value, label, selected).
pub type Choice = (&'static str, &'static str, bool);

pub struct ConsoleView {
    pub search: String,
    pub api_choices: Vec<Choice>,
    pub token_choices: Vec<Choice>,
    pub requested: bool,
    pub filtered: bool,
    pub rows: Vec<RowView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

fn page_url(query: &Query, page: i64) -> String {
    let mut pairs = query.pairs();
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    match serde_urlencoded::to_string(&pairs).unwrap_or_default() {
        encoded if encoded.is_empty() => "/staff/orgs".to_owned(),
        encoded => format!("/staff/orgs?{encoded}"),
    }
}

impl ConsoleView {
    pub fn new(query: &Query, listing: Listing) -> Self {
        let api_choices = vec![
            ("", "Any", query.api_enabled.is_none()),
            ("on", "On", query.api_enabled == Some(true)),
            ("off", "Off", query.api_enabled == Some(false)),
        ];
        let token_choices = std::iter::once(("", "Any", query.token_state.is_none()))
            .chain(
                TokenState::ALL
                    .into_iter()
                    .map(|s| (s.as_str(), s.label(), query.token_state == Some(s))),
            )
            .collect();
        let rows = listing
            .rows
            .into_iter()
            .map(|listed| RowView {
                api_enabled: listed.row.org.api_enabled(),
                name: listed.row.org.name,
                slug: listed.row.org.slug,
                state: listed.token_state.as_str(),
                state_label: listed.token_state.label(),
                requested_at: listed.row.requested_at.map(TimeView::from),
            })
            .collect();
        ConsoleView {
            search: query.search.clone(),
            api_choices,
            token_choices,
            requested: query.requested,
            filtered: !query.pairs().is_empty(),
            rows,
            total: listing.total,
            page: listing.page,
            pages: listing.pages,
            previous: (listing.page > 1).then(|| page_url(query, listing.page - 1)),
            next: (listing.page < listing.pages).then(|| page_url(query, listing.page + 1)),
        }
    }

    /// Reads the page `query` asks for.
    pub async fn load(state: &AppState, query: Query) -> Result<Self, AppError> {
        let now = state.clock.now();
        let asked = query.clone();
        let listing = state
            .db
            .run(move |conn| orgs_console::list(conn, &asked, now))
            .await?;
        Ok(ConsoleView::new(&query, listing))
    }
}

//! What the staff console lists: organisations found by name, slug or a member's email,
//! filtered by API access, token state and open requests for API access, 50 to a page.
use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::api_tokens::expiry_warning;
use crate::error::AppError;
use crate::repo::orgs_console::{self, Filter, Row};

pub const PAGE_SIZE: i64 = 50;
/// The longest search, in characters.
pub const SEARCH_MAX: usize = 254;

/// Where an organisation's API token stands (the first that applies, in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    /// A token was reported exposed in public, and none was generated since.
    Exposed,
    /// No token: never generated, or revoked.
    None,
    Expired,
    /// Regenerated: the replaced token keeps working for its grace period.
    InGrace,
    /// Expires within `api_tokens::expiry_warning` (14 days).
    Expiring,
    Working,
}

impl TokenState {
    pub const ALL: [TokenState; 6] = [
        TokenState::None,
        TokenState::Working,
        TokenState::InGrace,
        TokenState::Expiring,
        TokenState::Expired,
        TokenState::Exposed,
    ];

    /// Its name in URLs and in the query.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Exposed => orgs_console::EXPOSED,
            TokenState::None => orgs_console::NO_TOKEN,
            TokenState::Expired => orgs_console::EXPIRED,
            TokenState::InGrace => orgs_console::IN_GRACE,
            TokenState::Expiring => orgs_console::EXPIRING,
            TokenState::Working => orgs_console::WORKING,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TokenState::Exposed => "Reported exposed",
            TokenState::None => "No token",
            TokenState::Expired => "Expired",
            TokenState::InGrace => "In grace period",
            TokenState::Expiring => "Expiring within 14 days",
            TokenState::Working => "Working",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }
}

/// The console's query, checked. The default is the first page of every organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub search: String,
    pub api_enabled: Option<bool>,
    pub token_state: Option<TokenState>,
    pub requested: bool,
    /// From 1.
    pub page: i64,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            search: String::new(),
            api_enabled: None,
            token_state: None,
            requested: false,
            page: 1,
        }
    }
}

/// The query as it comes from the page's form and links.
#[derive(Clone, Debug, Default)]
pub struct RawQuery<'a> {
    pub q: Option<&'a str>,
    pub api: Option<&'a str>,
    pub token: Option<&'a str>,
    pub requested: Option<&'a str>,
    pub page: Option<&'a str>,
}

impl Query {
    /// Checks every part; a mistake is `Invalid`, naming the part.
    pub fn parse(raw: &RawQuery) -> Result<Self, AppError> {
        let search = raw.q.unwrap_or_default().trim().to_owned();
        if search.chars().count() > SEARCH_MAX {
            return Err(AppError::invalid(format!(
                "The search is too long: at most {SEARCH_MAX} characters."
            )));
        }
        let api_enabled = match raw.api.unwrap_or_default() {
            "" => None,
            "on" => Some(true),
            "off" => Some(false),
            _ => return Err(AppError::invalid("API access must be on, off or empty.")),
        };
        let token_state = match raw.token.unwrap_or_default() {
            "" => None,
            other => Some(TokenState::parse(other).ok_or_else(|| {
                AppError::invalid(
                    "The token state must be none, working, grace, expiring, expired or exposed.",
                )
            })?),
        };
        let requested = match raw.requested.unwrap_or_default() {
            "" => false,
            "on" => true,
            _ => return Err(AppError::invalid("requested must be on or empty.")),
        };
        let page = match raw.page.unwrap_or_default() {
            "" => 1,
            other => other
                .parse::<i64>()
                .ok()
                .filter(|page| (1..=1_000_000).contains(page))
                .ok_or_else(|| AppError::invalid("The page must be a whole number from 1."))?,
        };
        Ok(Query {
            search,
            api_enabled,
            token_state,
            requested,
            page,
        })
    }

    /// The query's parts for a link, leaving out empty ones; `page` from the caller.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if !self.search.is_empty() {
            pairs.push(("q", self.search.clone()));
        }
        if let Some(enabled) = self.api_enabled {
            pairs.push(("api", if enabled { "on" } else { "off" }.to_owned()));
        }
        if let Some(state) = self.token_state {
            pairs.push(("token", state.as_str().to_owned()));
        }
        if self.requested {
            pairs.push(("requested", "on".to_owned()));
        }
        pairs
    }

    fn filter(&self) -> Filter {
        Filter {
            search: Some(self.search.to_lowercase()).filter(|s| !s.is_empty()),
            api_enabled: self.api_enabled,
            token_state: self.token_state.map(TokenState::as_str),
            requested: self.requested,
        }
    }
}

/// One organisation in the list.
pub struct Listed {
    pub row: Row,
    pub token_state: TokenState,
}

/// One page of the list.
pub struct Listing {
    pub rows: Vec<Listed>,
    /// How many organisations match in all.
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The page `query` asks for, with the token states at `now`.
pub fn list(conn: &mut DbConn, query: &Query, now: NaiveDateTime) -> Result<Listing, AppError> {
    let filter = query.filter();
    let at = (now, now + expiry_warning());
    let total = orgs_console::count(conn, &filter, at)?;
    let offset = (query.page - 1) * PAGE_SIZE;
    let rows = orgs_console::page(conn, &filter, (offset, PAGE_SIZE), at)?
        .into_iter()
        .map(|row| {
            let token_state = TokenState::parse(&row.token_state)
                .ok_or_else(|| anyhow::anyhow!("unknown token state {:?}", row.token_state))?;
            Ok(Listed { row, token_state })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(Listing {
        rows,
        total,
        page: query.page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_checked_and_gives_back_the_parts_it_has() {
        let raw = RawQuery {
            q: Some("  Acme "),
            api: Some("off"),
            token: Some("grace"),
            requested: Some("on"),
            page: Some("3"),
        };
        let query = Query::parse(&raw).unwrap();
        assert_eq!(query.page, 3);
        assert_eq!(query.token_state, Some(TokenState::InGrace));
        assert_eq!(
            query.pairs(),
            [
                ("q", "Acme".to_owned()),
                ("api", "off".to_owned()),
                ("token", "grace".to_owned()),
                ("requested", "on".to_owned()),
            ]
        );
        assert_eq!(
            Query::parse(&RawQuery::default()).unwrap(),
            Query::default()
        );
        assert_eq!(Query::default().page, 1);
        for bad in [
            RawQuery {
                api: Some("yes"),
                ..RawQuery::default()
            },
            RawQuery {
                token: Some("leaked"),
                ..RawQuery::default()
            },
            RawQuery {
                page: Some("0"),
                ..RawQuery::default()
            },
            RawQuery {
                page: Some("-2"),
                ..RawQuery::default()
            },
        ] {
            assert!(Query::parse(&bad).is_err(), "{bad:?}");
        }
    }
}

//! What the API authentication screen and its confirmation step show, built from the domain's
//! `Screen`.
use askama::Template;
use chrono::NaiveDateTime;

use crate::domain::api_tokens::screen::{ActiveToken, Screen};
use crate::domain::api_tokens::{
    TOKEN_COPIED, TOKEN_FIRST_USED, TOKEN_GENERATED, TOKEN_REGENERATED, TOKEN_REVEALED,
};
use crate::domain::organisations::{API_ACCESS_DISABLED, API_ACCESS_ENABLED};
use crate::domain::token::PlainToken;
use crate::repo::api_tokens::ApiToken;
use crate::repo::audit::AuditEntry;
use crate::web::layout::Nav;
use crate::web::time::TimeView;

pub struct TokenView {
    pub id: i32,
    pub prefix: String,
    pub created_at: TimeView,
    pub created_by: String,
    pub last_used: Option<TimeView>,
}

impl From<&ActiveToken> for TokenView {
    fn from(active: &ActiveToken) -> Self {
        let token = &active.record;
        TokenView {
            id: token.id,
            prefix: token.display_prefix.clone(),
            created_at: token.created_at.into(),
            created_by: active
                .created_by
                .clone()
                .unwrap_or_else(|| "(deleted user)".into()),
            last_used: token.last_used_at.map(TimeView::from),
        }
    }
}

/// The token in full, for its generator during the window.
pub struct Revealed {
    pub plaintext: String,
    pub until: TimeView,
    pub seconds_left: i64,
    /// First display right after Generate/Regenerate (not a reveal for the history).
    pub fresh: bool,
}

impl Revealed {
    pub fn new(plain: &PlainToken, token: &ApiToken, fresh: bool, now: NaiveDateTime) -> Self {
        Revealed {
            plaintext: plain.expose().to_owned(),
            until: token.reveal_until.into(),
            // Rounded up: the page's countdown must not end before the server stops revealing.
            seconds_left: ((token.reveal_until - now).num_milliseconds().max(0) + 999) / 1000,
            fresh,
        }
    }
}

pub struct GraceView {
    pub prefix: String,
    pub until: TimeView,
}

pub struct HistoryView {
    pub what: &'static str,
    pub detail: String,
    pub who: String,
    pub from: String,
    pub at: TimeView,
}

impl From<AuditEntry> for HistoryView {
    fn from(entry: AuditEntry) -> Self {
        HistoryView {
            what: match entry.action.as_str() {
                TOKEN_GENERATED => "Token generated",
                TOKEN_REGENERATED => "Token regenerated",
                TOKEN_REVEALED => "Token revealed again",
                TOKEN_COPIED => "Token copied",
                TOKEN_FIRST_USED => "Token first used by the API",
                API_ACCESS_ENABLED => "API access enabled",
                API_ACCESS_DISABLED => "API access disabled",
                _ => "Other",
            },
            detail: entry.detail,
            who: match (entry.actor_name, entry.action.as_str()) {
                (Some(name), _) => name,
                (None, TOKEN_FIRST_USED) => "API client".into(),
                (None, _) => "(deleted user)".into(),
            },
            from: entry.client_addr.unwrap_or_default(),
            at: entry.created_at.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "orgs/api.html")]
pub struct ApiPage {
    pub nav: Option<Nav>,
    pub csrf_token: String,
    pub name: String,
    pub slug: String,
    pub api_enabled: bool,
    pub reveal_minutes: i64,
    pub token: Option<TokenView>,
    pub revealed: Option<Revealed>,
    pub in_grace: Vec<GraceView>,
    pub history: Vec<HistoryView>,
    pub error: Option<String>,
}

/// The screen's parts that come from the database.
pub struct ScreenParts {
    pub token: Option<TokenView>,
    pub in_grace: Vec<GraceView>,
    pub history: Vec<HistoryView>,
}

impl From<Screen> for ScreenParts {
    fn from(screen: Screen) -> Self {
        ScreenParts {
            token: screen.token.as_ref().map(TokenView::from),
            in_grace: screen
                .in_grace
                .into_iter()
                .filter_map(|t| {
                    Some(GraceView {
                        prefix: t.display_prefix,
                        until: t.expires_at?.into(),
                    })
                })
                .collect(),
            history: screen.history.into_iter().map(HistoryView::from).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "orgs/api_regenerate.html")]
pub struct RegeneratePage {
    pub nav: Option<Nav>,
    pub csrf_token: String,
    pub name: String,
    pub slug: String,
    pub token: TokenView,
}

//! What the API authentication screen, its review pages and the staff support view show,
//! built from the domain's `Screen`.
use chrono::NaiveDateTime;

use crate::domain::access_requests;
use crate::domain::api_tokens::screen::{HistoryPage, Screen, TokenDetails};
use crate::domain::api_tokens::{
    TOKEN_COPIED, TOKEN_EXPOSED, TOKEN_FIRST_USED, TOKEN_GENERATED, TOKEN_GRACE_ENDED,
    TOKEN_REGENERATED, TOKEN_REVEALED, TOKEN_REVOKED, expiry_warning,
};
use crate::domain::organisations::{API_ACCESS_DISABLED, API_ACCESS_ENABLED};
use crate::domain::token::PlainToken;
use crate::domain::user_agent;
use crate::error::{AppError, in_words};
use crate::repo::audit::{AuditEntry, HistoryCursor};
use crate::repo::token_clients::TokenClient;
use crate::web::time::TimeView;

/// One client that used a token.
pub struct ClientView {
    /// A readable name, e.g. "Power BI / Excel (Power Query)".
    pub name: String,
    pub user_agent: String,
    pub addr: String,
    pub first_seen: TimeView,
    pub last_seen: TimeView,
}

impl From<&TokenClient> for ClientView {
    fn from(client: &TokenClient) -> Self {
        ClientView {
            name: user_agent::describe(&client.user_agent),
            user_agent: client.user_agent.clone(),
            addr: client.client_addr.clone(),
            first_seen: client.first_seen.into(),
            last_seen: client.last_seen.into(),
        }
    }
}

pub struct TokenView {
    pub id: i32,
    pub prefix: String,
    pub created_at: TimeView,
    pub created_by: String,
    pub last_used: Option<TimeView>,
    pub expires: Option<TimeView>,
    /// Expired already (the API refuses it; it stays listed until replaced or revoked).
    pub expired: bool,
    /// Expires within `expiry_warning`.
    pub expiring_soon: bool,
    /// Until when owners and admins may still reveal it (inside its reveal window).
    pub revealable: Option<Countdown>,
    /// For a token in its grace period: when it stops.
    pub grace_until: Option<TimeView>,
    pub clients: Vec<ClientView>,
}

impl TokenView {
    pub fn new(token: &TokenDetails, now: NaiveDateTime) -> Self {
        let record = &token.record;
        TokenView {
            id: record.id,
            prefix: record.display_prefix.clone(),
            created_at: record.created_at.into(),
            created_by: token
                .created_by
                .clone()
                .unwrap_or_else(|| "(deleted user)".into()),
            last_used: record.last_used_at.map(TimeView::from),
            expires: record.expires_at.map(TimeView::from),
            expired: record.expires_at.is_some_and(|at| at <= now),
            expiring_soon: record
                .expires_at
                .is_some_and(|at| at > now && at - now <= expiry_warning()),
            revealable: (now < record.reveal_until && record.reveal_ciphertext.is_some())
                .then(|| Countdown::new(record.reveal_until, now)),
            grace_until: record.grace_until.map(TimeView::from),
            clients: token.clients.iter().map(ClientView::from).collect(),
        }
    }
}

/// The end of a token's reveal window, for the page's countdown.
pub struct Countdown {
    pub until: TimeView,
    pub seconds_left: i64,
    /// The time left as people say it ("5 minutes"), for a page without its script.
    pub left: String,
}

impl Countdown {
    pub fn new(until: NaiveDateTime, now: NaiveDateTime) -> Self {
        // Rounded up: the page's countdown must not end before the server stops revealing.
        let seconds_left = ((until - now).num_milliseconds().max(0) + 999) / 1000;
        Countdown {
            until: until.into(),
            seconds_left,
            left: in_words(seconds_left as u64),
        }
    }
}

/// The token in full, on the page that follows Generate/Regenerate or a Reveal.
pub struct Revealed {
    pub plaintext: String,
    pub window: Countdown,
    /// Right after Generate/Regenerate (not a reveal).
    pub fresh: bool,
}

impl Revealed {
    pub fn new(plain: &PlainToken, until: NaiveDateTime, fresh: bool, now: NaiveDateTime) -> Self {
        Revealed {
            plaintext: plain.expose().to_owned(),
            window: Countdown::new(until, now),
            fresh,
        }
    }
}

pub struct HistoryView {
    pub what: &'static str,
    pub detail: String,
    pub who: String,
    pub from: String,
    pub at: TimeView,
}

impl From<&AuditEntry> for HistoryView {
    fn from(entry: &AuditEntry) -> Self {
        let action = entry.action.as_str();
        HistoryView {
            what: match action {
                TOKEN_GENERATED => "Token generated",
                TOKEN_REGENERATED => "Token regenerated",
                TOKEN_REVEALED => "Token revealed",
                TOKEN_COPIED => "Token copied",
                TOKEN_REVOKED => "Token revoked",
                TOKEN_GRACE_ENDED => "Grace period ended",
                TOKEN_EXPOSED => "Token reported exposed and revoked",
                TOKEN_FIRST_USED => "Token first used by the API",
                API_ACCESS_ENABLED => "API access enabled",
                API_ACCESS_DISABLED => "API access disabled",
                access_requests::REQUESTED => "API access requested",
                access_requests::REQUEST_GRANTED => "Request for API access answered: switched on",
                access_requests::REQUEST_DECLINED => "Request for API access declined",
                _ => "Other",
            },
            detail: entry.detail.clone(),
            who: match (&entry.actor_name, action) {
                (Some(name), _) => name.clone(),
                (None, TOKEN_FIRST_USED) => "API client".into(),
                (None, TOKEN_EXPOSED) => "Secret scanning".into(),
                (None, _) => "(deleted user)".into(),
            },
            from: entry.client_addr.clone().unwrap_or_default(),
            at: entry.created_at.into(),
        }
    }
}

/// The cursor of the next history page as a URL parameter value, and back. Nanoseconds, so
/// that events within one second page exactly.
pub fn encode_cursor((at, id): HistoryCursor) -> String {
    let nanos = at.and_utc().timestamp_nanos_opt().unwrap_or_default();
    format!("{nanos}-{id}")
}

fn decode_cursor(raw: &str) -> Option<HistoryCursor> {
    let (nanos, id) = raw.split_once('-')?;
    let at = chrono::DateTime::from_timestamp_nanos(nanos.parse().ok()?);
    Some((at.naive_utc(), id.parse().ok()?))
}

/// The history page a `?before=` value asks for (`None`: the newest events); one that does not
/// decode is a 400 telling the reader to go back to `back_to`.
pub fn history_before(raw: Option<&str>, back_to: &str) -> Result<Option<HistoryCursor>, AppError> {
    raw.map(|raw| {
        decode_cursor(raw).ok_or_else(|| {
            AppError::invalid(format!(
                "That page of the history does not exist; go back to {back_to}."
            ))
        })
    })
    .transpose()
}

pub struct HistoryPageView {
    pub entries: Vec<HistoryView>,
    /// `before` value of the next (older) page.
    pub older: Option<String>,
    /// Whether this is a later page (so the page links back to the newest events).
    pub paged: bool,
}

impl HistoryPageView {
    pub fn new(page: &HistoryPage, paged: bool) -> Self {
        HistoryPageView {
            entries: page.entries.iter().map(HistoryView::from).collect(),
            older: page.older.map(encode_cursor),
            paged,
        }
    }
}

/// The parts of a screen that come from the database, as the templates show them.
pub struct ScreenView {
    pub current: Option<TokenView>,
    pub in_grace: Option<TokenView>,
    /// "pulse_8Hq2 reported exposed at https://…", and when.
    pub exposure: Option<(String, TimeView)>,
    pub history: HistoryPageView,
}

impl ScreenView {
    pub fn new(screen: &Screen, paged: bool, now: NaiveDateTime) -> Self {
        ScreenView {
            current: screen.current.as_ref().map(|t| TokenView::new(t, now)),
            in_grace: screen.in_grace.as_ref().map(|t| TokenView::new(t, now)),
            exposure: screen
                .exposure
                .as_ref()
                .map(|e| (e.detail.clone(), e.created_at.into())),
            history: HistoryPageView::new(&screen.history, paged),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_cursors_round_trip_and_refuse_garbage() {
        let at = chrono::DateTime::from_timestamp(1_764_400_000, 123_456_789)
            .unwrap()
            .naive_utc();
        assert_eq!(decode_cursor(&encode_cursor((at, 42))), Some((at, 42)));
        for bad in ["", "x-1", "1-", "1764400000", "1-2-3"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}

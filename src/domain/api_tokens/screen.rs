//! The API authentication screen's side of tokens already issued: what the screen (and the
//! staff support view) shows, read without writing; the single first display of a new token to
//! its generator; revealing it again to an owner or admin; recording a copy.
use chrono::NaiveDateTime;
use subtle::ConstantTimeEq;

use super::{HISTORY_ACTIONS, TOKEN_COPIED, TOKEN_EXPOSED, TOKEN_REVEALED, record_event};
use crate::db::DbConn;
use crate::domain::actor::Actor;
use crate::domain::reveal::RevealKey;
use crate::domain::secret::sha256_hex;
use crate::domain::token::PlainToken;
use crate::error::AppError;
use crate::repo::api_tokens::{self, ApiToken};
use crate::repo::audit::{self, AuditEntry, HistoryCursor};
use crate::repo::token_clients::{self, TokenClient};
use crate::repo::users;

use super::usage::CLIENTS_KEPT;

pub const HISTORY_PAGE: i64 = 25;

/// A token with the name of whoever generated it and who uses it.
pub struct TokenDetails {
    pub record: ApiToken,
    pub created_by: Option<String>,
    /// Latest distinct clients, most recently seen first.
    pub clients: Vec<TokenClient>,
}

/// One page of the history, newest first, and where the next (older) page starts.
pub struct HistoryPage {
    pub entries: Vec<AuditEntry>,
    pub older: Option<HistoryCursor>,
}

/// Everything the screen shows about an organisation's tokens.
pub struct Screen {
    pub current: Option<TokenDetails>,
    /// The replaced token still in its grace period (at most one by the rules).
    pub in_grace: Option<TokenDetails>,
    /// The latest exposure report, if it came after the current token was generated: until a new
    /// token replaces the exposed one, owners are told to generate one.
    pub exposure: Option<AuditEntry>,
    pub history: HistoryPage,
}

fn details(conn: &mut DbConn, record: ApiToken) -> Result<TokenDetails, AppError> {
    let created_by = match record.created_by {
        Some(id) => users::find(conn, id)?.map(|u| u.name),
        None => None,
    };
    let clients = token_clients::latest(conn, record.id, CLIENTS_KEPT)?;
    Ok(TokenDetails {
        record,
        created_by,
        clients,
    })
}

/// The organisation's history among the screen's actions, `HISTORY_PAGE` at a time.
pub fn history(
    conn: &mut DbConn,
    organisation_id: i32,
    before: Option<HistoryCursor>,
) -> Result<HistoryPage, AppError> {
    history_among(conn, organisation_id, &HISTORY_ACTIONS, before)
}

/// The organisation's history among `actions` (the token screen's, the members page's),
/// `HISTORY_PAGE` at a time.
pub fn history_among(
    conn: &mut DbConn,
    organisation_id: i32,
    actions: &[&str],
    before: Option<HistoryCursor>,
) -> Result<HistoryPage, AppError> {
    let mut entries =
        audit::recent_for_organisation(conn, organisation_id, actions, before, HISTORY_PAGE + 1)?;
    // One entry beyond the page tells whether an older page exists.
    let older = if entries.len() as i64 > HISTORY_PAGE {
        entries.truncate(HISTORY_PAGE as usize);
        entries.last().map(|e| (e.created_at, e.id))
    } else {
        None
    };
    Ok(HistoryPage { entries, older })
}

/// Reads the screen, history from `before`; writes nothing.
pub fn load(
    conn: &mut DbConn,
    organisation_id: i32,
    before: Option<HistoryCursor>,
    now: NaiveDateTime,
) -> Result<Screen, AppError> {
    let current = api_tokens::current_for_organisation(conn, organisation_id)?
        .map(|record| details(conn, record))
        .transpose()?;
    let in_grace = api_tokens::in_grace_for_organisation(conn, organisation_id, now)?
        .into_iter()
        .next()
        .map(|record| details(conn, record))
        .transpose()?;
    let exposure = exposure(conn, organisation_id, current.as_ref().map(|t| &t.record))?;
    Ok(Screen {
        current,
        in_grace,
        exposure,
        history: history(conn, organisation_id, before)?,
    })
}

/// The latest exposure report, if it came after `current` was generated (or there is no current
/// token): until a new token replaces the exposed one, owners are told to generate one, on the
/// screen and on every page of the organisation.
pub fn exposure(
    conn: &mut DbConn,
    organisation_id: i32,
    current: Option<&ApiToken>,
) -> Result<Option<AuditEntry>, AppError> {
    Ok(
        audit::recent_for_organisation(conn, organisation_id, &[TOKEN_EXPOSED], None, 1)?
            .pop()
            .filter(|report| current.is_none_or(|token| token.created_at <= report.created_at)),
    )
}

fn open(token: &ApiToken, key: &RevealKey, now: NaiveDateTime) -> Option<PlainToken> {
    if now >= token.reveal_until {
        return None;
    }
    let ids = (token.organisation_id, token.id);
    key.open(token.reveal_ciphertext.as_deref()?, ids, &token.digest)
}

/// The first display of a token just issued: to whoever generated it, in the session that did,
/// inside the reveal window, once: `nonce` (from the generating browser) is used up on the
/// server, so presenting it again shows nothing.
pub fn first_display(
    conn: &mut DbConn,
    token: &ApiToken,
    (actor, nonce): (&Actor, &str),
    key: &RevealKey,
    now: NaiveDateTime,
) -> Result<Option<PlainToken>, AppError> {
    let same_session = bool::from(
        token
            .created_session
            .as_bytes()
            .ct_eq(actor.session.as_bytes()),
    );
    if token.created_by != Some(actor.user_id) || !same_session {
        return Ok(None);
    }
    let digest = sha256_hex(nonce.as_bytes());
    if api_tokens::claim_first_display(conn, token.id, &digest)? == 0 {
        return Ok(None);
    }
    Ok(open(token, key, now))
}

const WINDOW_PASSED: &str = "The reveal window has passed: Pulse keeps only a hash of this token, \
     so nobody can see it again. If it is lost, regenerate it.";

/// Lets `actor` (an owner or admin who has just entered their password) see the current token
/// again inside the reveal window, and puts the reveal in the history. Returns the token's id:
/// `revealed` shows it for as long as the password stays recent, without another entry.
pub fn reveal(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
    key: &RevealKey,
    now: NaiveDateTime,
) -> Result<i32, AppError> {
    let token =
        api_tokens::current_for_organisation(conn, organisation_id)?.ok_or(AppError::NotFound)?;
    open(&token, key, now).ok_or_else(|| AppError::conflict(WINDOW_PASSED))?;
    record_event(
        conn,
        organisation_id,
        actor,
        TOKEN_REVEALED,
        &token.display_prefix,
        now,
    )?;
    Ok(token.id)
}

/// The token `token_id` that `reveal` let someone see, with the end of its reveal window: while
/// it is still the organisation's current token and the window lasts; writes nothing.
pub fn revealed(
    conn: &mut DbConn,
    organisation_id: i32,
    token_id: i32,
    key: &RevealKey,
    now: NaiveDateTime,
) -> Result<Option<(PlainToken, NaiveDateTime)>, AppError> {
    let token = api_tokens::current_for_organisation(conn, organisation_id)?
        .filter(|token| token.id == token_id);
    Ok(token.and_then(|token| Some((open(&token, key, now)?, token.reveal_until))))
}

/// Records that `actor` copied the current token with the screen's Copy button, which only
/// exists while the token is shown: inside the reveal window.
pub fn record_copy(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let token =
        api_tokens::current_for_organisation(conn, organisation_id)?.ok_or(AppError::NotFound)?;
    if now >= token.reveal_until {
        return Err(AppError::conflict(WINDOW_PASSED));
    }
    record_event(
        conn,
        organisation_id,
        actor,
        TOKEN_COPIED,
        &token.display_prefix,
        now,
    )
}

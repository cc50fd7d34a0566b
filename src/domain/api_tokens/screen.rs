//! The API authentication screen's side of a token already issued: what the screen shows (read
//! only), revealing the token again to whoever generated it, and recording a copy.
use chrono::NaiveDateTime;
use subtle::ConstantTimeEq;

use super::{HISTORY_ACTIONS, TOKEN_COPIED, TOKEN_REVEALED, record_event};
use crate::db::DbConn;
use crate::domain::actor::Actor;
use crate::domain::reveal::{self, RevealKey};
use crate::domain::token::PlainToken;
use crate::error::AppError;
use crate::repo::api_tokens::{self, ApiToken};
use crate::repo::audit::{self, AuditEntry};
use crate::repo::users;

const HISTORY_LIMIT: i64 = 25;

/// The organisation's active token and the name of whoever generated it.
pub struct ActiveToken {
    pub record: ApiToken,
    pub created_by: Option<String>,
}

/// Everything the screen shows about an organisation's tokens.
pub struct Screen {
    pub token: Option<ActiveToken>,
    /// Replaced tokens still inside their grace period, newest first.
    pub in_grace: Vec<ApiToken>,
    pub history: Vec<AuditEntry>,
}

/// Reads the screen; writes nothing.
pub fn load(
    conn: &mut DbConn,
    organisation_id: i32,
    now: NaiveDateTime,
) -> Result<Screen, AppError> {
    let token = match api_tokens::active_for_organisation(conn, organisation_id)? {
        Some(record) => {
            let created_by = match record.created_by {
                Some(id) => users::find(conn, id)?.map(|u| u.name),
                None => None,
            };
            Some(ActiveToken { record, created_by })
        }
        None => None,
    };
    Ok(Screen {
        token,
        in_grace: api_tokens::in_grace_for_organisation(conn, organisation_id, now)?,
        history: audit::recent_for_organisation(
            conn,
            organisation_id,
            &HISTORY_ACTIONS,
            HISTORY_LIMIT,
        )?,
    })
}

/// The plaintext of `token` if `actor` generated it in this same session, the reveal window is
/// still open and the browser presents the key. Anyone else, or later, gets `None`.
pub fn revealable(
    token: &ApiToken,
    actor: &Actor,
    key: Option<&RevealKey>,
    now: NaiveDateTime,
) -> Option<PlainToken> {
    let same_session = bool::from(
        token
            .created_session
            .as_bytes()
            .ct_eq(actor.session.as_bytes()),
    );
    if token.created_by != Some(actor.user_id) || !same_session || now >= token.reveal_until {
        return None;
    }
    reveal::open(token.reveal_ciphertext.as_deref()?, key?, &token.digest)
}

/// The screen for `actor`, with the token in full if they may see it now. Showing it again
/// after the first display (`first_display` names the token just issued to this session) goes
/// into the history.
pub fn view(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
    key: Option<&RevealKey>,
    first_display: Option<i32>,
    now: NaiveDateTime,
) -> Result<(Screen, Option<PlainToken>), AppError> {
    let screen = load(conn, organisation_id, now)?;
    let Some(token) = screen.token.as_ref().map(|active| &active.record) else {
        return Ok((screen, None));
    };
    let Some(plain) = revealable(token, actor, key, now) else {
        return Ok((screen, None));
    };
    if first_display != Some(token.id) {
        record_event(
            conn,
            organisation_id,
            actor,
            TOKEN_REVEALED,
            &token.display_prefix,
            now,
        )?;
    }
    Ok((screen, Some(plain)))
}

/// Records that `actor` copied the active token with the screen's Copy button. Only whoever can
/// see the token right now can record a copy: `NotFound` without a token, `Forbidden` otherwise.
pub fn record_copy(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
    key: Option<&RevealKey>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let token =
        api_tokens::active_for_organisation(conn, organisation_id)?.ok_or(AppError::NotFound)?;
    if revealable(&token, actor, key, now).is_none() {
        return Err(AppError::Forbidden);
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

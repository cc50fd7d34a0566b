//! The rules for API tokens: at most one active token per organisation, issued and replaced in
//! one transaction each (`issue`), verified by digest (`authenticate`), and viewable only by their
//! generator for a while (`screen`).
mod issue;
pub mod screen;

use chrono::{Duration, NaiveDateTime};
use subtle::ConstantTimeEq;

use crate::db::DbConn;
use crate::domain::actor::Actor;
use crate::domain::organisations::{API_ACCESS_DISABLED, API_ACCESS_ENABLED};
use crate::domain::token::PlainToken;
use crate::error::AppError;
use crate::repo::api_tokens;
use crate::repo::audit::{self, NewAuditEvent};

pub use issue::{Grace, Issued, generate, regenerate};

pub const TOKEN_GENERATED: &str = "token.generated";
pub const TOKEN_REGENERATED: &str = "token.regenerated";
pub const TOKEN_REVEALED: &str = "token.revealed";
pub const TOKEN_COPIED: &str = "token.copied";
/// A token's first API request: recorded once per token, so the history shows who started using
/// it from where without an audit row per request.
pub const TOKEN_FIRST_USED: &str = "token.first_used";
/// What the screen's history shows.
pub const HISTORY_ACTIONS: [&str; 7] = [
    TOKEN_GENERATED,
    TOKEN_REGENERATED,
    TOKEN_REVEALED,
    TOKEN_COPIED,
    TOKEN_FIRST_USED,
    API_ACCESS_ENABLED,
    API_ACCESS_DISABLED,
];

/// `last_used_at` is written at most this often per token, not on every request.
pub fn last_used_interval() -> Duration {
    Duration::seconds(60)
}

/// A token the API accepted: whose it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authenticated {
    pub organisation_id: i32,
    pub token_id: i32,
}

/// Verifies a well-formed token against the database and records its use (by `client_addr`).
/// `None` for a token that is unknown, superseded past its grace or otherwise unusable;
/// `ApiDisabled` when it is valid but staff have switched its organisation's API access off.
pub fn authenticate(
    conn: &mut DbConn,
    token: &PlainToken,
    now: NaiveDateTime,
    client_addr: &str,
) -> Result<Option<Authenticated>, AppError> {
    let digest = token.digest();
    let Some((stored, api_enabled)) = api_tokens::find_with_api_access(conn, &digest)? else {
        return Ok(None);
    };
    // The lookup matched on the digest already; comparing again in constant time keeps the
    // decision itself free of timing differences.
    let same = bool::from(stored.digest.as_bytes().ct_eq(digest.as_bytes()));
    if !same || !stored.is_usable(now) {
        return Ok(None);
    }
    if api_enabled == 0 {
        return Err(AppError::ApiDisabled);
    }
    let stale = stored
        .last_used_at
        .is_none_or(|at| at < now - last_used_interval());
    if stale {
        let touched = api_tokens::touch_last_used(conn, stored.id, now, last_used_interval())?;
        // The conditional UPDATE lets exactly one concurrent request see the first use.
        if touched == 1 && stored.last_used_at.is_none() {
            audit::record(
                conn,
                &NewAuditEvent {
                    organisation_id: Some(stored.organisation_id),
                    actor_user_id: None,
                    action: TOKEN_FIRST_USED,
                    detail: &stored.display_prefix,
                    client_addr: Some(client_addr),
                    created_at: now,
                },
            )?;
        }
    }
    Ok(Some(Authenticated {
        organisation_id: stored.organisation_id,
        token_id: stored.id,
    }))
}

/// Puts what `actor` did to the organisation's token into the audit trail.
fn record_event(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
    action: &str,
    detail: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &NewAuditEvent {
            organisation_id: Some(organisation_id),
            actor_user_id: Some(actor.user_id),
            action,
            detail,
            client_addr: Some(&actor.client_addr),
            created_at: at,
        },
    )?;
    Ok(())
}

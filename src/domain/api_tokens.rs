//! The rules for API tokens: at most one active token per organisation, issued and replaced in
//! one transaction each, verified by digest, and viewable only by their generator for a while.
use chrono::{Duration, NaiveDateTime};
use diesel::Connection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use subtle::ConstantTimeEq;

use crate::db::DbConn;
use crate::domain::reveal::{self, RevealKey};
use crate::domain::token::PlainToken;
use crate::domain::{AppError, now};
use crate::repo::api_tokens::{self, ApiToken, NewApiToken};
use crate::repo::audit::{self, NewAuditEvent};
use crate::repo::organisations;

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
    crate::domain::organisations::API_ACCESS_ENABLED,
    crate::domain::organisations::API_ACCESS_DISABLED,
];

/// `last_used_at` is written at most this often per token, not on every request.
pub fn last_used_interval() -> Duration {
    Duration::seconds(60)
}

pub enum Authentication {
    Accepted {
        organisation_id: i32,
        token_id: i32,
    },
    /// Unknown, superseded past its grace, or otherwise unusable.
    Refused,
    ApiDisabled,
}

/// Verifies a well-formed token against the database and records its use (by `client_addr`).
pub fn authenticate(
    conn: &mut DbConn,
    token: &PlainToken,
    now: NaiveDateTime,
    client_addr: &str,
) -> Result<Authentication, AppError> {
    let digest = token.digest();
    let Some((stored, api_enabled)) = api_tokens::find_with_api_access(conn, &digest)? else {
        return Ok(Authentication::Refused);
    };
    // The lookup matched on the digest already; comparing again in constant time keeps the
    // decision itself free of timing differences.
    let same = bool::from(stored.digest.as_bytes().ct_eq(digest.as_bytes()));
    if !same || !stored.is_usable(now) {
        return Ok(Authentication::Refused);
    }
    if api_enabled == 0 {
        return Ok(Authentication::ApiDisabled);
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
    Ok(Authentication::Accepted {
        organisation_id: stored.organisation_id,
        token_id: stored.id,
    })
}

/// How long a replaced token keeps working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grace {
    None,
    OneHour,
    OneDay,
}

impl Grace {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw {
            "" | "none" => Ok(Grace::None),
            "1h" => Ok(Grace::OneHour),
            "24h" => Ok(Grace::OneDay),
            _ => Err(AppError::invalid(
                "The grace period must be none, 1 hour or 24 hours.",
            )),
        }
    }

    fn duration(self) -> Duration {
        match self {
            Grace::None => Duration::zero(),
            Grace::OneHour => Duration::hours(1),
            Grace::OneDay => Duration::hours(24),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Grace::None => "no grace period",
            Grace::OneHour => "old token valid for 1 more hour",
            Grace::OneDay => "old token valid for 24 more hours",
        }
    }
}

/// Who is issuing a token, from which session and address.
pub struct Issuer<'a> {
    pub user_id: i32,
    /// Digest of the random marker kept in the issuing session's state.
    pub session: &'a str,
    pub client_addr: &'a str,
}

/// A new token, and the cookie key that can decrypt it during the reveal window.
pub struct Issued {
    pub token: PlainToken,
    pub reveal_key: RevealKey,
    pub record: ApiToken,
}

pub const ALREADY_EXISTS: &str = "This organisation already has an API token; nothing was changed. Use Regenerate to replace it.";
pub const LOST_RACE: &str = "Someone else regenerated the token a moment ago, so yours was not \
     created and nothing was changed. The page now shows the current token.";
pub const API_DISABLED: &str =
    "API access is disabled for this organisation. Ask Pulse staff to enable API access.";

fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Inserts the new token; a unique violation means another active token exists (the partial
/// unique index), which the caller turns into a clear message.
fn insert_new(
    conn: &mut DbConn,
    organisation_id: i32,
    issuer: &Issuer,
    at: NaiveDateTime,
    reveal_window: Duration,
    conflict: &str,
) -> Result<Issued, AppError> {
    let token = PlainToken::generate();
    let reveal_key = RevealKey::generate();
    let sealed = reveal::seal(&token, &reveal_key);
    let record = api_tokens::insert(
        conn,
        &NewApiToken {
            organisation_id,
            digest: &token.digest(),
            display_prefix: &token.display_prefix(),
            created_by: Some(issuer.user_id),
            created_at: at,
            created_session: issuer.session,
            reveal_until: at + reveal_window,
            reveal_ciphertext: Some(&sealed),
        },
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict(conflict.to_owned())
        } else {
            e.into()
        }
    })?;
    // Read after the first write, so SQLite never has to upgrade a read transaction.
    let org = organisations::find(conn, organisation_id)?.ok_or(AppError::NotFound)?;
    if !org.api_enabled() {
        return Err(AppError::Forbidden);
    }
    Ok(Issued {
        token,
        reveal_key,
        record,
    })
}

fn record_event(
    conn: &mut DbConn,
    organisation_id: i32,
    issuer: &Issuer,
    action: &str,
    detail: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &NewAuditEvent {
            organisation_id: Some(organisation_id),
            actor_user_id: Some(issuer.user_id),
            action,
            detail,
            client_addr: Some(issuer.client_addr),
            created_at: at,
        },
    )?;
    Ok(())
}

/// The organisation's first token. Fails with `Conflict` if one exists (nothing changes) and
/// `Forbidden` if API access is off.
pub fn generate(
    conn: &mut DbConn,
    organisation_id: i32,
    issuer: &Issuer,
    reveal_window: Duration,
) -> Result<Issued, AppError> {
    conn.transaction(|conn| {
        let at = now();
        let issued = insert_new(
            conn,
            organisation_id,
            issuer,
            at,
            reveal_window,
            ALREADY_EXISTS,
        )?;
        let detail = issued.token.display_prefix();
        record_event(conn, organisation_id, issuer, TOKEN_GENERATED, &detail, at)?;
        Ok(issued)
    })
}

/// Replaces the active token `current_id` (the one the user confirmed) with a new one, in one
/// transaction. Of several concurrent calls exactly one supersedes it; the others get `Conflict`.
pub fn regenerate(
    conn: &mut DbConn,
    organisation_id: i32,
    current_id: i32,
    issuer: &Issuer,
    reveal_window: Duration,
    grace: Grace,
) -> Result<Issued, AppError> {
    conn.transaction(|conn| {
        let at = now();
        // The first statement writes: SQLite takes the write lock at once (waiting its turn),
        // PostgreSQL locks the row and re-checks `superseded_at IS NULL` after a rival commits.
        let retired =
            api_tokens::supersede(conn, organisation_id, current_id, at, at + grace.duration())?;
        if retired == 0 {
            return Err(AppError::Conflict(LOST_RACE.to_owned()));
        }
        let issued = insert_new(conn, organisation_id, issuer, at, reveal_window, LOST_RACE)?;
        let old_prefix = api_tokens::find(conn, current_id)?
            .map(|t| t.display_prefix)
            .unwrap_or_default();
        let detail = format!(
            "{} replaced {old_prefix} ({})",
            issued.token.display_prefix(),
            grace.describe()
        );
        record_event(
            conn,
            organisation_id,
            issuer,
            TOKEN_REGENERATED,
            &detail,
            at,
        )?;
        Ok(issued)
    })
}

/// The plaintext of `token` if `viewer` generated it in `session`, the window is still open and
/// the browser presents the cookie key. Anyone else, or later, gets `None`.
pub fn revealable(
    token: &ApiToken,
    viewer_id: i32,
    session: &str,
    key: Option<&RevealKey>,
    now: NaiveDateTime,
) -> Option<PlainToken> {
    let same_session = bool::from(token.created_session.as_bytes().ct_eq(session.as_bytes()));
    if token.created_by != Some(viewer_id) || !same_session || now >= token.reveal_until {
        return None;
    }
    reveal::open(token.reveal_ciphertext.as_deref()?, key?, &token.digest)
}

/// Records that the generator viewed the token again after the first display.
pub fn record_reveal(conn: &mut DbConn, token: &ApiToken, issuer: &Issuer) -> Result<(), AppError> {
    record_event(
        conn,
        token.organisation_id,
        issuer,
        TOKEN_REVEALED,
        &token.display_prefix,
        now(),
    )
}

/// Records that the generator copied the token with the screen's Copy button.
pub fn record_copy(conn: &mut DbConn, token: &ApiToken, issuer: &Issuer) -> Result<(), AppError> {
    record_event(
        conn,
        token.organisation_id,
        issuer,
        TOKEN_COPIED,
        &token.display_prefix,
        now(),
    )
}

//! The rules for API tokens. At most one current token per organisation (the partial unique
//! index has the last word); a token works until it expires, is revoked, or is replaced and its
//! grace period ends, and then it is refused on the very next request on every instance, with
//! the reason. Issuing (`issue`), stopping (`lifecycle`), use (`usage`), leak reports (`leaks`)
//! and the screen (`screen`) each have a module.
mod issue;
pub mod leaks;
mod lifecycle;
pub mod reminders;
pub mod screen;
mod terms;
pub mod usage;

use chrono::NaiveDateTime;
use subtle::ConstantTimeEq;

use crate::db::DbConn;
use crate::domain::access_requests;
use crate::domain::actor::Actor;
use crate::domain::organisations::{API_ACCESS_DISABLED, API_ACCESS_ENABLED};
use crate::domain::token::PlainToken;
use crate::error::AppError;
use crate::repo::api_tokens::{self, ApiToken};
use crate::repo::audit::{self, NewAuditEvent};
use crate::repo::organisations::Organisation;

pub use issue::{Issued, Issuer, generate, regenerate};
pub use lifecycle::{end_grace, revoke};
pub use terms::{Expiry, Grace, Terms};

pub const TOKEN_GENERATED: &str = "token.generated";
pub const TOKEN_REGENERATED: &str = "token.regenerated";
pub const TOKEN_REVEALED: &str = "token.revealed";
pub const TOKEN_COPIED: &str = "token.copied";
pub const TOKEN_REVOKED: &str = "token.revoked";
pub const TOKEN_GRACE_ENDED: &str = "token.grace_ended";
pub const TOKEN_EXPOSED: &str = "token.exposed";
/// A token's first API request: recorded once per token, so the history shows who started using
/// it from where without an audit row per request.
pub const TOKEN_FIRST_USED: &str = "token.first_used";
/// What the screen's history shows.
pub const HISTORY_ACTIONS: [&str; 13] = [
    TOKEN_GENERATED,
    TOKEN_REGENERATED,
    TOKEN_REVEALED,
    TOKEN_COPIED,
    TOKEN_REVOKED,
    TOKEN_GRACE_ENDED,
    TOKEN_EXPOSED,
    TOKEN_FIRST_USED,
    API_ACCESS_ENABLED,
    API_ACCESS_DISABLED,
    access_requests::REQUESTED,
    access_requests::REQUEST_GRANTED,
    access_requests::REQUEST_DECLINED,
];

/// From this long before a token expires, owners and admins are warned on their pages.
pub fn expiry_warning() -> chrono::Duration {
    chrono::Duration::days(14)
}

/// Why a token was stopped before its natural end (stored in `revoked_reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// Replaced by Regenerate without a grace period (or while another was in grace).
    Regenerated,
    /// An owner or admin pressed Revoke.
    Revoked,
    /// Its grace period was ended early (End now).
    GraceEnded,
    /// A secret-scanning report found it in public.
    Exposed,
}

impl Revocation {
    pub fn as_str(self) -> &'static str {
        match self {
            Revocation::Regenerated => "regenerated",
            Revocation::Revoked => "revoked",
            Revocation::GraceEnded => "grace_ended",
            Revocation::Exposed => "exposed",
        }
    }

    fn parse(raw: Option<&str>) -> Self {
        match raw {
            Some("regenerated") => Revocation::Regenerated,
            Some("grace_ended") => Revocation::GraceEnded,
            Some("exposed") => Revocation::Exposed,
            _ => Revocation::Revoked,
        }
    }
}

/// Why a token no longer works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    Revoked(Revocation),
    /// Replaced, and its grace period is over.
    GraceOver,
    Expired,
}

/// When and why a token stopped working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop {
    pub at: NaiveDateTime,
    pub reason: StopReason,
}

impl Stop {
    /// The machine-readable refusal code of the API.
    pub fn code(&self) -> &'static str {
        match self.reason {
            StopReason::Expired => "token_expired",
            _ => "token_revoked",
        }
    }

    /// Why, in words for the person whose report stopped working.
    pub fn explain(&self) -> &'static str {
        match self.reason {
            StopReason::Revoked(Revocation::Regenerated) => "it was replaced by a new token",
            StopReason::Revoked(Revocation::Revoked) => "an owner or admin revoked it",
            StopReason::Revoked(Revocation::GraceEnded) => {
                "it was replaced by a new token and its grace period was ended early"
            }
            StopReason::Revoked(Revocation::Exposed) => {
                "it was reported exposed in public and revoked automatically"
            }
            StopReason::GraceOver => "it was replaced by a new token and its grace period ended",
            StopReason::Expired => "it expired",
        }
    }
}

/// `None` while `token` works at `now`; otherwise the first of the things that stopped it.
pub fn stopped(token: &ApiToken, now: NaiveDateTime) -> Option<Stop> {
    let revoked = token.revoked_at.map(|at| Stop {
        at,
        reason: StopReason::Revoked(Revocation::parse(token.revoked_reason.as_deref())),
    });
    let grace_over = token.superseded_at.map(|replaced| Stop {
        at: token.grace_until.unwrap_or(replaced),
        reason: StopReason::GraceOver,
    });
    let expired = token.expires_at.map(|at| Stop {
        at,
        reason: StopReason::Expired,
    });
    [revoked, grace_over, expired]
        .into_iter()
        .flatten()
        .filter(|stop| stop.at <= now)
        .min_by_key(|stop| stop.at)
}

/// Why the API does not let a well-formed token through.
#[derive(Debug)]
pub enum Refusal {
    /// No token has this digest.
    Unknown,
    Stopped(Stop),
    /// A working token of an organisation whose API access staff switched off.
    ApiDisabled,
    /// The database could not answer; nothing was decided about the token.
    Failed(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::Failed(e)
    }
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Refusal::Failed(e.into())
    }
}

/// Checks a well-formed token against the database; writes nothing. Returns the working token
/// with its organisation, or why not.
pub fn authenticate(
    conn: &mut DbConn,
    token: &PlainToken,
    now: NaiveDateTime,
) -> Result<(ApiToken, Organisation), Refusal> {
    let digest = token.digest();
    let Some((stored, organisation)) = api_tokens::find_with_organisation(conn, &digest)? else {
        return Err(Refusal::Unknown);
    };
    // The lookup matched on the digest already; comparing again in constant time keeps the
    // decision itself free of timing differences.
    if !bool::from(stored.digest.as_bytes().ct_eq(digest.as_bytes())) {
        return Err(Refusal::Unknown);
    }
    if let Some(stop) = stopped(&stored, now) {
        return Err(Refusal::Stopped(stop));
    }
    if !organisation.api_enabled() {
        return Err(Refusal::ApiDisabled);
    }
    Ok((stored, organisation))
}

/// Puts what `actor` did to the organisation's tokens into the audit trail.
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

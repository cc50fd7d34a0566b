//! Secret-scanning reports: a token found in public (a commit, a paste) is revoked at once, the
//! history says where it was found, and the screen tells owners to generate a new one.
use chrono::NaiveDateTime;

use super::{Revocation, TOKEN_EXPOSED, stopped};
use crate::db::DbConn;
use crate::domain::notices;
use crate::domain::token::PlainToken;
use crate::error::AppError;
use crate::repo::api_tokens;
use crate::repo::audit::{self, NewAuditEvent};

/// The longest location kept in the history; a report may carry any URL.
const MAX_LOCATION: usize = 300;

/// One reported string and where it was found.
pub struct Exposure<'a> {
    pub token: &'a str,
    /// Where it was found (e.g. the URL of a commit), as the report says.
    pub url: &'a str,
    /// What kind of place that is (e.g. `commit`, `content`), as the report says.
    pub source: &'a str,
}

/// What a reported string was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A token that worked until this report: revoked now.
    Working,
    /// A token Pulse issued that had already stopped (revoked, replaced, expired).
    Stopped,
    /// Not a token of ours: malformed, or no token has that digest.
    NotOurs,
}

/// Judges every reported string; revokes the genuine ones that still work, in one transaction.
pub fn report(
    conn: &mut DbConn,
    exposures: &[Exposure],
    now: NaiveDateTime,
) -> Result<Vec<Verdict>, AppError> {
    conn.write_transaction(|conn| {
        exposures
            .iter()
            .map(|exposure| judge(conn, exposure, now))
            .collect()
    })
}

fn judge(conn: &mut DbConn, exposure: &Exposure, now: NaiveDateTime) -> Result<Verdict, AppError> {
    let Ok(token) = PlainToken::parse(exposure.token.trim()) else {
        return Ok(Verdict::NotOurs);
    };
    let Some((stored, _)) = api_tokens::find_with_organisation(conn, &token.digest())? else {
        return Ok(Verdict::NotOurs);
    };
    if stopped(&stored, now).is_some() {
        return Ok(Verdict::Stopped);
    }
    // Out of the organisation's slot too, so the screen offers Generate again.
    api_tokens::supersede(conn, stored.organisation_id, stored.id, now, None)?;
    api_tokens::revoke(conn, &[stored.id], now, Revocation::Exposed.as_str())?;
    let location: String = exposure.url.trim().chars().take(MAX_LOCATION).collect();
    let location = if location.is_empty() {
        "an unnamed place".into()
    } else {
        location
    };
    let source: String = exposure.source.trim().chars().take(40).collect();
    let found_in = if source.is_empty() {
        String::new()
    } else {
        format!(" ({source})")
    };
    audit::record(
        conn,
        &NewAuditEvent {
            organisation_id: Some(stored.organisation_id),
            actor_user_id: None,
            action: TOKEN_EXPOSED,
            detail: &format!(
                "{} reported exposed at {location}{found_in}",
                stored.display_prefix
            ),
            client_addr: None,
            created_at: now,
        },
    )?;
    notices::token_exposed(conn, &stored, &format!("{location}{found_in}"), now)?;
    tracing::warn!(
        organisation_id = stored.organisation_id,
        prefix = %stored.display_prefix,
        "API token reported exposed; revoked"
    );
    Ok(Verdict::Working)
}

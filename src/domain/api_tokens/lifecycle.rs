//! Stopping tokens on purpose: Revoke (the current token and any in grace) and End now (the
//! grace period of a replaced token).
use chrono::NaiveDateTime;

use super::{Revocation, TOKEN_GRACE_ENDED, TOKEN_REVOKED, record_event};
use crate::db::DbConn;
use crate::domain::actor::Actor;
use crate::domain::notices;
use crate::error::AppError;
use crate::repo::api_tokens;

const CHANGED_MEANWHILE: &str = "The token changed a moment ago (someone regenerated or revoked \
     it), so nothing was revoked. The page now shows the current token.";

/// Stops the current token `current_id` (the one the user confirmed) and any token still in its
/// grace period, at once; the organisation is left without a token, as before the first one.
pub fn revoke(
    conn: &mut DbConn,
    organisation_id: i32,
    current_id: i32,
    actor: &Actor,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    conn.write_transaction(|conn| {
        if api_tokens::supersede(conn, organisation_id, current_id, at, None)? == 0 {
            return Err(AppError::conflict(CHANGED_MEANWHILE));
        }
        let in_grace = api_tokens::in_grace_for_organisation(conn, organisation_id, at)?;
        let mut stopping: Vec<i32> = in_grace.iter().map(|t| t.id).collect();
        stopping.push(current_id);
        api_tokens::revoke(conn, &stopping, at, Revocation::Revoked.as_str())?;
        let revoked = api_tokens::find(conn, current_id)?.ok_or(AppError::NotFound)?;
        let mut detail = revoked.display_prefix.clone();
        for token in &in_grace {
            detail.push_str(&format!(
                " and {} (in its grace period)",
                token.display_prefix
            ));
        }
        record_event(conn, organisation_id, actor, TOKEN_REVOKED, &detail, at)?;
        let prefixes = std::iter::once(revoked.display_prefix)
            .chain(in_grace.into_iter().map(|t| t.display_prefix))
            .collect();
        notices::tokens_stopped(conn, organisation_id, (prefixes, false), actor, at)?;
        Ok(())
    })
}

/// Ends the grace period of the replaced token now: it is refused from the next request.
pub fn end_grace(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    conn.write_transaction(|conn| {
        let in_grace = api_tokens::in_grace_for_organisation(conn, organisation_id, at)?;
        if in_grace.is_empty() {
            return Err(AppError::conflict(
                "No replaced token is in its grace period any more; nothing was changed.",
            ));
        }
        let ids: Vec<i32> = in_grace.iter().map(|t| t.id).collect();
        api_tokens::revoke(conn, &ids, at, Revocation::GraceEnded.as_str())?;
        let prefixes: Vec<String> = in_grace.into_iter().map(|t| t.display_prefix).collect();
        record_event(
            conn,
            organisation_id,
            actor,
            TOKEN_GRACE_ENDED,
            &prefixes.join(", "),
            at,
        )?;
        notices::tokens_stopped(conn, organisation_id, (prefixes, true), actor, at)?;
        Ok(())
    })
}

//! Issuing tokens: the first one (`generate`) and its replacement (`regenerate`), each in one
//! transaction, with the partial unique index as the last word on "one current token".
use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{Grace, Revocation, TOKEN_GENERATED, TOKEN_REGENERATED, Terms, record_event};
use crate::db::DbConn;
use crate::domain::actor::Actor;
use crate::domain::notices;
use crate::domain::reveal::RevealKey;
use crate::domain::secret;
use crate::domain::token::PlainToken;
use crate::error::AppError;
use crate::repo::api_tokens::{self, ApiToken, NewApiToken};
use crate::repo::organisations;

/// Who issues a token, on what terms, sealing it for the reveal window under which key, when.
pub struct Issuer<'a> {
    pub actor: &'a Actor,
    pub terms: Terms,
    pub key: &'a RevealKey,
    pub at: NaiveDateTime,
}

/// A new token (shown once) and its row.
pub struct Issued {
    pub token: PlainToken,
    pub record: ApiToken,
    /// The single-use nonce of its first display, for the generating browser only
    /// (`screen::first_display`); the row keeps its digest.
    pub first_display: String,
}

const ALREADY_EXISTS: &str = "This organisation already has an API token; nothing was changed. \
     Use Regenerate to replace it.";
const LOST_RACE: &str = "The token changed after this page was shown (in another tab or by \
     someone else), so nothing was changed. The page now shows the current token.";

fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Inserts the new token and seals it for the reveal window; a unique violation means another
/// current token exists (the partial unique index), which becomes `Conflict(conflict)`.
fn insert_new(
    conn: &mut DbConn,
    organisation_id: i32,
    issuer: &Issuer,
    conflict: &str,
) -> Result<Issued, AppError> {
    let token = PlainToken::generate();
    let first_display = secret::random_base62(43);
    let at = issuer.at;
    let record = api_tokens::insert(
        conn,
        &NewApiToken {
            organisation_id,
            digest: &token.digest(),
            display_prefix: &token.display_prefix(),
            created_by: Some(issuer.actor.user_id),
            created_at: at,
            created_session: &issuer.actor.session,
            reveal_until: at + issuer.terms.reveal_window,
            expires_at: issuer.terms.expiry.duration().map(|lives| at + lives),
            first_display_digest: Some(&secret::sha256_hex(first_display.as_bytes())),
        },
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict(conflict)
        } else {
            e.into()
        }
    })?;
    let sealed = issuer.key.seal(&token, organisation_id, record.id);
    api_tokens::set_reveal_ciphertext(conn, record.id, &sealed)?;
    // Read after the first write, so SQLite never has to upgrade a read transaction.
    let org = organisations::find(conn, organisation_id)?.ok_or(AppError::NotFound)?;
    if !org.api_enabled() {
        return Err(AppError::ApiDisabled);
    }
    Ok(Issued {
        token,
        record,
        first_display,
    })
}

/// The organisation's first token. Fails with `Conflict` if one exists (nothing changes) and
/// `ApiDisabled` if API access is off.
pub fn generate(
    conn: &mut DbConn,
    organisation_id: i32,
    issuer: &Issuer,
) -> Result<Issued, AppError> {
    conn.write_transaction(|conn| {
        let issued = insert_new(conn, organisation_id, issuer, ALREADY_EXISTS)?;
        let detail = issued.token.display_prefix();
        record_event(
            conn,
            organisation_id,
            issuer.actor,
            TOKEN_GENERATED,
            &detail,
            issuer.at,
        )?;
        notices::token_generated(conn, &issued.record, issuer.actor, issuer.at)?;
        Ok(issued)
    })
}

/// Replaces the current token `current_id` (the one the user confirmed) with a new one, in one
/// transaction. Every older token stops at once, except that with a grace period the replaced
/// one keeps working until it ends: at most one token is ever in grace. Of several concurrent
/// calls exactly one replaces it; the others get `Conflict`.
pub fn regenerate(
    conn: &mut DbConn,
    organisation_id: i32,
    current_id: i32,
    grace: Grace,
    issuer: &Issuer,
) -> Result<Issued, AppError> {
    let at = issuer.at;
    conn.write_transaction(|conn| {
        // The first statement writes: SQLite takes the write lock at once (waiting its turn),
        // PostgreSQL locks the row and re-checks `superseded_at IS NULL` after a rival commits.
        let grace_until = grace.duration().map(|lasts| at + lasts);
        if api_tokens::supersede(conn, organisation_id, current_id, at, grace_until)? == 0 {
            return Err(AppError::conflict(LOST_RACE));
        }
        let mut stopping: Vec<i32> =
            api_tokens::in_grace_for_organisation(conn, organisation_id, at)?
                .into_iter()
                .map(|t| t.id)
                .filter(|id| *id != current_id)
                .collect();
        if grace_until.is_none() {
            stopping.push(current_id);
        }
        api_tokens::revoke(conn, &stopping, at, Revocation::Regenerated.as_str())?;
        let issued = insert_new(conn, organisation_id, issuer, LOST_RACE)?;
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
            issuer.actor,
            TOKEN_REGENERATED,
            &detail,
            at,
        )?;
        let old_stops_at = grace_until.unwrap_or(at);
        notices::token_regenerated(
            conn,
            &issued.record,
            &old_prefix,
            old_stops_at,
            (issuer.actor, at),
        )?;
        Ok(issued)
    })
}

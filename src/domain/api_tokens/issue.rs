//! Issuing tokens: the first one (`generate`) and its replacement (`regenerate`), each in one
//! transaction, with the partial unique index as the last word on "one active token".
use chrono::{Duration, NaiveDateTime};
use diesel::Connection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{TOKEN_GENERATED, TOKEN_REGENERATED, record_event};
use crate::db::DbConn;
use crate::domain::actor::Actor;
use crate::domain::reveal::{self, RevealKey};
use crate::domain::token::PlainToken;
use crate::error::AppError;
use crate::repo::api_tokens::{self, ApiToken, NewApiToken};
use crate::repo::organisations;

/// How long a replaced token keeps working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grace {
    None,
    OneHour,
    OneDay,
}

impl Grace {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
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

/// A new token, and the cookie key that can decrypt it during the reveal window.
pub struct Issued {
    pub token: PlainToken,
    pub reveal_key: RevealKey,
    pub record: ApiToken,
}

const ALREADY_EXISTS: &str = "This organisation already has an API token; nothing was changed. \
     Use Regenerate to replace it.";
const LOST_RACE: &str = "Someone else regenerated the token a moment ago, so yours was not \
     created and nothing was changed. The page now shows the current token.";

fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Inserts the new token; a unique violation means another active token exists (the partial
/// unique index), which becomes `Conflict(conflict)`.
fn insert_new(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
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
            created_by: Some(actor.user_id),
            created_at: at,
            created_session: &actor.session,
            reveal_until: at + reveal_window,
            reveal_ciphertext: Some(&sealed),
        },
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict(conflict)
        } else {
            e.into()
        }
    })?;
    // Read after the first write, so SQLite never has to upgrade a read transaction.
    let org = organisations::find(conn, organisation_id)?.ok_or(AppError::NotFound)?;
    if !org.api_enabled() {
        return Err(AppError::ApiDisabled);
    }
    Ok(Issued {
        token,
        reveal_key,
        record,
    })
}

/// The organisation's first token. Fails with `Conflict` if one exists (nothing changes) and
/// `ApiDisabled` if API access is off.
pub fn generate(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
    reveal_window: Duration,
    at: NaiveDateTime,
) -> Result<Issued, AppError> {
    conn.transaction(|conn| {
        let issued = insert_new(
            conn,
            organisation_id,
            actor,
            at,
            reveal_window,
            ALREADY_EXISTS,
        )?;
        let detail = issued.token.display_prefix();
        record_event(conn, organisation_id, actor, TOKEN_GENERATED, &detail, at)?;
        Ok(issued)
    })
}

/// Replaces the active token `current_id` (the one the user confirmed) with a new one, in one
/// transaction. Of several concurrent calls exactly one supersedes it; the others get `Conflict`.
pub fn regenerate(
    conn: &mut DbConn,
    organisation_id: i32,
    current_id: i32,
    actor: &Actor,
    reveal_window: Duration,
    grace: Grace,
    at: NaiveDateTime,
) -> Result<Issued, AppError> {
    conn.transaction(|conn| {
        // The first statement writes: SQLite takes the write lock at once (waiting its turn),
        // PostgreSQL locks the row and re-checks `superseded_at IS NULL` after a rival commits.
        let retired =
            api_tokens::supersede(conn, organisation_id, current_id, at, at + grace.duration())?;
        if retired == 0 {
            return Err(AppError::conflict(LOST_RACE));
        }
        let issued = insert_new(conn, organisation_id, actor, at, reveal_window, LOST_RACE)?;
        let old_prefix = api_tokens::find(conn, current_id)?
            .map(|t| t.display_prefix)
            .unwrap_or_default();
        let detail = format!(
            "{} replaced {old_prefix} ({})",
            issued.token.display_prefix(),
            grace.describe()
        );
        record_event(conn, organisation_id, actor, TOKEN_REGENERATED, &detail, at)?;
        Ok(issued)
    })
}

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{api_tokens, organisations};
use crate::repo::organisations::Organisation;

/// A stored token: its digest and metadata, never its plaintext.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i32,
    pub organisation_id: i32,
    pub digest: String,
    pub display_prefix: String,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    /// Digest of a marker in the generating session: the first display is for that session.
    pub created_session: String,
    pub reveal_until: NaiveDateTime,
    /// The token sealed under the reveal key (which is not in the database), during the window.
    pub reveal_ciphertext: Option<String>,
    /// When it stopped being the organisation's current token (replaced, revoked, exposed).
    pub superseded_at: Option<NaiveDateTime>,
    /// The expiry chosen when it was generated, if any.
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    /// A replaced token keeps working until then.
    pub grace_until: Option<NaiveDateTime>,
    /// When it was stopped before its natural end, and why (`domain::api_tokens::Revocation`).
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_reason: Option<String>,
    /// The last expiry reminder sent (`domain::api_tokens::reminders`).
    pub expiry_notice: i32,
}

#[derive(Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    pub organisation_id: i32,
    pub digest: &'a str,
    pub display_prefix: &'a str,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub created_session: &'a str,
    pub reveal_until: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    /// SHA-256 of the nonce that lets the generating session see the token once.
    pub first_display_digest: Option<&'a str>,
}

pub fn insert(conn: &mut DbConn, token: &NewApiToken) -> QueryResult<ApiToken> {
    // RETURNING is not available through MultiConnection: read the row back by its unique digest.
    diesel::insert_into(api_tokens::table)
        .values(token)
        .execute(conn)?;
    api_tokens::table
        .filter(api_tokens::digest.eq(token.digest))
        .select(ApiToken::as_select())
        .first(conn)
}

pub fn set_reveal_ciphertext(conn: &mut DbConn, id: i32, sealed: &str) -> QueryResult<usize> {
    replace_reveal_ciphertext(conn, id, Some(sealed))
}

/// Uses up the first display of token `id` if `digest` is its nonce's: 1 the one time it is,
/// 0 ever after (of two concurrent claims only one wins).
pub fn claim_first_display(conn: &mut DbConn, id: i32, digest: &str) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::first_display_digest.eq(digest)),
    )
    .set(api_tokens::first_display_digest.eq(None::<String>))
    .execute(conn)
}

/// The organisation's current token (working, expired, or refused while API access is off).
pub fn current_for_organisation(
    conn: &mut DbConn,
    organisation_id: i32,
) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::organisation_id.eq(organisation_id))
        .filter(api_tokens::superseded_at.is_null())
        .select(ApiToken::as_select())
        .first(conn)
        .optional()
}

/// Replaced tokens whose grace period has not ended, newest first (at most one by the rules).
pub fn in_grace_for_organisation(
    conn: &mut DbConn,
    organisation_id: i32,
    now: NaiveDateTime,
) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::organisation_id.eq(organisation_id))
        .filter(api_tokens::superseded_at.is_not_null())
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::grace_until.gt(now))
        .order(api_tokens::superseded_at.desc())
        .select(ApiToken::as_select())
        .load(conn)
}

/// The token with `digest` and its organisation.
pub fn find_with_organisation(
    conn: &mut DbConn,
    digest: &str,
) -> QueryResult<Option<(ApiToken, Organisation)>> {
    api_tokens::table
        .inner_join(organisations::table)
        .filter(api_tokens::digest.eq(digest))
        .select((ApiToken::as_select(), Organisation::as_select()))
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)
        .optional()
}

/// Records a use, unless one was recorded within `interval`. The condition lives in the UPDATE
/// so that every instance sharing the database agrees, whatever the timing.
pub fn touch_last_used(
    conn: &mut DbConn,
    id: i32,
    now: NaiveDateTime,
    interval: Duration,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table.find(id).filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.lt(now - interval)),
        ),
    )
    .set(api_tokens::last_used_at.eq(Some(now)))
    .execute(conn)
}

/// Takes the current token `id` out of its organisation's slot at `at`, keeping it working until
/// `grace_until` if given; returns 0 when it was no longer current (someone else acted first).
pub fn supersede(
    conn: &mut DbConn,
    organisation_id: i32,
    id: i32,
    at: NaiveDateTime,
    grace_until: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::organisation_id.eq(organisation_id))
            .filter(api_tokens::superseded_at.is_null()),
    )
    .set((
        api_tokens::superseded_at.eq(Some(at)),
        api_tokens::grace_until.eq(grace_until),
        api_tokens::reveal_ciphertext.eq(None::<String>),
    ))
    .execute(conn)
}

/// Stops the tokens `ids` at `at` for `reason`, unless already stopped; returns how many stopped.
pub fn revoke(
    conn: &mut DbConn,
    ids: &[i32],
    at: NaiveDateTime,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq_any(ids))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set((
        api_tokens::revoked_at.eq(Some(at)),
        api_tokens::revoked_reason.eq(Some(reason)),
        api_tokens::reveal_ciphertext.eq(None::<String>),
    ))
    .execute(conn)
}

/// Forgets every ciphertext whose reveal window has passed.
pub fn clear_expired_reveals(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::reveal_ciphertext.is_not_null())
            .filter(api_tokens::reveal_until.le(now)),
    )
    .set(api_tokens::reveal_ciphertext.eq(None::<String>))
    .execute(conn)
}

/// Every token still holding a reveal ciphertext, for re-sealing under a new reveal key.
pub fn with_reveal_ciphertext(conn: &mut DbConn) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::reveal_ciphertext.is_not_null())
        .select(ApiToken::as_select())
        .load(conn)
}

/// Current tokens that expire by `by` and have not had every expiry reminder yet.
pub fn expiring_by(
    conn: &mut DbConn,
    by: NaiveDateTime,
    last_stage: i32,
) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::superseded_at.is_null())
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.le(by))
        .filter(api_tokens::expiry_notice.lt(last_stage))
        .order(api_tokens::id.asc())
        .select(ApiToken::as_select())
        .load(conn)
}

/// Replaces (or, with `None`, forgets) one token's reveal ciphertext.
pub fn replace_reveal_ciphertext(
    conn: &mut DbConn,
    id: i32,
    sealed: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::reveal_ciphertext.eq(sealed))
        .execute(conn)
}

pub fn count_reveal_ciphertexts(conn: &mut DbConn) -> QueryResult<i64> {
    api_tokens::table
        .filter(api_tokens::reveal_ciphertext.is_not_null())
        .count()
        .get_result(conn)
}

/// Records that reminder `stage` of token `id` is being sent, unless it (or a later one) was:
/// 0 then, so of several instances sweeping at once exactly one sends it.
pub fn raise_expiry_notice(conn: &mut DbConn, id: i32, stage: i32) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::expiry_notice.lt(stage)),
    )
    .set(api_tokens::expiry_notice.eq(stage))
    .execute(conn)
}

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{api_tokens, organisations};

/// A stored token: its digest and metadata, never its plaintext.
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i32,
    pub organisation_id: i32,
    pub digest: String,
    pub display_prefix: String,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub created_session: String,
    pub reveal_until: NaiveDateTime,
    pub reveal_ciphertext: Option<String>,
    pub superseded_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

impl ApiToken {
    /// Whether the API accepts this token at `now`: active, or superseded but still in its grace.
    pub fn is_usable(&self, now: NaiveDateTime) -> bool {
        match self.superseded_at {
            None => true,
            Some(_) => self.expires_at.is_some_and(|end| now < end),
        }
    }
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
    pub reveal_ciphertext: Option<&'a str>,
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

pub fn active_for_organisation(
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

/// Superseded tokens whose grace period has not ended yet, newest first.
pub fn in_grace_for_organisation(
    conn: &mut DbConn,
    organisation_id: i32,
    now: NaiveDateTime,
) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::organisation_id.eq(organisation_id))
        .filter(api_tokens::superseded_at.is_not_null())
        .filter(api_tokens::expires_at.gt(now))
        .order(api_tokens::superseded_at.desc())
        .select(ApiToken::as_select())
        .load(conn)
}

/// The token with `digest` and whether its organisation's API access is on (0/1).
pub fn find_with_api_access(
    conn: &mut DbConn,
    digest: &str,
) -> QueryResult<Option<(ApiToken, i32)>> {
    api_tokens::table
        .inner_join(organisations::table)
        .filter(api_tokens::digest.eq(digest))
        .select((ApiToken::as_select(), organisations::api_enabled))
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

/// Retires the active token `id`; returns 0 when it was not active any more (someone else won).
pub fn supersede(
    conn: &mut DbConn,
    organisation_id: i32,
    id: i32,
    at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::organisation_id.eq(organisation_id))
            .filter(api_tokens::superseded_at.is_null()),
    )
    .set((
        api_tokens::superseded_at.eq(Some(at)),
        api_tokens::expires_at.eq(Some(expires_at)),
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

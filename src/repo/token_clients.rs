//! Who uses a token: distinct (client address, User-Agent) pairs with first and last seen.
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::DbConn;
use crate::db::schema::token_clients;

#[derive(Queryable, Selectable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = token_clients)]
pub struct TokenClient {
    pub client_addr: String,
    pub user_agent: String,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
}

/// Notes that the pair used `token_id` at `now`: a new pair is added, a known one gets a new
/// `last_seen` unless it got one within `interval`. Returns whether a new pair was added.
pub fn record(
    conn: &mut DbConn,
    token_id: i32,
    client_addr: &str,
    user_agent: &str,
    now: NaiveDateTime,
    interval: Duration,
) -> QueryResult<bool> {
    let pair = token_clients::table
        .filter(token_clients::token_id.eq(token_id))
        .filter(token_clients::client_addr.eq(client_addr))
        .filter(token_clients::user_agent.eq(user_agent));
    let touched = diesel::update(pair.filter(token_clients::last_seen.lt(now - interval)))
        .set(token_clients::last_seen.eq(now))
        .execute(conn)?;
    if touched > 0 {
        return Ok(false);
    }
    let inserted = diesel::insert_into(token_clients::table)
        .values((
            token_clients::token_id.eq(token_id),
            token_clients::client_addr.eq(client_addr),
            token_clients::user_agent.eq(user_agent),
            token_clients::first_seen.eq(now),
            token_clients::last_seen.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        // Known and seen within the interval (or added by a concurrent request): nothing to do.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The token's pairs, most recently seen first.
pub fn latest(conn: &mut DbConn, token_id: i32, limit: i64) -> QueryResult<Vec<TokenClient>> {
    token_clients::table
        .filter(token_clients::token_id.eq(token_id))
        .order(token_clients::last_seen.desc())
        .limit(limit)
        .select(TokenClient::as_select())
        .load(conn)
}

/// Forgets all but the `keep` most recently seen pairs of the token.
pub fn prune(conn: &mut DbConn, token_id: i32, keep: i64) -> QueryResult<usize> {
    let Some(oldest_kept) = latest(conn, token_id, keep)?.pop() else {
        return Ok(0);
    };
    diesel::delete(
        token_clients::table
            .filter(token_clients::token_id.eq(token_id))
            .filter(token_clients::last_seen.lt(oldest_kept.last_seen)),
    )
    .execute(conn)
}

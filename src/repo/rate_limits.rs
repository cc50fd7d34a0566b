//! The shared per-token rate-limit buckets (`domain::rate_limit`): one row per token, holding
//! when its bucket will be empty, in ns since the Unix epoch.
use diesel::dsl::case_when;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::api_rate_limits;

/// Adds `weight_ns` of requests, made from `since_ns` on, to the token's shared bucket (which
/// drains until then). Concurrent charges from several instances all count.
pub fn charge(conn: &mut DbConn, token_id: i32, since_ns: i64, weight_ns: i64) -> QueryResult<()> {
    let drained = case_when(
        api_rate_limits::empty_at_ns.gt(since_ns),
        api_rate_limits::empty_at_ns,
    )
    .otherwise(since_ns);
    // No ON CONFLICT through MultiConnection: update first; if the token has no row yet, insert
    // it; if another instance inserted it meanwhile, the primary key refuses ours and the update,
    // retried once, counts us.
    for _ in 0..2 {
        let updated = diesel::update(api_rate_limits::table.find(token_id))
            .set(api_rate_limits::empty_at_ns.eq(drained + weight_ns))
            .execute(conn)?;
        if updated == 1 {
            return Ok(());
        }
        let inserted = diesel::insert_into(api_rate_limits::table)
            .values((
                api_rate_limits::token_id.eq(token_id),
                api_rate_limits::empty_at_ns.eq(since_ns.saturating_add(weight_ns)),
            ))
            .execute(conn);
        match inserted {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => continue,
            other => return other.map(|_| ()),
        }
    }
    Err(diesel::result::Error::NotFound)
}

/// The shared buckets of `token_ids` that have one: (token id, empty at).
pub fn levels(conn: &mut DbConn, token_ids: &[i32]) -> QueryResult<Vec<(i32, i64)>> {
    let mut levels = Vec::with_capacity(token_ids.len());
    // Bounded lists keep every backend far from its limit on bound parameters.
    for chunk in token_ids.chunks(500) {
        levels.extend(
            api_rate_limits::table
                .filter(api_rate_limits::token_id.eq_any(chunk))
                .select((api_rate_limits::token_id, api_rate_limits::empty_at_ns))
                .load::<(i32, i64)>(conn)?,
        );
    }
    Ok(levels)
}

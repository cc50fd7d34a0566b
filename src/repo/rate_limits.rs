//! The shared per-token rate-limit buckets (`domain::rate_limit`): one row per token, holding
//! when its bucket will be empty, in ns since the Unix epoch.
use diesel::dsl::case_when;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::api_rate_limits;

/// Adds `weight_ns` of requests, made from `since_ns` on, to the token's shared bucket (which
/// drains until then). Concurrent charges from several instances all count: one upsert, so
/// that two instances' first charges of a token (both inserting its row) add up rather than
/// one failing on the primary key, which on PostgreSQL would abort the sync's transaction.
pub fn charge(conn: &mut DbConn, token_id: i32, since_ns: i64, weight_ns: i64) -> QueryResult<()> {
    // The existing row's level, drained until `since_ns`.
    let drained = case_when(
        api_rate_limits::empty_at_ns.gt(since_ns),
        api_rate_limits::empty_at_ns,
    )
    .otherwise(since_ns);
    let upsert = diesel::insert_into(api_rate_limits::table)
        .values((
            api_rate_limits::token_id.eq(token_id),
            api_rate_limits::empty_at_ns.eq(since_ns.saturating_add(weight_ns)),
        ))
        .on_conflict(api_rate_limits::token_id)
        .do_update()
        .set(api_rate_limits::empty_at_ns.eq(drained + weight_ns));
    // ON CONFLICT is not available through MultiConnection; each backend has it.
    match conn {
        DbConn::Sqlite(c) => upsert.execute(c)?,
        DbConn::Postgres(c) => upsert.execute(c)?,
    };
    Ok(())
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

//! The staff console's list of organisations: a search, filters, one page at a time, each row
//! with its token state and open request for API access, in one query per page (and one to
//! count). The token state is one SQL expression, used both to show and to filter, so the two
//! cannot disagree; filters on a rare state first narrow the organisations to those with a token
//! that could be in it, through partial indexes (migration `2026-12-03-210001_staff_console`).
use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::expression::is_aggregate::Never;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text, Timestamp};

use crate::db::schema::organisations;
use crate::db::{DbConn, MultiBackend};
use crate::repo::organisations::Organisation;

/// The token states, as the state expression names them.
pub const EXPOSED: &str = "exposed";
pub const NO_TOKEN: &str = "none";
pub const EXPIRED: &str = "expired";
pub const IN_GRACE: &str = "grace";
pub const EXPIRING: &str = "expiring";
pub const WORKING: &str = "working";

/// What to list; every part optional.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Part of the name, the slug or a member's email, in lower case.
    pub search: Option<String>,
    pub api_enabled: Option<bool>,
    /// One of the state names above.
    pub token_state: Option<&'static str>,
    /// Only organisations with an open request for API access, oldest request first.
    pub requested: bool,
}

/// One row of the list.
#[derive(Queryable, Debug, Clone)]
pub struct Row {
    pub org: Organisation,
    pub token_state: String,
    /// When its open request for API access was made.
    pub requested_at: Option<NaiveDateTime>,
}

/// A piece of SQL about the organisation of the row.
type Sql<ST> =
    Box<dyn BoxableExpression<organisations::table, MultiBackend, (), Never, SqlType = ST>>;
type Condition = Sql<Bool>;

// The organisation's current token: at most one by the partial unique index.
const CURRENT: &str = "SELECT 1 FROM api_tokens c WHERE c.organisation_id = organisations.id \
                       AND c.superseded_at IS NULL";

/// The first of these that holds: a token reported exposed after the current one was made (or
/// with none since); no current token; the current token expired; a replaced token in its grace
/// period; the current token expiring within `soon`; working.
fn token_state(now: NaiveDateTime, soon: NaiveDateTime) -> Sql<Text> {
    Box::new(sql::<Text>(&format!(
        "(CASE WHEN EXISTS (SELECT 1 FROM api_tokens x WHERE x.organisation_id = organisations.id \
         AND x.revoked_reason = 'exposed' AND NOT EXISTS ({CURRENT} AND c.created_at > \
         x.revoked_at)) THEN '{EXPOSED}' WHEN NOT EXISTS ({CURRENT}) THEN '{NO_TOKEN}' \
         WHEN EXISTS ({CURRENT} AND c.expires_at <= "
    ))
    .bind::<Timestamp, _>(now)
    .sql(&format!(
        ") THEN '{EXPIRED}' WHEN EXISTS (SELECT 1 FROM api_tokens g WHERE g.organisation_id = \
         organisations.id AND g.superseded_at IS NOT NULL AND g.revoked_at IS NULL AND \
         g.grace_until > "
    ))
    .bind::<Timestamp, _>(now)
    .sql(&format!(
        ") THEN '{IN_GRACE}' WHEN EXISTS ({CURRENT} AND c.expires_at <= "
    ))
    .bind::<Timestamp, _>(soon)
    .sql(&format!(") THEN '{EXPIRING}' ELSE '{WORKING}' END)")))
}

fn requested_at() -> Sql<Nullable<Timestamp>> {
    Box::new(sql::<Nullable<Timestamp>>(
        "(SELECT r.created_at FROM api_access_requests r WHERE r.organisation_id = \
         organisations.id AND r.answered_at IS NULL)",
    ))
}

/// `%text%` for LIKE with `\` as the escape character.
fn containing(text: &str) -> String {
    format!("%{}%", super::escape_like(text))
}

fn matching(search: &str) -> Condition {
    let pattern = containing(search);
    Box::new(
        sql::<Bool>("(LOWER(organisations.name) LIKE ")
            .bind::<Text, _>(pattern.clone())
            .sql(" ESCAPE '\\' OR organisations.slug LIKE ")
            .bind::<Text, _>(pattern.clone())
            .sql(
                " ESCAPE '\\' OR organisations.id IN (SELECT m.organisation_id FROM memberships m \
                 INNER JOIN users u ON u.id = m.user_id WHERE u.email LIKE ",
            )
            .bind::<Text, _>(pattern)
            .sql(" ESCAPE '\\'))"),
    )
}

/// The organisations with a token that could be in `state` (every one for the common states).
fn candidates(state: &str, now: NaiveDateTime, soon: NaiveDateTime) -> Option<Condition> {
    let tokens = "organisations.id IN (SELECT t.organisation_id FROM api_tokens t WHERE ";
    let (condition, at) = match state {
        EXPOSED => {
            return Some(Box::new(sql::<Bool>(&format!(
                "{tokens}t.revoked_reason = 'exposed')"
            ))));
        }
        EXPIRED => ("t.superseded_at IS NULL AND t.expires_at <= ", now),
        EXPIRING => ("t.superseded_at IS NULL AND t.expires_at <= ", soon),
        IN_GRACE => (
            "t.superseded_at IS NOT NULL AND t.revoked_at IS NULL AND t.grace_until > ",
            now,
        ),
        _ => return None,
    };
    Some(Box::new(
        sql::<Bool>(&format!("{tokens}{condition}"))
            .bind::<Timestamp, _>(at)
            .sql(")"),
    ))
}

fn filtered<'a>(
    filter: &Filter,
    now: NaiveDateTime,
    soon: NaiveDateTime,
) -> organisations::BoxedQuery<'a, MultiBackend> {
    let mut query = organisations::table.into_boxed();
    if let Some(search) = &filter.search {
        query = query.filter(matching(search));
    }
    if let Some(enabled) = filter.api_enabled {
        query = query.filter(organisations::api_enabled.eq(i32::from(enabled)));
    }
    if let Some(state) = filter.token_state {
        if let Some(condition) = candidates(state, now, soon) {
            query = query.filter(condition);
        }
        query = query.filter(token_state(now, soon).eq(state));
    }
    if filter.requested {
        query = query.filter(sql::<Bool>(
            "organisations.id IN (SELECT organisation_id FROM api_access_requests \
             WHERE answered_at IS NULL)",
        ));
    }
    query
}

/// Up to `limit` rows from `offset`: by name, or with `requested` by the oldest request first.
/// A token expiring by `soon` counts as expiring.
pub fn page(
    conn: &mut DbConn,
    filter: &Filter,
    (offset, limit): (i64, i64),
    (now, soon): (NaiveDateTime, NaiveDateTime),
) -> QueryResult<Vec<Row>> {
    let query = filtered(filter, now, soon);
    let query = if filter.requested {
        query.order((requested_at().asc(), organisations::id.asc()))
    } else {
        query.order((organisations::name.asc(), organisations::id.asc()))
    };
    query
        .offset(offset)
        .limit(limit)
        .select((
            Organisation::as_select(),
            token_state(now, soon),
            requested_at(),
        ))
        .load(conn)
}

/// How many organisations match.
pub fn count(
    conn: &mut DbConn,
    filter: &Filter,
    (now, soon): (NaiveDateTime, NaiveDateTime),
) -> QueryResult<i64> {
    filtered(filter, now, soon).count().get_result(conn)
}

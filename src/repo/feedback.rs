use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{clients, feedback};

#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = feedback)]
pub struct NewFeedback {
    pub organisation_id: i32,
    pub client_id: i32,
    pub respondent_name: String,
    pub respondent_email: String,
    pub score: i32,
    pub comment: Option<String>,
    pub survey: String,
    pub submitted_at: NaiveDateTime,
}

/// One response as listed: the feedback row with its client's name.
#[derive(Queryable, Clone, Debug)]
pub struct FeedbackRow {
    pub id: i32,
    pub client_id: i32,
    pub client_name: String,
    pub respondent_name: String,
    pub respondent_email: String,
    pub score: i32,
    pub comment: Option<String>,
    pub survey: String,
    pub submitted_at: NaiveDateTime,
}

/// Which responses a query covers, beyond the organisation. `until` is exclusive.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub client_id: Option<i32>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
}

/// Where a newest-first page starts: strictly after this (submitted_at, id).
pub type Cursor = (NaiveDateTime, i32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Month,
    Quarter,
}

// Scoped to one organisation and narrowed by a Filter; shared by the listing and the aggregates
// (`repo::scores`) so they always agree on which rows count.
macro_rules! scoped {
    ($query:expr, $org_id:expr, $filter:expr) => {{
        let filter: &Filter = $filter;
        let mut query = $query.filter(feedback::organisation_id.eq($org_id));
        if let Some(since) = filter.since {
            query = query.filter(feedback::submitted_at.ge(since));
        }
        if let Some(until) = filter.until {
            query = query.filter(feedback::submitted_at.lt(until));
        }
        if let Some(client_id) = filter.client_id {
            query = query.filter(feedback::client_id.eq(client_id));
        }
        if let Some(min) = filter.min_score {
            query = query.filter(feedback::score.ge(min));
        }
        if let Some(max) = filter.max_score {
            query = query.filter(feedback::score.le(max));
        }
        query
    }};
}
pub(crate) use scoped;

/// Inserts many rows in few statements. Callers hold a transaction.
pub fn insert_all(conn: &mut DbConn, rows: &[NewFeedback]) -> QueryResult<usize> {
    let mut inserted = 0;
    // 500 rows × 8 columns stays far below SQLite's limit on bound parameters.
    for chunk in rows.chunks(500) {
        // Multi-row inserts are not available through MultiConnection; each backend has them.
        let statement = diesel::insert_into(feedback::table).values(chunk);
        inserted += match conn {
            DbConn::Sqlite(c) => statement.execute(c)?,
            DbConn::Postgres(c) => statement.execute(c)?,
        };
    }
    Ok(inserted)
}

/// Up to `limit` responses, newest first, after `cursor` if given. Ordered by the unique
/// (submitted_at, id), so a page boundary is exact and rows inserted meanwhile never shift it.
pub fn page(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<FeedbackRow>> {
    let base = feedback::table.inner_join(clients::table).into_boxed();
    let mut query = scoped!(base, org_id, filter);
    if let Some((at, id)) = cursor {
        // The redundant `<= at` gives the planner an index range to start from, so a deep page
        // (or the 1000th chunk of a CSV export) costs the same as the first.
        query = query.filter(feedback::submitted_at.le(at)).filter(
            feedback::submitted_at
                .lt(at)
                .or(feedback::submitted_at.eq(at).and(feedback::id.lt(id))),
        );
    }
    query
        .order((feedback::submitted_at.desc(), feedback::id.desc()))
        .limit(limit)
        .select((
            feedback::id,
            feedback::client_id,
            clients::name,
            feedback::respondent_name,
            feedback::respondent_email,
            feedback::score,
            feedback::comment,
            feedback::survey,
            feedback::submitted_at,
        ))
        .load(conn)
}

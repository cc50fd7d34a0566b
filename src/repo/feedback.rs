use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{clients, feedback};

/// What one respondent answered: written by imports and read back by listings, so the list of
/// fields exists once.
#[derive(Insertable, Queryable, Selectable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = feedback)]
pub struct Answer {
    pub respondent_name: String,
    pub respondent_email: String,
    pub score: i32,
    /// `None` when the respondent left no comment; `Some("")` is kept apart from it.
    pub comment: Option<String>,
    pub survey: String,
    pub submitted_at: NaiveDateTime,
}

/// A response to insert; `updated_at` is the database's to set.
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = feedback)]
pub struct NewFeedback {
    pub organisation_id: i32,
    pub client_id: i32,
    #[diesel(embed)]
    pub answer: Answer,
}

/// One response as listed: the feedback row with its client's name.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = feedback)]
pub struct FeedbackRow {
    pub id: i32,
    pub client_id: i32,
    #[diesel(select_expression = clients::name)]
    pub client_name: String,
    #[diesel(embed)]
    pub answer: Answer,
    /// When the database added or last changed the row.
    pub updated_at: NaiveDateTime,
}

/// Which responses a query covers, beyond the organisation. `until` is exclusive.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub client_id: Option<i32>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    /// Only this survey's responses (its exact name).
    pub survey: Option<String>,
}

/// Where a page starts: strictly after this key, (submitted_at, id) or (updated_at, id) as the
/// listing's `Sort` says.
pub type Cursor = (NaiveDateTime, i32);

/// The order a listing walks in. Both keys end in the unique id, so a page boundary is exact and
/// rows inserted meanwhile never shift it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest submitted first.
    #[default]
    Submitted,
    /// Oldest change first, for incremental sync: rows changed while a tool pages through land
    /// after its cursor, so it meets them on a later page.
    Updated,
}

/// How a listing walks the rows a `Filter` selects.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub sort: Sort,
    /// Only rows added or changed at or after this time.
    pub updated_since: Option<NaiveDateTime>,
    /// Only rows changed before this time (exclusive).
    pub updated_before: Option<NaiveDateTime>,
    pub after: Option<Cursor>,
}

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
        if let Some(survey) = &filter.survey {
            query = query.filter(feedback::survey.eq(survey.clone()));
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

// Keyset pagination: rows strictly after `(at, id)` in the order `$cmp` (`lt` descending, `gt`
// ascending) walks `$column`. The redundant inclusive bound gives the planner an index range to
// start from, so a deep page (or the 1000th chunk of a CSV export) costs the same as the first.
macro_rules! after {
    ($query:expr, $column:expr, $cmp:ident, $inclusive:ident, $key:expr) => {{
        let (at, id): Cursor = $key;
        $query.filter($column.$inclusive(at)).filter(
            $column
                .$cmp(at)
                .or($column.eq(at).and(feedback::id.$cmp(id))),
        )
    }};
}

/// Up to `limit` responses in the listing's order, after its cursor if given.
pub fn page(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
    listing: &Listing,
    limit: i64,
) -> QueryResult<Vec<FeedbackRow>> {
    let base = feedback::table.inner_join(clients::table).into_boxed();
    let mut query = scoped!(base, org_id, filter);
    if let Some(since) = listing.updated_since {
        query = query.filter(feedback::updated_at.ge(since));
    }
    if let Some(before) = listing.updated_before {
        query = query.filter(feedback::updated_at.lt(before));
    }
    query = match (listing.sort, listing.after) {
        (Sort::Submitted, None) => query,
        (Sort::Submitted, Some(key)) => after!(query, feedback::submitted_at, lt, le, key),
        (Sort::Updated, None) => query,
        (Sort::Updated, Some(key)) => after!(query, feedback::updated_at, gt, ge, key),
    };
    query = match listing.sort {
        Sort::Submitted => query.order((feedback::submitted_at.desc(), feedback::id.desc())),
        Sort::Updated => query.order((feedback::updated_at.asc(), feedback::id.asc())),
    };
    query
        .limit(limit)
        .select(FeedbackRow::as_select())
        .load(conn)
}

/// What identifies a response for imports: (client_id, respondent_email, survey, submitted_at).
pub type AnswerKey = (i32, String, String, NaiveDateTime);

/// The first of the two keys of the PostgreSQL advisory locks that serialise imports, one per
/// organisation (the second key).
const IMPORT_LOCK_CLASS: i32 = 7_355_610;

/// Makes imports into organisation `org_id` take turns until the end of the current
/// transaction, on every instance, so that each one's check for responses already there sees
/// those the others added. PostgreSQL: a transaction-scoped advisory lock; SQLite: nothing,
/// since `write_transaction` holds the database's one write lock already.
pub fn lock_imports(conn: &mut DbConn, org_id: i32) -> QueryResult<()> {
    conn.take_turns(IMPORT_LOCK_CLASS, org_id)
}

/// The keys of the organisation's responses submitted from `from` to `to` (inclusive).
pub fn keys_between(
    conn: &mut DbConn,
    org_id: i32,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<AnswerKey>> {
    feedback::table
        .filter(feedback::organisation_id.eq(org_id))
        .filter(feedback::submitted_at.between(from, to))
        .select((
            feedback::client_id,
            feedback::respondent_email,
            feedback::survey,
            feedback::submitted_at,
        ))
        .load(conn)
}

/// When the latest of the matching responses was added or last changed; `None` without any.
pub fn last_change(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
) -> QueryResult<Option<NaiveDateTime>> {
    let base = feedback::table
        .select(diesel::dsl::max(feedback::updated_at))
        .into_boxed();
    scoped!(base, org_id, filter).first(conn)
}

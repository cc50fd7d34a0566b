//! The aggregate queries behind scores: category counts from the daily rollups
//! (`feedback_daily`, kept in step with feedback by triggers), and from the responses themselves
//! for the parts of days a range cuts through. `domain::scores` decides which to ask for.
use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::DbConn;
use crate::db::schema::{feedback, feedback_by_client, feedback_daily};
use crate::repo::feedback::{Filter, scoped};

/// Responses per category: (promoters, passives, detractors).
pub type Tally = (i64, i64, i64);

/// What counts are split by besides time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub client: bool,
    pub survey: bool,
}

/// The counts of one client and survey (`0` and `""` for what the query does not split by).
pub type Slice = (i32, String, Tally);

impl Split {
    /// The SQL for the client and survey columns, and the GROUP BY list that starts with `first`
    /// (an expression of its own, or one constant within the query, so the list is never empty).
    fn sql(self, table: &str, first: &str) -> (String, String, String) {
        let mut group = first.to_owned();
        let mut column = |split: bool, name: &str, constant: &str| {
            if split {
                group.push_str(&format!(", {table}.{name}"));
                format!("{table}.{name}")
            } else {
                constant.to_owned()
            }
        };
        let client = column(self.client, "client_id", "0");
        let survey = column(self.survey, "survey", "''");
        (client, survey, group)
    }
}

fn total(column: &str) -> String {
    format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)")
}

/// Whole UTC days `[first, end)`, either end open.
pub type Days = (Option<NaiveDate>, Option<NaiveDate>);

/// The SQL that numbers the range of `days` holding `day` (the column's SQL), or NULL. The dates
/// are formatted here (`YYYY-MM-DD`), not taken from input, so they are safe to write into SQL.
fn range_index(day: &str, days: &[Days]) -> String {
    let mut case = String::from("CASE");
    for (index, (first, end)) in days.iter().enumerate() {
        let mut test = Vec::new();
        if let Some(first) = first {
            test.push(format!("{day} >= '{first}'"));
        }
        if let Some(end) = end {
            test.push(format!("{day} < '{end}'"));
        }
        if test.is_empty() {
            test.push("1 = 1".into());
        }
        case.push_str(&format!(" WHEN {} THEN {index}", test.join(" AND ")));
    }
    case.push_str(" END");
    case
}

/// Counts over the whole days of each of `days` (sorted, not overlapping) from the daily
/// rollups, for `filter`'s client and survey (its other fields are the caller's to honour), split as asked: (index into `days`, counts). One row per range, not per day.
pub fn whole_days(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
    days: &[Days],
    split: Split,
) -> QueryResult<Vec<(i32, Slice)>> {
    // GROUP BY 1: the range, as the SELECT numbers it (both backends read the ordinal).
    let (client, survey, group) = split.sql("feedback_daily", "1");
    // SQLite gives a DATE column numeric affinity, so comparing it with text would try to read
    // both sides as numbers on every row: compare it as the text it is stored as.
    let day = match conn {
        DbConn::Sqlite(_) => "CAST(feedback_daily.day AS TEXT)",
        DbConn::Postgres(_) => "feedback_daily.day",
    };
    let ranges = range_index(day, days);
    let rows: Vec<(Option<i32>, Slice)> = {
        let mut query = feedback_daily::table
            .group_by(sql::<Integer>(&group))
            .select((
                sql::<diesel::sql_types::Nullable<Integer>>(&ranges),
                (
                    sql::<Integer>(&client),
                    sql::<Text>(&survey),
                    (
                        sql::<BigInt>(&total("feedback_daily.promoters")),
                        sql::<BigInt>(&total("feedback_daily.passives")),
                        sql::<BigInt>(&total("feedback_daily.detractors")),
                    ),
                ),
            ))
            .into_boxed()
            .filter(feedback_daily::organisation_id.eq(org_id));
        if let Some(client_id) = filter.client_id {
            query = query.filter(feedback_daily::client_id.eq(client_id));
        }
        if let Some(survey) = &filter.survey {
            query = query.filter(feedback_daily::survey.eq(survey.clone()));
        }
        // Only the days between the first range's start and the last one's end are read.
        if let Some(first) = days.first().and_then(|d| d.0) {
            query = query.filter(feedback_daily::day.ge(first));
        }
        if let Some(end) = days.last().and_then(|d| d.1) {
            query = query.filter(feedback_daily::day.lt(end));
        }
        query.load(conn)?
    };
    Ok(rows
        .into_iter()
        .filter_map(|(index, slice)| Some((index?, slice)))
        .collect())
}

/// All-time counts (from the per-client totals), split by client or not.
pub fn all_time(
    conn: &mut DbConn,
    org_id: i32,
    client_id: Option<i32>,
    by_client: bool,
) -> QueryResult<Vec<Slice>> {
    let split = Split {
        client: by_client,
        survey: false,
    };
    let (client, survey, group) =
        split.sql("feedback_by_client", "feedback_by_client.organisation_id");
    let mut query = feedback_by_client::table
        .group_by(sql::<Integer>(&group))
        .select((
            sql::<Integer>(&client),
            sql::<Text>(&survey),
            (
                sql::<BigInt>(&total("feedback_by_client.promoters")),
                sql::<BigInt>(&total("feedback_by_client.passives")),
                sql::<BigInt>(&total("feedback_by_client.detractors")),
            ),
        ))
        .into_boxed()
        .filter(feedback_by_client::organisation_id.eq(org_id));
    if let Some(client_id) = client_id {
        query = query.filter(feedback_by_client::client_id.eq(client_id));
    }
    query.load(conn)
}

const PROMOTERS: &str = "CASE WHEN feedback.score >= 9 THEN 1 ELSE 0 END";
const PASSIVES: &str = "CASE WHEN feedback.score IN (7, 8) THEN 1 ELSE 0 END";
const DETRACTORS: &str = "CASE WHEN feedback.score <= 6 THEN 1 ELSE 0 END";

/// Counts of the responses `filter` selects (its own `since`/`until` included), split as asked.
pub fn counted(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
    split: Split,
) -> QueryResult<Vec<Slice>> {
    let (client, survey, group) = split.sql("feedback", "feedback.organisation_id");
    let base = feedback::table
        .group_by(sql::<Integer>(&group))
        .select((
            sql::<Integer>(&client),
            sql::<Text>(&survey),
            (
                sql::<BigInt>(&total(PROMOTERS)),
                sql::<BigInt>(&total(PASSIVES)),
                sql::<BigInt>(&total(DETRACTORS)),
            ),
        ))
        .into_boxed();
    scoped!(base, org_id, filter).load(conn)
}

/// When the first and the last of the responses `filter` selects, whatever its time bounds,
/// were submitted.
pub fn extent(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
) -> QueryResult<Option<(NaiveDateTime, NaiveDateTime)>> {
    // Two single-aggregate queries: each is one step down the (organisation, [client,]
    // submitted_at) index, where MIN and MAX together would scan.
    let filter = Filter {
        since: None,
        until: None,
        ..filter.clone()
    };
    let first = scoped!(feedback::table.into_boxed(), org_id, &filter)
        .select(diesel::dsl::min(feedback::submitted_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    let last = scoped!(feedback::table.into_boxed(), org_id, &filter)
        .select(diesel::dsl::max(feedback::submitted_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(first.zip(last))
}

/// Recomputes every rollup (daily, and all-time per client) from the responses, in one transaction (for data loaded with the
/// triggers off, or to check them): what the triggers would have written.
pub fn rebuild(conn: &mut DbConn) -> QueryResult<()> {
    let day = match conn {
        DbConn::Sqlite(_) => "date(submitted_at)",
        DbConn::Postgres(_) => "CAST(submitted_at AS DATE)",
    };
    conn.write_transaction(|conn| {
        conn.batch_execute(&format!(
            "DELETE FROM feedback_daily; \
             INSERT INTO feedback_daily \
             SELECT organisation_id, {day}, client_id, survey, \
                    SUM({PROMOTERS}), SUM({PASSIVES}), SUM({DETRACTORS}) \
             FROM feedback GROUP BY organisation_id, {day}, client_id, survey; \
             DELETE FROM feedback_by_client; \
             INSERT INTO feedback_by_client \
             SELECT client_id, organisation_id, SUM(promoters), SUM(passives), SUM(detractors) \
             FROM feedback_daily GROUP BY client_id, organisation_id;"
        ))
    })
}

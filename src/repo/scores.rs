//! The aggregate queries behind scores: category counts from the daily rollups
//! (`feedback_daily`, kept in step with feedback by triggers), and from the responses themselves
//! for the parts of days a range cuts through. `domain::scores` decides which to ask for.
use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text};

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
    /// (a column constant within the query, so the list is never empty).
    fn sql(self, table: &str, first: &str) -> (String, String, String) {
        let mut group = format!("{table}.{first}");
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

/// Counts per UTC day in `[from, until)` (either end open), split as asked, oldest day first;
/// or, not `per_day`, over all those days at once (dated by the first of them).
pub fn daily(
    conn: &mut DbConn,
    org_id: i32,
    client_id: Option<i32>,
    (from, until): (Option<NaiveDate>, Option<NaiveDate>),
    split: Split,
    per_day: bool,
) -> QueryResult<Vec<(NaiveDate, Slice)>> {
    let (day, first) = if per_day {
        ("feedback_daily.day", "day")
    } else {
        ("MIN(feedback_daily.day)", "organisation_id")
    };
    let (client, survey, group) = split.sql("feedback_daily", first);
    let mut query = feedback_daily::table
        .group_by(sql::<Integer>(&group))
        .select((
            sql::<Date>(day),
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
        .order(sql::<Date>(day))
        .into_boxed()
        .filter(feedback_daily::organisation_id.eq(org_id));
    if let Some(client_id) = client_id {
        query = query.filter(feedback_daily::client_id.eq(client_id));
    }
    if let Some(from) = from {
        query = query.filter(feedback_daily::day.ge(from));
    }
    if let Some(until) = until {
        query = query.filter(feedback_daily::day.lt(until));
    }
    query.load(conn)
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
    let (client, survey, group) = split.sql("feedback_by_client", "organisation_id");
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
    let (client, survey, group) = split.sql("feedback", "organisation_id");
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

/// When the first and the last of the organisation's (or client's) responses were submitted.
pub fn extent(
    conn: &mut DbConn,
    org_id: i32,
    client_id: Option<i32>,
) -> QueryResult<Option<(NaiveDateTime, NaiveDateTime)>> {
    // Two single-aggregate queries: each is one step down the (organisation, [client,]
    // submitted_at) index, where MIN and MAX together would scan.
    let filter = Filter {
        client_id,
        ..Filter::default()
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
    conn.transaction(|conn| {
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

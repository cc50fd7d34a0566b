//! Scores come from daily rollups kept by triggers, plus the responses of partial days: on random
//! responses, inserts, updates and deletes, every summary equals counting the responses one by
//! one, and the triggers' rollups equal a rebuild from scratch (on the backend under test).
use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use diesel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use pulse::db::DbConn;
use pulse::db::schema::{feedback, feedback_by_client, feedback_daily};
use pulse::domain::nps::Counts;
use pulse::domain::scores::{self, Grouping, Request};
use pulse::repo::feedback::{Answer, Filter, NewFeedback, Period, insert_all};
use pulse::repo::{clients, organisations};

use crate::helpers::{TestApp, spawn_app};

const CLIENTS: [&str; 3] = ["Globex", "Initech", "Umbrella"];
const SURVEYS: [&str; 3] = ["Onboarding", "Q1 survey", "Support"];
const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Paris",
    "Asia/Kolkata",
    "America/Santiago",
    "Pacific/Chatham",
];
/// The responses span 100 days from here: month and quarter ends, and clock changes in Paris.
const SPAN_SECS: i64 = 100 * 86_400;

fn base() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 20)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

/// A response as the test remembers it: client index, survey index, score, seconds after `base`.
type Row = (usize, usize, i32, i64);

#[derive(Debug, Clone)]
struct Case {
    rows: Vec<Row>,
    /// Indexes (modulo the row count) to delete, and to update with a new score and time.
    deletes: Vec<usize>,
    updates: Vec<(usize, i32, i64, usize)>,
    since: Option<i64>,
    until: Option<i64>,
    client: Option<usize>,
    survey: Option<usize>,
    period: Option<Period>,
    by_client: bool,
    by_survey: bool,
    zone: usize,
}

fn offset() -> impl Strategy<Value = i64> {
    // Whole days, hours or seconds, so that ranges fall on midnights as often as inside days.
    prop_oneof![
        (0..100i64).prop_map(|d| d * 86_400),
        (0..2400i64).prop_map(|h| h * 3600),
        0..SPAN_SECS,
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let row = (0..3usize, 0..3usize, 0..=10i32, offset());
    (
        prop::collection::vec(row, 0..60),
        prop::collection::vec(any::<usize>(), 0..6),
        prop::collection::vec((any::<usize>(), 0..=10i32, offset(), 0..3usize), 0..6),
        (prop::option::of(offset()), prop::option::of(offset())),
        (prop::option::of(0..3usize), prop::option::of(0..3usize)),
        prop_oneof![
            Just(None),
            Just(Some(Period::Month)),
            Just(Some(Period::Quarter))
        ],
        (any::<bool>(), any::<bool>(), 0..ZONES.len()),
    )
        .prop_map(
            |(rows, deletes, updates, (since, until), (client, survey), period, (c, s, zone))| {
                Case {
                    rows,
                    deletes,
                    updates,
                    since,
                    until,
                    client,
                    survey,
                    period,
                    by_client: c,
                    by_survey: s,
                    zone,
                }
            },
        )
}

fn at(offset: i64) -> NaiveDateTime {
    base() + Duration::seconds(offset)
}

/// Stores the case's responses in a fresh organisation through the app's write path, then
/// deletes and updates some with plain SQL; returns the organisation, client ids and what stays.
fn store(conn: &mut DbConn, slug: &str, case: &Case) -> (i32, Vec<i32>, Vec<Row>) {
    let org = organisations::insert(
        conn,
        &organisations::NewOrganisation {
            name: slug,
            slug,
            api_enabled: 1,
            created_at: base(),
        },
    )
    .unwrap()
    .id;
    let ids: Vec<i32> = CLIENTS
        .iter()
        .map(|name| clients::find_or_create(conn, org, name, base()).unwrap().id)
        .collect();
    let new: Vec<NewFeedback> = case
        .rows
        .iter()
        .map(|&(client, survey, score, offset)| NewFeedback {
            organisation_id: org,
            client_id: ids[client],
            answer: Answer {
                respondent_name: "R".into(),
                respondent_email: "r@example.com".into(),
                score,
                comment: None,
                survey: SURVEYS[survey].into(),
                submitted_at: at(offset),
            },
        })
        .collect();
    insert_all(conn, &new).unwrap();
    let stored: Vec<i32> = feedback::table
        .filter(feedback::organisation_id.eq(org))
        .order(feedback::id)
        .select(feedback::id)
        .load(conn)
        .unwrap();
    let mut rows: Vec<Option<Row>> = case.rows.iter().copied().map(Some).collect();
    if rows.is_empty() {
        return (org, ids, Vec::new());
    }
    for &(i, score, offset, other) in &case.updates {
        let i = i % rows.len();
        diesel::update(feedback::table.find(stored[i]))
            .set((
                feedback::score.eq(score),
                feedback::submitted_at.eq(at(offset)),
                feedback::client_id.eq(ids[other]),
                feedback::survey.eq(SURVEYS[other]),
            ))
            .execute(conn)
            .unwrap();
        if let Some(row) = rows[i].as_mut() {
            *row = (other, other, score, offset);
        }
    }
    for &i in &case.deletes {
        let i = i % rows.len();
        diesel::delete(feedback::table.find(stored[i]))
            .execute(conn)
            .unwrap();
        rows[i] = None;
    }
    (org, ids, rows.into_iter().flatten().collect())
}

/// The key of a group as the test computes it: (period label, client id, survey).
type Key = (Option<String>, Option<i32>, Option<String>);

fn period_label(period: Period, day: NaiveDate) -> String {
    use chrono::Datelike;
    match period {
        Period::Month => format!("{:04}-{:02}", day.year(), day.month()),
        Period::Quarter => format!("{:04}-Q{}", day.year(), day.month0() / 3 + 1),
    }
}

/// Counting the responses one by one.
fn expected(case: &Case, ids: &[i32], rows: &[Row], tz: Tz) -> BTreeMap<Key, Counts> {
    let mut counts: BTreeMap<Key, Counts> = BTreeMap::new();
    for &(client, survey, score, offset) in rows {
        let when = at(offset);
        let inside = case.since.is_none_or(|s| when >= at(s))
            && case.until.is_none_or(|u| when < at(u))
            && case.client.is_none_or(|c| c == client)
            && case.survey.is_none_or(|s| s == survey);
        if !inside {
            continue;
        }
        let local = tz.from_utc_datetime(&when).date_naive();
        let key = (
            case.period.map(|p| period_label(p, local)),
            case.by_client.then_some(ids[client]),
            case.by_survey.then(|| SURVEYS[survey].to_owned()),
        );
        counts.entry(key).or_default().add(score);
    }
    counts
}

type Daily = (i32, NaiveDate, i32, String, i32, i32, i32);
type ByClient = (i32, i32, i32, i32, i32);

/// Both rollups: per day, client and survey; and all-time per client.
fn rollups(conn: &mut DbConn) -> (Vec<Daily>, Vec<ByClient>) {
    let daily = feedback_daily::table
        .order((
            feedback_daily::organisation_id,
            feedback_daily::day,
            feedback_daily::client_id,
            feedback_daily::survey,
        ))
        .load(conn)
        .unwrap();
    let by_client = feedback_by_client::table
        .order(feedback_by_client::client_id)
        .load(conn)
        .unwrap();
    (daily, by_client)
}

fn check(app: &TestApp, number: usize, case: &Case) -> Result<(), TestCaseError> {
    app.with_conn(|conn| {
        let (org, ids, rows) = store(conn, &format!("org{number}"), case);
        let tz: Tz = ZONES[case.zone].parse().unwrap();
        let filter = Filter {
            since: case.since.map(at),
            until: case.until.map(at),
            client_id: case.client.map(|c| ids[c]),
            survey: case.survey.map(|s| SURVEYS[s].to_owned()),
            ..Filter::default()
        };
        if filter.since.zip(filter.until).is_some_and(|(s, u)| s >= u) {
            return Ok(());
        }
        let grouping = Grouping {
            period: case.period,
            client: case.by_client,
            survey: case.by_survey,
        };
        let request = Request {
            filter: &filter,
            grouping: Some(grouping),
            tz,
            now: at(SPAN_SECS),
        };
        let summary = scores::summarise(conn, org, &request).unwrap();
        let expected = expected(case, &ids, &rows, tz);
        let mut overall = Counts::default();
        expected.values().for_each(|c| overall += *c);
        prop_assert_eq!(summary.overall, overall);
        let mut answered: BTreeMap<Key, Counts> = BTreeMap::new();
        for group in summary.groups.unwrap() {
            let key = (
                group.period.map(|p| p.label),
                group.client.map(|(id, _)| id),
                group.survey,
            );
            prop_assert!(
                answered.insert(key, group.counts).is_none(),
                "a group twice"
            );
        }
        for (key, counts) in &expected {
            prop_assert_eq!(answered.get(key), Some(counts), "{:?}", key);
        }
        for (key, counts) in &answered {
            if !expected.contains_key(key) {
                prop_assert_eq!(counts.responses, 0, "{:?}", key);
            }
        }
        Ok(())
    })
}

#[tokio::test]
async fn summaries_equal_counting_the_responses_on_random_data() {
    let app = spawn_app().await;
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let number = std::cell::Cell::new(0);
    runner
        .run(&case(), |case| {
            number.set(number.get() + 1);
            check(&app, number.get(), &case)
        })
        .unwrap();
    // Whatever the triggers did along the way, they agree with a rebuild from scratch.
    app.with_conn(|conn| {
        let kept = rollups(conn);
        assert!(!kept.0.is_empty() && !kept.1.is_empty());
        scores::rebuild_rollups(conn).unwrap();
        assert_eq!(rollups(conn), kept);
    });
}

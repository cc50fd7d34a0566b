//! The per-token API rate limit: decided in memory (an API request writes nothing), stated on
//! every API response, and shared by instances through batched syncs (README: "Rate limit").
use diesel::prelude::*;
use pulse::db::DbConn;
use pulse::db::schema::api_rate_limits;

use crate::databases::postgres_required;
use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};

/// The budget a response states: (limit, remaining, reset), read from the structured fields of
/// the current IETF draft (`RateLimit-Policy: "per-token";q=…;w=60`, `RateLimit:
/// "per-token";r=…;t=…`), which must agree with the draft -06 fields still sent beside them.
#[track_caller]
fn budget(response: &reqwest::Response) -> (u64, u64, u64) {
    let text = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let number = |name: &str| -> u64 {
        text(name)
            .parse()
            .unwrap_or_else(|_| panic!("{name} is a number"))
    };
    // One list member: the policy's name, then `;key=integer` parameters.
    let parameters = |name: &str| -> Vec<(String, u64)> {
        let value = text(name);
        let (policy, parameters) = value.split_once(';').expect("parameters");
        assert_eq!(policy, "\"per-token\"", "{name}: {value}");
        parameters
            .split(';')
            .map(|p| {
                let (key, n) = p.split_once('=').unwrap();
                (key.to_owned(), n.parse().unwrap())
            })
            .collect()
    };
    let policy = parameters("ratelimit-policy");
    let current = parameters("ratelimit");
    let limit = policy[0].1;
    assert_eq!(policy, [("q".to_owned(), limit), ("w".to_owned(), 60)]);
    let (remaining, reset) = (current[0].1, current[1].1);
    assert_eq!(
        current,
        [("r".to_owned(), remaining), ("t".to_owned(), reset)]
    );
    assert_eq!(
        (
            number("ratelimit-limit"),
            number("ratelimit-remaining"),
            number("ratelimit-reset")
        ),
        (limit, remaining, reset),
        "the draft -06 fields say the same"
    );
    (limit, remaining, reset)
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn every_api_response_states_the_budget() {
    let app = spawn_app_with(|config| config.api_rate_limit = 3).await;
    app.create_org("acme", true);
    app.create_org("other", true);
    let token = app.issue_token("acme");
    let other = app.issue_token("other");

    // One request drains every 20 s: after the first, 2 remain and the bucket is empty in 20 s.
    let ok = app.api_get(&token, "/api/v1/whoami").await;
    assert_eq!(ok.status(), 200);
    assert_eq!(budget(&ok), (3, 2, 20));
    // A refused parameter still counts, and says so.
    let bad = app.api_get(&token, "/api/v1/feedback?limit=0").await;
    assert_eq!(budget(&bad), (3, 1, 40));
    assert_problem(bad, 400).await;
    let unknown_path = app.api_get(&token, "/api/v1/nothing-here").await;
    assert_eq!(unknown_path.status(), 404);
    assert_eq!(budget(&unknown_path), (3, 3, 0), "no handler, no count");
    let last = app.api_get(&token, "/api/v1/clients").await;
    assert_eq!(budget(&last), (3, 0, 60));

    let limited = app.api_get(&token, "/api/v1/clients").await;
    assert_eq!(budget(&limited), (3, 0, 60));
    assert_eq!(retry_after(&limited), 20);
    assert_problem(limited, 429).await;
    // The budget is per token: another organisation's token is unaffected.
    let others = app.api_get(&other, "/api/v1/clients").await;
    assert_eq!(budget(&others), (3, 2, 20));

    // Requests without a usable token are not counted: they show the whole budget.
    let anonymous = reqwest::get(app.url("/api/v1/whoami")).await.unwrap();
    assert_eq!(budget(&anonymous), (3, 3, 0));
    assert_problem(anonymous, 401).await;
    let public = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(public.status(), 200);
    assert_eq!(budget(&public), (3, 3, 0));

    // The bucket drains: 20 s later one more request fits.
    app.advance(chrono::Duration::seconds(20));
    let again = app.api_get(&token, "/api/v1/whoami").await;
    assert_eq!(again.status(), 200);
    assert_eq!(budget(&again), (3, 0, 60));
}

/// SQLite's count of commits by other connections, as this connection sees it.
fn data_version(conn: &mut DbConn) -> Option<i64> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        data_version: i64,
    }
    match conn {
        DbConn::Sqlite(c) => Some(
            diesel::sql_query("PRAGMA data_version")
                .get_result::<Version>(c)
                .expect("PRAGMA data_version")
                .data_version,
        ),
        DbConn::Postgres(_) => None,
    }
}

fn shared_buckets(app: &TestApp) -> i64 {
    app.with_conn(|conn| api_rate_limits::table.count().get_result(conn).unwrap())
}

#[tokio::test]
async fn an_ordinary_api_request_writes_nothing() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    // The token's first use is recorded (last used, and the history's "first used").
    assert_eq!(app.whoami_status(&token).await, 200);

    let mut conn = app.db.conn().unwrap();
    let before = data_version(&mut conn);
    for path in ["/api/v1/whoami", "/api/v1/clients", "/api/v1/scores"] {
        for _ in 0..5 {
            assert_eq!(app.api_get(&token, path).await.status(), 200, "{path}");
        }
    }
    assert_eq!(
        data_version(&mut conn),
        before,
        "an API request committed a write"
    );
    assert_eq!(shared_buckets(&app), 0, "counted in memory until a sync");
    drop(conn);
    app.sync_rate_limits();
    assert_eq!(
        shared_buckets(&app),
        1,
        "one row per token, written by the sync"
    );
}

/// Two instances A and B with a limit of 4 a minute (one request drains every 15 s), and a token
/// whose whole budget A has just let through.
async fn two_instances_and_a_spent_token() -> (TestApp, TestApp, String) {
    let a = spawn_app_with(|config| config.api_rate_limit = 4).await;
    let b = a.another_instance(|config| config.api_rate_limit = 4);
    a.create_org("acme", true);
    let token = a.issue_token("acme");
    spend(&a, &token).await;
    (a, b, token)
}

/// Four requests of `token` on `app`, each let through.
async fn spend(app: &TestApp, token: &str) {
    for _ in 0..4 {
        assert_eq!(app.whoami_status(token).await, 200);
    }
}

#[tokio::test]
async fn instances_share_one_budget_through_syncs() {
    let (a, b, token) = two_instances_and_a_spent_token().await;
    let limited = a.api_get(&token, "/api/v1/whoami").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(retry_after(&limited), 15);

    // B has not heard of A's requests before a sync: this one is the documented overshoot.
    assert_eq!(b.whoami_status(&token).await, 200);
    a.sync_rate_limits();
    b.sync_rate_limits();
    // B now counts A's four requests and its own: five of four, so two drain periods to wait.
    let limited = b.api_get(&token, "/api/v1/whoami").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(retry_after(&limited), 30);
    // And A, at its next sync, counts B's.
    a.sync_rate_limits();
    assert_eq!(retry_after(&a.api_get(&token, "/api/v1/whoami").await), 30);

    // Once the shared bucket has drained enough, either instance lets a request through.
    a.advance(chrono::Duration::seconds(30));
    assert_eq!(b.whoami_status(&token).await, 200);
}

#[tokio::test]
async fn an_instance_new_to_a_token_takes_its_shared_level_before_deciding() {
    let (a, b, token) = two_instances_and_a_spent_token().await;
    a.sync_rate_limits();
    // B has never seen the token: it reads the shared bucket A filled, rather than handing out
    // a fresh budget.
    let limited = b.api_get(&token, "/api/v1/whoami").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(retry_after(&limited), 15);
    // The same once B has forgotten an idle token (after a minute): A used the budget again.
    a.advance(chrono::Duration::seconds(61));
    b.sync_rate_limits();
    spend(&a, &token).await;
    a.sync_rate_limits();
    assert_eq!(b.api_get(&token, "/api/v1/whoami").await.status(), 429);
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn two_instances_first_syncs_of_a_token_at_once_both_count() {
    postgres_required();
    // One request a minute: each counted request fills the bucket for 60 s.
    let a = spawn_app_with(|config| config.api_rate_limit = 1).await;
    let b = a.another_instance(|config| config.api_rate_limit = 1);
    a.create_org("acme", true);
    let token = a.issue_token("acme");
    let before = a.now().and_utc().timestamp_nanos_opt().unwrap();
    assert_eq!(a.whoami_status(&token).await, 200);
    assert_eq!(b.whoami_status(&token).await, 200);
    // A's first sync inserts the token's shared bucket and is held open until B's, which found
    // no row to update, waits to insert the same one; then A commits.
    let waiting_for_a_lock = || {
        a.with_conn(|conn| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock')",
            ))
            .get_result::<i64>(conn)
            .unwrap()
        }) > 0
    };
    let (synced_a, synced_b) = std::thread::scope(|threads| {
        let (inserted, told) = std::sync::mpsc::channel();
        let (a, waiting_for_a_lock) = (&a, &waiting_for_a_lock);
        let first = threads.spawn(move || {
            a.with_conn(|conn| {
                conn.write_transaction(|conn| {
                    let synced = a.sync_rate_limits_on(conn)?;
                    inserted.send(()).unwrap();
                    for _ in 0..1000 {
                        if waiting_for_a_lock() {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    Ok::<_, pulse::error::AppError>(synced)
                })
            })
        });
        told.recv().unwrap();
        let second = threads.spawn(|| b.with_conn(|conn| b.sync_rate_limits_on(conn)));
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(synced_a.unwrap(), 1);
    assert_eq!(synced_b.expect("B's sync counts its request"), 1);
    // Both requests are in the shared bucket: two minutes of draining from about `before`.
    let empty_at: i64 = a.with_conn(|conn| {
        api_rate_limits::table
            .select(api_rate_limits::empty_at_ns)
            .first(conn)
            .unwrap()
    });
    let drains_for = (empty_at - before) / 1_000_000_000;
    assert!(
        (120..130).contains(&drains_for),
        "two requests counted, not one: {drains_for} s of draining"
    );
}

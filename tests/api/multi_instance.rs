//! Several `pulse serve` processes on one PostgreSQL database behave as one app: nothing that must
//! be consistent lives in a single instance's memory (README: "Several instances behind a load
//! balancer"). PostgreSQL only: ignored on SQLite (README: "PostgreSQL").
use std::process::Stdio;

use chrono::Utc;
use diesel::prelude::*;
use pulse::db::schema::{api_rate_limits, api_tokens};
use pulse::domain::accounts::MAX_FAILURES_PER_PLACE;
use pulse::domain::reveal::RevealKey;
use pulse::domain::role::Role;
use pulse::domain::token::PlainToken;

use crate::databases::{PgTestDatabase, postgres_required};
use crate::helpers::{PASSWORD, TestApp, body, browser, session_cookie, shown_token};
use crate::server_process::ServerProcess;

/// Starts `count` instances on `database` at once (so they also race each other through
/// migrations and the creation of the shared cookie key).
async fn start_instances(database: &PgTestDatabase, count: usize) -> Vec<ServerProcess> {
    start_instances_with(database, count, &[]).await
}

/// The reveal key every instance of a deployment shares (`PULSE_REVEAL_KEY`).
static REVEAL_KEY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| RevealKey::generate().to_base64());

async fn start_instances_with(
    database: &PgTestDatabase,
    count: usize,
    env: &[(&str, &str)],
) -> Vec<ServerProcess> {
    let mut env = env.to_vec();
    env.push(("PULSE_REVEAL_KEY", REVEAL_KEY.as_str()));
    let starts = (0..count).map(|_| ServerProcess::start(&database.url, &env, Stdio::null()));
    futures_util::future::join_all(starts).await
}

/// GET `path` presenting only the session cookie, like a second browser tab routed elsewhere.
async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header(
            "Cookie",
            format!("{}={cookie}", pulse::state::SESSION_COOKIE),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn a_session_started_on_one_instance_works_and_ends_on_the_other() {
    let server = postgres_required();
    let database = PgTestDatabase::create(&server);
    let instances = start_instances(&database, 2).await;
    let (a, b) = (&instances[0].app, &instances[1].app);
    a.create_user("ann@example.com", false);

    let client = browser();
    let signed_in = a.login_as(&client, "ann@example.com", PASSWORD).await;
    assert_eq!(signed_in.status().as_u16(), 303);
    let cookie = session_cookie(&signed_in).expect("session cookie");

    // Same signing key and same session store: instance B knows the session A started.
    let home = get_with_cookie(b, "/", &cookie).await;
    assert_eq!(home.status().as_u16(), 200);
    assert!(body(home).await.contains("Your organisations"));

    // Signing out on B ends the session for A too.
    let logout = b.post_form(&client, "/logout", "/", &[]).await;
    assert_eq!(logout.status().as_u16(), 303);
    let replayed = get_with_cookie(a, "/", &cookie).await;
    assert_eq!(
        replayed.status().as_u16(),
        303,
        "A still honours a session ended on B"
    );
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn sign_in_throttling_counts_failures_on_every_instance() {
    let server = postgres_required();
    let database = PgTestDatabase::create(&server);
    let instances = start_instances(&database, 2).await;
    instances[0].app.create_user("ann@example.com", false);
    // Alternate the failures between instances: the lock is reached all the same.
    for attempt in 0..MAX_FAILURES_PER_PLACE {
        let app = &instances[attempt as usize % 2].app;
        let response = app
            .login_as(&browser(), "ann@example.com", "not the password")
            .await;
        assert_eq!(response.status().as_u16(), 401);
    }
    for instance in &instances {
        let locked = instance
            .app
            .login_as(&browser(), "ann@example.com", PASSWORD)
            .await;
        assert_eq!(locked.status().as_u16(), 429);
    }
}

const SCREEN: &str = "/orgs/acme/settings/api";
const GENERATE: &str = "/orgs/acme/settings/api/generate";

/// The token the screen on `app` shows in full to this browser, if any.
async fn shown_on(app: &TestApp, client: &reqwest::Client) -> Option<String> {
    shown_token(&app.get_html(client, SCREEN).await.1)
}

fn active_tokens(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        api_tokens::table
            .filter(api_tokens::superseded_at.is_null())
            .count()
            .get_result(conn)
            .unwrap()
    })
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn tokens_issued_on_one_instance_are_honoured_and_revoked_on_the_other() {
    let server = postgres_required();
    let database = PgTestDatabase::create(&server);
    let instances = start_instances(&database, 2).await;
    let (a, b) = (&instances[0].app, &instances[1].app);
    a.create_org("acme", true);
    a.member("owner@acme.example", "acme", Role::Owner);
    a.member("admin@acme.example", "acme", Role::Admin);
    // One browser each; a browser's cookies (session, new-token marker) go to both instances,
    // as behind a load balancer.
    let owner = a.signed_in("owner@acme.example").await;
    let admin = b.signed_in("admin@acme.example").await;

    // Generate on A; B shows it once to its generator and accepts it; the admin reveals it on
    // A (same reveal key on every instance).
    let generated = a.post_form(&owner, GENERATE, SCREEN, &[]).await;
    assert_eq!(generated.status().as_u16(), 303);
    let first = shown_on(b, &owner)
        .await
        .expect("B shows the token generated on A");
    assert_eq!(b.whoami_status(&first).await, 200);
    let (_, revealed) = a.reveal(&admin, "acme", &[]).await;
    assert_eq!(shown_token(&revealed).as_deref(), Some(first.as_str()));

    // Regenerate on A: the very next request to B refuses the old token, accepts the new one.
    let regenerated = a.regenerate_token(&owner, "acme", "none").await;
    assert_eq!(regenerated.status().as_u16(), 303);
    assert_eq!(b.whoami_status(&first).await, 401);
    let second = shown_on(b, &owner)
        .await
        .expect("B reveals the regenerated token");
    assert_ne!(first, second);
    assert_eq!(b.whoami_status(&second).await, 200);

    // Both regenerate the same token at the same moment, one on each instance: one wins, the
    // other is told, and exactly one token is active.
    for _ in 0..5 {
        let (on_a, on_b) = tokio::join!(
            a.regenerate_form(&owner, "acme", "none"),
            b.regenerate_form(&admin, "acme", "none")
        );
        assert_eq!(on_a[1], on_b[1], "both confirm the same current token");
        let (status_a, status_b) = tokio::join!(
            a.post_regenerate(&owner, "acme", &on_a),
            b.post_regenerate(&admin, "acme", &on_b)
        );
        let mut statuses = [status_a.status().as_u16(), status_b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [303, 409],
            "one regenerate wins, the other gets a conflict"
        );
        assert_eq!(active_tokens(a), 1);
    }
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn the_grace_chain_and_revoke_hold_across_instances() {
    let server = postgres_required();
    let database = PgTestDatabase::create(&server);
    let instances = start_instances(&database, 2).await;
    let (a, b) = (&instances[0].app, &instances[1].app);
    a.create_org("acme", true);
    a.member("owner@acme.example", "acme", Role::Owner);
    let owner = a.signed_in("owner@acme.example").await;
    let first = a.generate_token(&owner, "acme").await;
    // A → B with a grace period (on A), then B → C without (on B): on both instances only C
    // works from the very next request.
    assert_eq!(a.regenerate_token(&owner, "acme", "1h").await.status(), 303);
    let second = shown_on(a, &owner).await.expect("the second token");
    assert_eq!(b.whoami_status(&first).await, 200, "in grace");
    assert_eq!(
        b.regenerate_token(&owner, "acme", "none").await.status(),
        303
    );
    let third = shown_on(b, &owner).await.expect("the third token");
    for instance in [a, b] {
        assert_eq!(instance.whoami_status(&first).await, 401);
        assert_eq!(instance.whoami_status(&second).await, 401);
        assert_eq!(instance.whoami_status(&third).await, 200);
    }
    // Revoke on A: B refuses it at once.
    let revoke = format!("{SCREEN}/revoke");
    let current = crate::token_screen::current_token_id(a);
    let revoked = a
        .post_form(&owner, &revoke, &revoke, &[("current", &current)])
        .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(b.whoami_status(&third).await, 401);
    let (_, screen) = b.get_html(&owner, SCREEN).await;
    assert!(screen.contains("Generate token"));
}

/// Signs in as the owner of `slug` on `app` and generates its token through the screen.
async fn generate_token(app: &TestApp, slug: &str) -> String {
    let email = format!("owner@{slug}.example");
    app.member(&email, slug, Role::Owner);
    let owner = app.signed_in(&email).await;
    app.generate_token(&owner, slug).await
}

/// When the shared bucket of the token with digest-prefix `prefix` will be empty, once written.
fn shared_empty_at(app: &TestApp, token: &str) -> Option<i64> {
    let digest = PlainToken::parse(token).unwrap().digest();
    app.with_conn(|conn| {
        api_rate_limits::table
            .inner_join(api_tokens::table)
            .filter(api_tokens::digest.eq(digest))
            .select(api_rate_limits::empty_at_ns)
            .first(conn)
            .optional()
            .unwrap()
    })
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn the_api_rate_limit_is_shared_by_all_instances() {
    const LIMIT: usize = 6;
    let server = postgres_required();
    let database = PgTestDatabase::create(&server);
    let limit = LIMIT.to_string();
    let env = [
        ("PULSE_API_RATE_LIMIT", limit.as_str()),
        ("PULSE_API_RATE_LIMIT_SYNC_MS", "100"),
    ];
    let instances = start_instances_with(&database, 2, &env).await;
    let (a, b) = (&instances[0].app, &instances[1].app);
    a.create_org("acme", true);
    let token = generate_token(a, "acme").await;
    let started = Utc::now().timestamp_nanos_opt().unwrap();

    // A burst over both instances at once: each decides alone until it syncs, so at most
    // 2 × LIMIT get through (README: the overshoot is at most (N − 1) × limit).
    let burst = (0..4 * LIMIT).map(|i| [a, b][i % 2].whoami_status(&token));
    let statuses = futures_util::future::join_all(burst).await;
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    assert!((LIMIT..=2 * LIMIT).contains(&accepted), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );

    // Both instances charge what they let through to the shared bucket (10 s a request), so
    // each learns the other's use at its next sync.
    let drain_ns = 60_000_000_000 / LIMIT as i64;
    let charged = |empty_at: i64| (empty_at - started + drain_ns / 2) / drain_ns;
    for _ in 0..200 {
        if shared_empty_at(a, &token).map(charged) == Some(accepted as i64) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the shared bucket holds {:?} requests, not the {accepted} let through",
        shared_empty_at(a, &token).map(charged)
    );
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn a_member_removed_on_one_instance_is_refused_by_the_other_at_the_next_request() {
    let server = postgres_required();
    let database = PgTestDatabase::create(&server);
    let instances = start_instances(&database, 2).await;
    let (a, b) = (&instances[0].app, &instances[1].app);
    a.create_org("acme", true);
    a.member("owner@acme.example", "acme", Role::Owner);
    let admin_id = a.member("admin@acme.example", "acme", Role::Admin).id;
    let owner = a.signed_in("owner@acme.example").await;
    let admin = b.signed_in("admin@acme.example").await;
    assert_eq!(b.status_of(&admin, SCREEN).await, 200);

    let members = "/orgs/acme/settings/members";
    let lowered = a
        .post_form(
            &owner,
            &format!("{members}/{admin_id}/role"),
            members,
            &[("role", "member")],
        )
        .await;
    assert_eq!(lowered.status().as_u16(), 303);
    assert_eq!(
        b.status_of(&admin, SCREEN).await,
        403,
        "lowered at once on B"
    );
    let removed = a
        .post_form(
            &owner,
            &format!("{members}/{admin_id}/remove"),
            members,
            &[],
        )
        .await;
    assert_eq!(removed.status().as_u16(), 303);
    assert_eq!(
        b.status_of(&admin, "/orgs/acme").await,
        404,
        "removed at once on B"
    );
    assert_eq!(
        b.status_of(&admin, "/account").await,
        200,
        "still signed in"
    );
}

//! Several `pulse serve` processes on one PostgreSQL database behave as one app: nothing that must
//! be consistent lives in a single instance's memory (DESIGN §5). PostgreSQL only.
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pulse::db::Database;
use pulse::domain::accounts::MAX_FAILURES_PER_ACCOUNT;

use crate::helpers::{
    PASSWORD, PgTestDatabase, TestApp, browser, postgres_or_skip, session_cookie,
};

/// A running `pulse serve` process, killed when the test ends however it ends.
struct Instance {
    child: Child,
    app: TestApp,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `count` instances on `database` at once (so they also race each other through
/// migrations and the creation of the shared cookie key) and waits until each is healthy.
async fn start_instances(database: &PgTestDatabase, count: usize) -> Vec<Instance> {
    start_instances_with(database, count, &[]).await
}

async fn start_instances_with(
    database: &PgTestDatabase,
    count: usize,
    env: &[(&str, &str)],
) -> Vec<Instance> {
    let mut instances: Vec<Instance> = (0..count)
        .map(|_| {
            let bind = format!("127.0.0.1:{}", free_port());
            let child = Command::new(env!("CARGO_BIN_EXE_pulse"))
                .arg("serve")
                .env("DATABASE_URL", &database.url)
                .env("PULSE_BIND", &bind)
                .env("RUST_LOG", "warn")
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start pulse serve");
            let db = Database::connect(&database.url).expect("database");
            Instance {
                child,
                app: TestApp::for_running_server(format!("http://{bind}"), db),
            }
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    for instance in &mut instances {
        loop {
            if let Some(status) = instance.child.try_wait().unwrap() {
                panic!("{} exited early: {status}", instance.app.address);
            }
            let health = reqwest::get(instance.app.url("/healthz")).await;
            if health.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} never became healthy",
                instance.app.address
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    instances
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
            format!("{}={cookie}", pulse::startup::SESSION_COOKIE),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_session_started_on_one_instance_works_and_ends_on_the_other() {
    let Some(server) = postgres_or_skip("multi-instance sessions") else {
        return;
    };
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
    assert!(home.text().await.unwrap().contains("Your organisations"));

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
async fn sign_in_throttling_counts_failures_on_every_instance() {
    let Some(server) = postgres_or_skip("multi-instance throttling") else {
        return;
    };
    let database = PgTestDatabase::create(&server);
    let instances = start_instances(&database, 2).await;
    instances[0].app.create_user("ann@example.com", false);
    // Alternate the failures between instances: the lock is reached all the same.
    for attempt in 0..MAX_FAILURES_PER_ACCOUNT {
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
const REGENERATE: &str = "/orgs/acme/settings/api/regenerate";

/// The token the screen on `app` shows in full to this browser, if any.
async fn shown_on(app: &TestApp, client: &reqwest::Client) -> Option<String> {
    let html = client
        .get(app.url(SCREEN))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    crate::token_screen::shown_token(&html)
}

/// Reads the confirmation step (which names the token it replaces) on `app`.
async fn confirm_regenerate(app: &TestApp, client: &reqwest::Client) -> Vec<(String, String)> {
    let html = client
        .get(app.url(REGENERATE))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&html);
    let field = |name: &str| {
        let selector = scraper::Selector::parse(&format!(r#"input[name="{name}"]"#)).unwrap();
        doc.select(&selector)
            .next()
            .and_then(|e| e.value().attr("value"))
            .unwrap_or_else(|| panic!("no {name} on the confirmation step: {html}"))
            .to_owned()
    };
    vec![
        ("csrf_token".to_owned(), field("csrf_token")),
        ("current".to_owned(), field("current")),
        ("grace".to_owned(), "none".to_owned()),
    ]
}

async fn post_regenerate(
    app: &TestApp,
    client: &reqwest::Client,
    form: &[(String, String)],
) -> u16 {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_raw(client, REGENERATE, &fields)
        .await
        .status()
        .as_u16()
}

fn active_tokens(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use pulse::db::schema::api_tokens;
    app.with_conn(|conn| {
        api_tokens::table
            .filter(api_tokens::superseded_at.is_null())
            .count()
            .get_result(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn tokens_issued_on_one_instance_are_honoured_and_revoked_on_the_other() {
    use crate::token_screen::whoami_status;
    use pulse::domain::role::Role;

    let Some(server) = postgres_or_skip("multi-instance tokens") else {
        return;
    };
    let database = PgTestDatabase::create(&server);
    let instances = start_instances(&database, 2).await;
    let (a, b) = (&instances[0].app, &instances[1].app);
    a.create_org("acme", true);
    a.member("owner@acme.example", "acme", Role::Owner);
    a.member("admin@acme.example", "acme", Role::Admin);
    // One browser each; a browser's cookies (session, reveal key) go to both instances, as
    // behind a load balancer.
    let owner = a.signed_in("owner@acme.example").await;
    let admin = b.signed_in("admin@acme.example").await;

    // Generate on A; B shows it to its generator during the reveal window and accepts it.
    let generated = a.post_form(&owner, GENERATE, SCREEN, &[]).await;
    assert_eq!(generated.status().as_u16(), 303);
    let first = shown_on(b, &owner)
        .await
        .expect("B reveals the token generated on A");
    assert_eq!(whoami_status(b, &first).await, 200);

    // Regenerate on A: the very next request to B refuses the old token, accepts the new one.
    let form = confirm_regenerate(a, &owner).await;
    assert_eq!(post_regenerate(a, &owner, &form).await, 303);
    assert_eq!(whoami_status(b, &first).await, 401);
    let second = shown_on(b, &owner)
        .await
        .expect("B reveals the regenerated token");
    assert_ne!(first, second);
    assert_eq!(whoami_status(b, &second).await, 200);

    // Both regenerate the same token at the same moment, one on each instance: one wins, the
    // other is told, and exactly one token is active.
    for _ in 0..5 {
        let (on_a, on_b) =
            tokio::join!(confirm_regenerate(a, &owner), confirm_regenerate(b, &admin));
        assert_eq!(on_a[1], on_b[1], "both confirm the same current token");
        let (status_a, status_b) = tokio::join!(
            post_regenerate(a, &owner, &on_a),
            post_regenerate(b, &admin, &on_b)
        );
        let mut statuses = [status_a, status_b];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [303, 409],
            "one regenerate wins, the other gets a conflict"
        );
        assert_eq!(active_tokens(a), 1);
    }
}

/// Signs in as the owner of `slug` on `app` and generates its token through the screen.
async fn generate_token(app: &TestApp, slug: &str) -> String {
    use pulse::domain::role::Role;
    let email = format!("owner@{slug}.example");
    app.member(&email, slug, Role::Owner);
    let owner = app.signed_in(&email).await;
    let screen = format!("/orgs/{slug}/settings/api");
    let generated = app
        .post_form(&owner, &format!("{screen}/generate"), &screen, &[])
        .await;
    assert_eq!(generated.status().as_u16(), 303);
    let html = owner
        .get(app.url(&screen))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    crate::token_screen::shown_token(&html).expect("the new token")
}

#[tokio::test]
async fn the_api_rate_limit_is_shared_by_all_instances() {
    use crate::token_screen::whoami_status;
    const LIMIT: usize = 6;

    let Some(server) = postgres_or_skip("multi-instance rate limit") else {
        return;
    };
    let database = PgTestDatabase::create(&server);
    let limit = LIMIT.to_string();
    let instances =
        start_instances_with(&database, 2, &[("PULSE_API_RATE_LIMIT", limit.as_str())]).await;
    let (a, b) = (&instances[0].app, &instances[1].app);
    a.create_org("acme", true);
    a.create_org("globex", true);
    let acme = generate_token(a, "acme").await;
    let globex = generate_token(b, "globex").await;
    // The limit counts per clock minute: start early in one so the window cannot roll over.
    let second = chrono::Timelike::second(&chrono::Utc::now());
    if second > 40 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - second))).await;
    }

    // Alternating instances, the budget is spent once, not once per instance.
    for i in 0..LIMIT {
        let app = [a, b][i % 2];
        assert_eq!(whoami_status(app, &acme).await, 200, "request {i}");
    }
    assert_eq!(whoami_status(a, &acme).await, 429);
    assert_eq!(whoami_status(b, &acme).await, 429);

    // A burst on both at once never gets more than the limit through.
    let burst = (0..2 * LIMIT).map(|i| whoami_status([a, b][i % 2], &globex));
    let statuses = futures_util::future::join_all(burst).await;
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    assert!((1..=LIMIT).contains(&accepted), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
}

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
    let mut instances: Vec<Instance> = (0..count)
        .map(|_| {
            let bind = format!("127.0.0.1:{}", free_port());
            let child = Command::new(env!("CARGO_BIN_EXE_pulse"))
                .arg("serve")
                .env("DATABASE_URL", &database.url)
                .env("PULSE_BIND", &bind)
                .env("RUST_LOG", "warn")
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

//! `spawn_app`: the real server, built by the same `Application::build` as `pulse serve`, on port
//! 0 with a fresh database and its own clock; and `TestApp`, one method per thing a test does
//! to it the way a browser or a reporting tool would.
use std::panic::Location;
use std::sync::{Arc, LazyLock};

use actix_web::dev::ServerHandle;
use chrono::{Duration, NaiveDateTime};
use pulse::clock::Clock;
use pulse::config::{AccessLog, Config};
use pulse::db::{Database, DatabaseUrl, DbConn};
use pulse::domain::accounts::{self, NewAccount};
use pulse::domain::organisations;
use pulse::domain::password::Password;
use pulse::domain::rate_limit::{self, RateLimiter};
use pulse::domain::role::Role;
use pulse::mail::sender::Sender;
use pulse::repo::users::User;
use pulse::startup::{Application, Shutdown};
use reqwest::redirect::Policy;

use crate::databases::TestDatabase;

pub const PASSWORD: &str = "correct horse battery staple";

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        pulse::telemetry::init(pulse::config::LogFormat::from_env().expect("PULSE_LOG_FORMAT"));
    }
});

pub struct TestApp {
    pub address: String,
    /// Where a browser reaches the app (`PULSE_PUBLIC_URL`, else the address): forms come from it.
    pub origin: String,
    pub db: Database,
    /// The server's clock: `advance` moves the time every handler and the session store see.
    pub clock: Clock,
    /// Stops the server (gracefully or not); None for a server the test started as a process.
    pub server: Option<ServerHandle>,
    /// The server's API rate limiter, when the server runs in this process.
    api_limiter: Option<Arc<RateLimiter>>,
    /// Stops the server as SIGTERM does (readiness first), when it runs in this process.
    pub shutdown: Option<Shutdown>,
    /// `http://` and the metrics listener's address, when `metrics_bind` asked for one.
    pub metrics_url: Option<String>,
    /// The server's mail sender, when the server runs in this process (`TestApp::deliver_mail`).
    pub mail: Option<Arc<Sender>>,
    /// None when the test owns the database itself, e.g. for several servers sharing one.
    storage: Option<TestDatabase>,
}

/// Everything a test can tune before the server starts.
pub fn test_config(database_url: String) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        reveal_window: Duration::seconds(300),
        cookie_secure: false,
        session_idle: Duration::seconds(3600),
        session_absolute: Duration::seconds(12 * 3600),
        trust_proxy: false,
        api_rate_limit: 600,
        // Tests sync rate limits themselves (`TestApp::sync_rate_limits`) when they need to.
        api_rate_limit_sync: std::time::Duration::from_secs(3600),
        housekeeping_every: std::time::Duration::from_secs(60),
        sudo_window: Duration::minutes(10),
        public_url: None,
        reveal_key: crate::second_factor::reveal_key_for(&database_url),
        metrics_bind: None,
        access_log: AccessLog::Off,
        db_pool_size: None,
        audit_retention: Duration::days(400),
        drain: std::time::Duration::ZERO,
        leak_report_keys: None,
        body_timeout: std::time::Duration::from_secs(10),
        smtp_url: None,
        mail_from: None,
        mail_dir: None,
        // Tests deliver mail themselves (`TestApp::deliver_mail`) when they need to.
        mail_poll_every: std::time::Duration::from_secs(3600),
        database_url,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tune: impl FnOnce(&mut Config)) -> TestApp {
    LazyLock::force(&TRACING);
    let storage = TestDatabase::fresh();
    let mut config = test_config(storage.url().to_owned());
    tune(&mut config);
    start(config, Clock::system(), Some(storage))
}

fn start(config: Config, clock: Clock, storage: Option<TestDatabase>) -> TestApp {
    let public_url = config.public_url.clone();
    let app = Application::build(config, clock.clone()).expect("build app");
    let address = format!("http://{}", app.address());
    let db = app.db().clone();
    let server = Some(app.handle());
    let api_limiter = Some(app.api_limiter());
    let shutdown = Some(app.shutdown());
    let metrics_url = app.metrics_address().map(|a| format!("http://{a}"));
    let mail = Some(app.mail());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        origin: public_url.unwrap_or_else(|| address.clone()),
        address,
        db,
        clock,
        server,
        api_limiter,
        shutdown,
        metrics_url,
        mail,
        storage,
    }
}

/// A browser-like client: its own cookie jar, redirects not followed so tests can see them.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

impl TestApp {
    /// The helpers for a server the test started itself (a `pulse serve` process) on `db`.
    pub fn for_running_server(address: String, db: Database) -> Self {
        Self {
            origin: address.clone(),
            address,
            db,
            clock: Clock::system(),
            server: None,
            api_limiter: None,
            shutdown: None,
            metrics_url: None,
            mail: None,
            storage: None,
        }
    }

    /// The test's own database, when `spawn_app` made it.
    pub fn database(&self) -> Option<&TestDatabase> {
        self.storage.as_ref()
    }

    /// A second server in this process on the same database, with the same clock, as another
    /// instance behind a load balancer would be.
    pub fn another_instance(&self, tune: impl FnOnce(&mut Config)) -> TestApp {
        let url = match self.db.url() {
            DatabaseUrl::Sqlite(path) => path.clone(),
            DatabaseUrl::Postgres(url) => url.clone(),
        };
        let mut config = test_config(url);
        tune(&mut config);
        start(config, self.clock.clone(), None)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn with_conn<T>(&self, f: impl FnOnce(&mut DbConn) -> T) -> T {
        f(&mut self.db.conn().expect("connection"))
    }

    /// The server's current time.
    pub fn now(&self) -> NaiveDateTime {
        self.clock.now()
    }

    /// Moves the server's clock forward instead of sleeping.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Exchanges the server's rate-limit counts with the database now, as its background task
    /// does every `api_rate_limit_sync`.
    pub fn sync_rate_limits(&self) {
        self.with_conn(|conn| self.sync_rate_limits_on(conn).expect("sync"));
    }

    /// The same on `conn`, e.g. inside a transaction the test holds open.
    pub fn sync_rate_limits_on(&self, conn: &mut DbConn) -> Result<usize, pulse::error::AppError> {
        let limiter = self.api_limiter.as_ref().expect("a server in this process");
        rate_limit::sync(conn, limiter, self.now())
    }

    pub fn create_user(&self, email: &str, staff: bool) -> User {
        let account = NewAccount {
            email,
            name: email.split('@').next().unwrap(),
            password: &Password::new(PASSWORD.into()),
            is_staff: staff,
        };
        self.with_conn(|conn| {
            accounts::create_or_find_user(conn, &account, self.now())
                .expect("create user")
                .0
        })
    }

    pub fn create_org(&self, slug: &str, api_enabled: bool) {
        self.with_conn(|conn| {
            organisations::create(conn, &format!("Org {slug}"), slug, api_enabled, self.now())
                .expect("create org");
        });
    }

    /// Creates a user with `role` in organisation `slug`.
    pub fn member(&self, email: &str, slug: &str, role: Role) -> User {
        let user = self.create_user(email, false);
        self.with_conn(|conn| {
            accounts::add_to_organisation(conn, user.id, slug, role, self.now())
                .expect("membership")
        });
        user
    }

    pub fn org_id(&self, slug: &str) -> i32 {
        self.with_conn(|conn| {
            pulse::repo::organisations::find_by_slug(conn, slug)
                .unwrap()
                .expect("organisation")
                .id
        })
    }

    /// Switches API access as staff member `staff_id` would.
    pub fn set_api_access(&self, slug: &str, enabled: bool, staff_id: i32) {
        self.with_conn(|conn| {
            organisations::set_api_access(conn, slug, enabled, staff_id, "::1", self.now())
                .expect("set API access")
        });
    }

    /// Creates organisation `slug` with API access and its owner `owner@<slug>.example`, and
    /// returns a browser signed in as that owner.
    pub async fn owner_of(&self, slug: &str) -> reqwest::Client {
        self.create_org(slug, true);
        let email = format!("owner@{slug}.example");
        self.member(&email, slug, Role::Owner);
        self.signed_in(&email).await
    }

    /// The status and body of a GET of `path` by `client`.
    pub async fn get_html(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let response = client.get(self.url(path)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The status of a GET of `path` by `client`.
    pub async fn status_of(&self, client: &reqwest::Client, path: &str) -> u16 {
        self.get_html(client, path).await.0
    }

    /// GETs `path` and returns the value of the first hidden `csrf_token` field on the page.
    #[track_caller]
    pub fn csrf_token<'a>(
        &'a self,
        client: &'a reqwest::Client,
        path: &'a str,
    ) -> impl Future<Output = String> + 'a {
        let caller = Location::caller();
        async move {
            let (_, body) = self.get_html(client, path).await;
            extract_csrf(&body)
                .unwrap_or_else(|| panic!("no csrf_token on {path} (at {caller}): {body}"))
        }
    }

    /// POSTs a form the way a browser does: with the page's CSRF token and an `Origin` header.
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        csrf_from: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf_token(client, csrf_from).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        form.extend_from_slice(fields);
        self.post_raw(client, path, &form).await
    }

    /// POSTs exactly `fields`, with the site's public `Origin`, and no CSRF token added.
    pub async fn post_raw(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("Origin", &self.origin)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the login form; returns the response to the POST.
    pub async fn login_as(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let fields = [("email", email), ("password", password)];
        self.post_form(client, "/login", "/login", &fields).await
    }

    /// A fresh browser signed in as `email`, through the second factor when the account needs
    /// one (enrolling staff the first time, as the page asks).
    #[track_caller]
    pub fn signed_in<'a>(&'a self, email: &'a str) -> impl Future<Output = reqwest::Client> + 'a {
        let caller = Location::caller();
        async move {
            let client = browser();
            let response = self.login_as(&client, email, PASSWORD).await;
            let status = response.status().as_u16();
            assert_eq!(status, 303, "sign-in as {email} failed (at {caller})");
            if response.headers()["location"] == "/login/two-factor" {
                let status = self.give_second_factor(&client, email).await.status();
                assert!(
                    [200, 303].contains(&status.as_u16()),
                    "second factor: {status} (at {caller})"
                );
            }
            client
        }
    }

    /// GETs an API path with the token as a bearer.
    pub async fn api_get(&self, token: &str, path: &str) -> reqwest::Response {
        self.api_request(token, reqwest::Method::GET, path, &[])
            .await
    }

    /// Sends `method` to an API path with the token as a bearer and extra `headers`.
    pub async fn api_request(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .request(method, self.url(path))
            .bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    pub async fn whoami_status(&self, token: &str) -> u16 {
        self.api_get(token, "/api/v1/whoami")
            .await
            .status()
            .as_u16()
    }
}

pub fn attr_of(html: &str, css: &str, attr: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector)
        .next()
        .and_then(|e| e.value().attr(attr))
        .map(str::to_owned)
}

pub fn extract_csrf(html: &str) -> Option<String> {
    attr_of(html, r#"input[name="csrf_token"]"#, "value")
}

/// The full token shown in the API authentication screen's field, if the page shows one.
pub fn shown_token(html: &str) -> Option<String> {
    attr_of(html, "#api-token", "value").filter(|v| v.len() == 55 && v.starts_with("pulse_"))
}

pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .cookies()
        .find(|c| c.name() == pulse::state::SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// Checks that `response` is an RFC 9457 problem with `status`, and returns its body. A failure
/// names the calling test's line.
#[track_caller]
pub fn assert_problem(
    response: reqwest::Response,
    status: u16,
) -> impl Future<Output = serde_json::Value> {
    let caller = Location::caller();
    async move {
        assert_eq!(response.status().as_u16(), status, "at {caller}");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/problem+json",
            "at {caller}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], status, "at {caller}");
        let described = body["title"].is_string() && body["detail"].is_string();
        assert!(described, "at {caller}: {body}");
        body
    }
}

/// The body of a 200 JSON response.
#[track_caller]
pub fn json(response: reqwest::Response) -> impl Future<Output = serde_json::Value> {
    let caller = Location::caller();
    async move {
        let url = response.url().to_string();
        assert_eq!(response.status(), 200, "{url} (at {caller})");
        response.json().await.unwrap()
    }
}

/// The body of a response as text.
pub async fn body(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

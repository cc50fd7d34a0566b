use std::net::TcpListener;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use pulse::auth::password::Password;
use pulse::config::Config;
use pulse::db::{Database, DbConn};
use pulse::domain::accounts::{self, NewAccount};
use pulse::domain::organisations;
use pulse::domain::role::Role;
use pulse::repo::users::User;
use pulse::startup::Application;
use reqwest::redirect::Policy;
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple";

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        pulse::telemetry::init();
    }
});

pub struct TestApp {
    pub address: String,
    pub db: Database,
    /// None when the test owns the database itself, e.g. for several servers sharing one.
    _storage: Option<TestDatabase>,
}

/// Set to a server URL without a database (e.g. `postgres://postgres@127.0.0.1:5432`) to run every
/// test against PostgreSQL instead of SQLite.
pub const POSTGRES_ENV: &str = "PULSE_TEST_POSTGRES";

/// The PostgreSQL server URL from `PULSE_TEST_POSTGRES`, reduced to `scheme://user@host:port`.
pub fn postgres_server() -> Option<String> {
    let raw = std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())?;
    let raw = raw.trim().trim_end_matches('/');
    let after_scheme = raw.find("://").map_or(0, |i| i + 3);
    // Drop any database name the variable carries: every test gets its own database.
    Some(match raw[after_scheme..].find('/') {
        Some(slash) => raw[..after_scheme + slash].to_owned(),
        None => raw.to_owned(),
    })
}

/// Why a PostgreSQL-only test does nothing, said once per test so that a skip is never silent.
pub fn postgres_or_skip(test: &str) -> Option<String> {
    let server = postgres_server();
    if server.is_none() {
        say(&format!(
            "SKIPPED {test}: PostgreSQL not selected ({POSTGRES_ENV} is unset)"
        ));
    }
    server
}

/// Writes to the real stderr, past libtest's output capture, so `cargo test` shows it.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A test's own database: a temp SQLite file, or a freshly created PostgreSQL database that is
/// dropped again when the test ends.
pub enum TestDatabase {
    Sqlite { url: String, _dir: TempDir },
    Postgres(PgTestDatabase),
}

impl TestDatabase {
    /// PostgreSQL when `PULSE_TEST_POSTGRES` is set, SQLite otherwise.
    pub fn fresh() -> Self {
        match postgres_server() {
            Some(server) => Self::Postgres(PgTestDatabase::create(&server)),
            None => Self::sqlite(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("pulse.db").display().to_string();
        Self::Sqlite { url, _dir: dir }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } => url,
            Self::Postgres(db) => &db.url,
        }
    }
}

pub struct PgTestDatabase {
    pub url: String,
    server: String,
    name: String,
}

impl PgTestDatabase {
    pub fn create(server: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        // Unique across tests in this process and across concurrent test processes.
        let name = format!(
            "pulse_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin_connection(server)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {server}: {e}"));
        Self {
            url: format!("{server}/{name}"),
            server: server.to_owned(),
            name,
        }
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        // FORCE ends the connections the test's server still holds; a failure here only leaves a
        // stray database behind, so it must not turn a passing test into a failing one.
        let dropped = try_admin_connection(&self.server).map(|mut c| {
            c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
        });
        if !matches!(dropped, Some(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

fn try_admin_connection(server: &str) -> Option<PgConnection> {
    // `postgres` exists on most servers; `test` is the fallback some setups provide instead.
    ["postgres", "test"]
        .iter()
        .find_map(|db| PgConnection::establish(&format!("{server}/{db}")).ok())
}

fn admin_connection(server: &str) -> PgConnection {
    try_admin_connection(server)
        .unwrap_or_else(|| panic!("{POSTGRES_ENV}={server}: cannot connect to the server"))
}

/// Everything a test can tune before the server starts.
pub fn test_config(database_url: String) -> Config {
    Config {
        database_url,
        bind: "127.0.0.1:0".into(),
        reveal_window: chrono::Duration::seconds(300),
        cookie_secure: false,
        session_idle: chrono::Duration::seconds(3600),
        session_absolute: chrono::Duration::seconds(12 * 3600),
        trust_proxy: false,
        api_rate_limit: 600,
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
    let db = Database::connect(&config.database_url).expect("database");
    db.migrate().expect("migrations");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build_with(config, db.clone(), listener).expect("build app");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db,
        _storage: Some(storage),
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
    /// The helpers for a server the test started itself (e.g. a `pulse serve` process) on `db`.
    pub fn for_running_server(address: String, db: Database) -> Self {
        Self {
            address,
            db,
            _storage: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn conn(&self) -> r2d2::PooledConnection<pulse::db::ConnectionManager> {
        self.db.conn().expect("connection")
    }

    pub fn with_conn<T>(&self, f: impl FnOnce(&mut DbConn) -> T) -> T {
        f(&mut self.conn())
    }

    pub fn create_user(&self, email: &str, staff: bool) -> User {
        self.with_conn(|conn| {
            accounts::create_or_find_user(
                conn,
                &NewAccount {
                    email,
                    name: email.split('@').next().unwrap(),
                    password: &Password::new(PASSWORD.into()),
                    is_staff: staff,
                },
            )
            .expect("create user")
            .0
        })
    }

    pub fn create_org(&self, slug: &str, api_enabled: bool) {
        self.with_conn(|conn| {
            organisations::create(conn, &format!("Org {slug}"), slug, api_enabled)
                .expect("create org");
        });
    }

    /// Creates a user with `role` in organisation `slug`.
    pub fn member(&self, email: &str, slug: &str, role: Role) -> User {
        let user = self.create_user(email, false);
        self.with_conn(|conn| {
            accounts::add_to_organisation(conn, user.id, slug, role).expect("membership")
        });
        user
    }

    /// The status of a GET of `path` by `client`.
    pub async fn status_of(&self, client: &reqwest::Client, path: &str) -> u16 {
        client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// GETs `path` and returns the value of the first hidden `csrf_token` field on the page.
    pub async fn csrf_token(&self, client: &reqwest::Client, path: &str) -> String {
        let body = client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        extract_csrf(&body).unwrap_or_else(|| panic!("no csrf_token on {path}: {body}"))
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

    /// POSTs exactly `fields`, with the site's `Origin`, and no CSRF token added.
    pub async fn post_raw(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("Origin", &self.address)
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
        self.post_form(
            client,
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// A fresh browser signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = browser();
        let response = self.login_as(&client, email, PASSWORD).await;
        assert_eq!(response.status().as_u16(), 303, "sign-in as {email} failed");
        client
    }
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&selector)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_owned)
}

pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .cookies()
        .find(|c| c.name() == pulse::startup::SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

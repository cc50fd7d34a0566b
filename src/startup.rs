//! The one way the app starts, for `pulse serve` and the test harness alike: connect to the
//! database, migrate, bind the listener (port 0 picks a free one), wire middleware and routes.
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite, time};
use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use chrono::NaiveDateTime;
use tracing_actix_web::TracingLogger;

use crate::auth::csrf::FORM_LIMIT_BYTES;
use crate::auth::session_store::DbSessionStore;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Database, DbConn};
use crate::domain::rate_limit::{self, RateLimiter};
use crate::domain::{housekeeping, secret};
use crate::error::AppError;
use crate::repo::secrets;
use crate::state::{AppState, SESSION_COOKIE};

pub struct Application {
    address: SocketAddr,
    db: Database,
    api_limiter: Arc<RateLimiter>,
    server: Server,
}

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Headers for every response; `DefaultHeaders` leaves alone any a handler set itself.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cache-Control", "no-store"))
}

/// The key that signs session cookies, shared by every instance through the database.
fn cookie_key(db: &Database) -> anyhow::Result<Key> {
    let mut conn = db.conn().context("connecting for the cookie key")?;
    let stored =
        secrets::get_or_create(&mut conn, "session_cookie_key", &secret::random_base62(86))
            .context("reading the session cookie key")?;
    Ok(Key::derive_from(stored.as_bytes()))
}

/// Runs `job` on the blocking pool every `every` for as long as the server runs; a failure is
/// logged and the next round tries again.
fn spawn_every<T, F>(what: &'static str, db: Database, clock: Clock, every: Duration, job: F)
where
    T: std::fmt::Debug + Send + 'static,
    F: Fn(&mut DbConn, NaiveDateTime) -> Result<T, AppError> + Clone + Send + 'static,
{
    tokio::spawn(async move {
        // The first round comes one period after start, not at once: a server starting has
        // nothing to sweep or to sync yet.
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let now = clock.now();
            let job = job.clone();
            match db.run(move |conn| job(conn, now)).await {
                Ok(done) => tracing::debug!(?done, "{what}"),
                Err(e) => tracing::warn!(error = ?e, "{what} failed"),
            }
        }
    });
}

/// Every instance sweeps now and then (`Config::housekeeping_every`, so reveal ciphertexts never
/// outlive their window by more than that); the deletes are idempotent, so instances need not
/// agree. And it exchanges its API rate-limit counts with the other instances
/// (`Config::api_rate_limit_sync`).
fn spawn_background(db: &Database, clock: &Clock, config: &Config, limiter: &Arc<RateLimiter>) {
    spawn_every(
        "housekeeping",
        db.clone(),
        clock.clone(),
        config.housekeeping_every,
        housekeeping::sweep,
    );
    let limiter = limiter.clone();
    spawn_every(
        "rate-limit sync",
        db.clone(),
        clock.clone(),
        config.api_rate_limit_sync,
        move |conn, now| rate_limit::sync(conn, &limiter, now),
    );
}

fn session_middleware(
    store: DbSessionStore,
    key: Key,
    config: &Config,
) -> SessionMiddleware<DbSessionStore> {
    let idle = time::Duration::seconds(config.session_idle.num_seconds());
    SessionMiddleware::builder(store, key)
        .cookie_name(SESSION_COOKIE.to_owned())
        .cookie_secure(config.cookie_secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .session_lifecycle(
            PersistentSession::default()
                .session_ttl(idle)
                .session_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
        )
        .build()
}

impl Application {
    /// Connects to `config.database_url`, applies pending migrations, binds `config.bind` and
    /// builds the server. Nothing is served until `run_until_stopped`.
    pub fn build(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let db = Database::connect(&config.database_url)?;
        db.migrate()?;
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let address = listener.local_addr()?;
        let key = cookie_key(&db)?;
        let store = DbSessionStore::new(db.clone(), clock.clone(), config.session_absolute);
        let api_limiter = Arc::new(RateLimiter::new(config.api_rate_limit));
        spawn_background(&db, &clock, &config, &api_limiter);
        let state = web::Data::new(AppState {
            db: db.clone(),
            config,
            clock,
            api_limiter: api_limiter.clone(),
            listen_url: format!("http://{address}"),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(FORM_LIMIT_BYTES))
                .wrap(security_headers())
                .wrap(session_middleware(
                    store.clone(),
                    key.clone(),
                    &state.config,
                ))
                .wrap(TracingLogger::default())
                .configure(crate::api::routes)
                .configure(crate::web::routes)
        })
        .listen(listener)?
        .run();
        Ok(Self {
            address,
            db,
            api_limiter,
            server,
        })
    }

    /// Where the server listens: with port 0 in the configuration, the port the OS chose.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The server's database, e.g. to seed demo data before serving.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// This instance's API rate limiter, e.g. for a test to sync it with the others at once.
    pub fn api_limiter(&self) -> Arc<RateLimiter> {
        self.api_limiter.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

//! The one way the app starts, for `pulse serve` and the test harness alike: connect to the
//! database, migrate, bind the listener (port 0 picks a free one), wire middleware and routes.
use std::net::{SocketAddr, TcpListener};

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite, time};
use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::auth::csrf::FORM_LIMIT_BYTES;
use crate::auth::session_store::DbSessionStore;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Database;
use crate::domain::{housekeeping, secret};
use crate::repo::secrets;
use crate::state::{AppState, session_cookie_name};

pub struct Application {
    address: SocketAddr,
    db: Database,
    server: Server,
}

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// One year, and subdomains too (ASVS 14.4.5 asks for at least six months).
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Headers for every response; `DefaultHeaders` leaves alone any a handler set itself. Secure
/// cookies mean the site is reached over HTTPS, so browsers are told to use nothing else.
fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cache-Control", "no-store"));
    if https {
        headers.add(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
    } else {
        headers
    }
}

/// The key that signs session cookies, shared by every instance through the database.
fn cookie_key(db: &Database) -> anyhow::Result<Key> {
    let mut conn = db.conn().context("connecting for the cookie key")?;
    let stored =
        secrets::get_or_create(&mut conn, "session_cookie_key", &secret::random_base62(86))
            .context("reading the session cookie key")?;
    Ok(Key::derive_from(stored.as_bytes()))
}

/// Every instance sweeps now and then (`Config::housekeeping_every`, so reveal ciphertexts never
/// outlive their window by more than that); the deletes are idempotent, so instances need not
/// agree.
fn spawn_housekeeping(db: Database, clock: Clock, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(every);
        loop {
            every.tick().await;
            let now = clock.now();
            match db.run(move |conn| housekeeping::sweep(conn, now)).await {
                Ok(swept) => tracing::debug!(?swept, "housekeeping"),
                Err(e) => tracing::warn!(error = ?e, "housekeeping failed"),
            }
        }
    });
}

fn session_middleware(
    store: DbSessionStore,
    key: Key,
    config: &Config,
) -> SessionMiddleware<DbSessionStore> {
    // A browser-session cookie (gone when the browser closes); the row's expiry decides the
    // idle timeout, which the store pushes back as pages are viewed, at most once a minute.
    let idle = time::Duration::seconds(config.session_idle.num_seconds());
    SessionMiddleware::builder(store, key)
        .cookie_name(session_cookie_name(config.cookie_secure).to_owned())
        .cookie_secure(config.cookie_secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .session_lifecycle(
            BrowserSession::default()
                .state_ttl(idle)
                .state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
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
        let store = DbSessionStore::new(db.clone(), clock.clone(), &config);
        spawn_housekeeping(db.clone(), clock.clone(), config.housekeeping_every);
        let state = web::Data::new(AppState {
            db: db.clone(),
            config,
            clock,
            cookie_key: key.clone(),
            listen_url: format!("http://{address}"),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(FORM_LIMIT_BYTES))
                .wrap(security_headers(state.config.cookie_secure))
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

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

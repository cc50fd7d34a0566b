//! Builds the application: binds the listener (port 0 in tests), wires middleware and routes.
use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite, time};
use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::auth::csrf::FORM_LIMIT_BYTES;
use crate::auth::session_store::DbSessionStore;
use crate::config::Config;
use crate::db::Database;
use crate::domain::{AppError, housekeeping, secret};
use crate::repo::secrets;
use crate::web as pages;

pub const SESSION_COOKIE: &str = "pulse_session";

/// What every handler can reach.
pub struct AppState {
    pub db: Database,
    pub config: Config,
}

pub struct Application {
    port: u16,
    server: Server,
}

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Headers for every response; `DefaultHeaders` leaves alone any a handler set itself.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cache-Control", "no-store"))
}

/// The key that signs session cookies, shared by every instance through the database.
fn cookie_key(db: &Database) -> anyhow::Result<Key> {
    let mut conn = db.conn()?;
    let stored =
        secrets::get_or_create(&mut conn, "session_cookie_key", &secret::random_base62(86))
            .map_err(AppError::from)?;
    Ok(Key::derive_from(stored.as_bytes()))
}

/// Every instance sweeps now and then; the deletes are idempotent, so instances need not agree.
fn spawn_housekeeping(db: Database) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            match db.run(housekeeping::sweep).await {
                Ok((sessions, failures)) => {
                    tracing::debug!(
                        sessions,
                        failures,
                        "swept expired sessions and sign-in failures"
                    )
                }
                Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
            }
        }
    });
}

impl Application {
    pub fn build(config: Config) -> anyhow::Result<Self> {
        let db = Database::connect(&config.database_url)?;
        db.migrate()?;
        let listener = TcpListener::bind(&config.bind)?;
        Self::build_with(config, db, listener)
    }

    pub fn build_with(config: Config, db: Database, listener: TcpListener) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let key = cookie_key(&db)?;
        let store = DbSessionStore::new(db.clone(), config.session_absolute);
        let idle = time::Duration::seconds(config.session_idle.num_seconds());
        let secure = config.cookie_secure;
        spawn_housekeeping(db.clone());
        let state = actix_web::web::Data::new(AppState { db, config });
        let server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(store.clone(), key.clone())
                .cookie_name(SESSION_COOKIE.to_owned())
                .cookie_secure(secure)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(idle)
                        .session_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
                )
                .build();
            App::new()
                .app_data(state.clone())
                .app_data(actix_web::web::PayloadConfig::new(FORM_LIMIT_BYTES))
                .wrap(security_headers())
                .wrap(sessions)
                .wrap(TracingLogger::default())
                .configure(crate::api::routes)
                .configure(pages::routes)
        })
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

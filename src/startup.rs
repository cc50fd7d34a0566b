//! The one way the app starts, for `pulse serve` and the test harness alike: connect to the
//! database, migrate, bind the listener (port 0 picks a free one), wire middleware and routes.
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, TtlExtensionPolicy};
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, SameSite, time};
use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpServer, ResponseError, web};
use anyhow::Context;
use chrono::NaiveDateTime;

use crate::api::error::ApiError;
use crate::auth::csrf::FORM_LIMIT_BYTES;
use crate::auth::session_store::DbSessionStore;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::sqlite_file::{self, InstanceLock};
use crate::db::{Database, DatabaseUrl, DbConn};
use crate::domain::rate_limit::{self, RateLimiter};
use crate::domain::{housekeeping, secret};
use crate::error::AppError;
use crate::keys::{self, RevealKeySource};
use crate::mail::sender::{self, Sender};
use crate::mail::transport::Delivery;
use crate::observability::metrics::{self, Metrics};
use crate::observability::requests;
use crate::repo::secrets;
use crate::state::{AppState, session_cookie_name};
use crate::web::error::WebError;

pub struct Application {
    address: SocketAddr,
    db: Database,
    api_limiter: Arc<RateLimiter>,
    mail: Arc<Sender>,
    server: Server,
    metrics_server: Option<(SocketAddr, Server)>,
    shutdown: Shutdown,
    /// Held while serving a SQLite file: a second instance on it refuses to start.
    _instance_lock: Option<InstanceLock>,
}

/// How the instance stops: readiness fails first (`/readyz` 503 while requests are still
/// served, for `drain`), then the listener closes and the requests in flight finish.
#[derive(Clone)]
pub struct Shutdown {
    draining: Arc<AtomicBool>,
    drain: Duration,
    servers: Vec<ServerHandle>,
}

impl Shutdown {
    pub async fn drain_and_stop(&self) {
        self.draining.store(true, Ordering::Relaxed);
        tracing::info!(
            drain_seconds = self.drain.as_secs(),
            "stopping: not ready any more; then finishing the requests in flight"
        );
        tokio::time::sleep(self.drain).await;
        for server in &self.servers {
            server.stop(true).await;
        }
    }

    /// Catches SIGTERM and SIGINT (Ctrl-C) from this call on, and gives the task that drains and
    /// stops on the first of them. The signals are caught at once, not when the task first runs,
    /// so a stop sent just after the server says it listens still drains (the default action
    /// would end the process there and then).
    pub fn on_signals(self) -> std::io::Result<impl Future<Output = ()>> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            self.drain_and_stop().await;
        })
    }
}

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// One year, and subdomains too (ASVS 14.4.5 asks for at least six months).
const STRICT_TRANSPORT_SECURITY: (&str, &str) = (
    "strict-transport-security",
    "max-age=31536000; includeSubDomains",
);

/// Headers for every response (names in lower case, as HTTP/2 has them). Secure cookies mean the site is reached over HTTPS, so then
/// browsers are also told to use nothing else.
fn security_header_list(https: bool) -> Vec<(&'static str, &'static str)> {
    let mut headers = vec![
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
    ];
    if https {
        headers.push(STRICT_TRANSPORT_SECURITY);
    }
    headers
}

/// `DefaultHeaders` leaves alone any header a handler set itself.
fn security_headers(https: bool) -> DefaultHeaders {
    security_header_list(https)
        .into_iter()
        .fold(DefaultHeaders::new(), DefaultHeaders::add)
}

/// The key that signs session cookies, shared by every instance through the database.
fn cookie_key(db: &Database) -> anyhow::Result<Key> {
    let mut conn = db.conn().context("connecting for the cookie key")?;
    let stored = secrets::get_or_create(
        &mut conn,
        keys::SESSION_COOKIE_KEY,
        &secret::random_base62(86),
    )
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
    let retention = housekeeping::Retention {
        audit_events: config.audit_retention,
    };
    spawn_every(
        "housekeeping",
        db.clone(),
        clock.clone(),
        config.housekeeping_every,
        move |conn, now| housekeeping::sweep(conn, &retention, now),
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

/// The mail sender of this instance, its task started unless no delivery is configured (then
/// messages wait in the outbox, and the log says so); it claims nothing once `draining`.
fn mail_sender(
    delivery: Delivery,
    config: &Config,
    address: SocketAddr,
    (db, clock): (&Database, &Clock),
    draining: &Arc<AtomicBool>,
) -> Arc<Sender> {
    let links = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let mail = Arc::new(Sender::new(delivery, links, draining.clone()));
    if mail.delivers() {
        sender::spawn(
            mail.clone(),
            db.clone(),
            clock.clone(),
            config.mail_poll_every,
        );
    } else {
        tracing::warn!("{}", mail.describe());
    }
    mail
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

/// The session middleware fails a request outright when its store cannot reach the database
/// (an empty 500, bypassing the middleware outside it). That is an outage: answer it like one,
/// a 503 page or problem+json with `Retry-After`, with the security headers added here.
async fn session_store_outage(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let is_api = req.path().starts_with("/api/");
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.config.cookie_secure);
    next.call(req).await.map_err(|e| {
        let outage = AppError::Unavailable(anyhow::anyhow!("session store: {e}"));
        let mut response = if is_api {
            ApiError::from(outage).error_response()
        } else {
            WebError::from(outage).error_response()
        };
        for (name, value) in security_header_list(https) {
            response.headers_mut().insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        InternalError::from_response(e, response).into()
    })
}

impl Application {
    /// Connects to `config.database_url`, applies pending migrations, binds `config.bind` and
    /// builds the server. Nothing is served until `run_until_stopped`.
    pub fn build(config: Config, clock: Clock) -> anyhow::Result<Self> {
        // Everything that can be checked without touching the data is, before migrations run.
        let instance_lock = match DatabaseUrl::parse(&config.database_url) {
            DatabaseUrl::Sqlite(path) => {
                sqlite_file::check(&path)?;
                Some(InstanceLock::acquire(&path)?)
            }
            DatabaseUrl::Postgres(_) => None,
        };
        let reveal_key = RevealKeySource::from_config(&config)?;
        let partner_keys = keys::leak_report_keys(&config)?;
        let delivery = Delivery::from_config(&config)?;
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let metrics_listener = config
            .metrics_bind
            .as_ref()
            .map(|bind| {
                TcpListener::bind(bind)
                    .with_context(|| format!("binding PULSE_METRICS_BIND {bind}"))
            })
            .transpose()?;
        let db = Database::open(&config.database_url, config.db_pool_size)?;
        db.migrate()?;
        let reveal_key =
            reveal_key.finish(&mut *db.conn().context("connecting for the reveal key")?)?;
        let address = listener.local_addr()?;
        let key = cookie_key(&db)?;
        keys::seal_plaintext_secrets(&db, &reveal_key)?;
        let store = DbSessionStore::new(db.clone(), clock.clone(), &config);
        let api_limiter = Arc::new(RateLimiter::new(config.api_rate_limit));
        spawn_background(&db, &clock, &config, &api_limiter);
        crate::api::openapi::prepare();
        let metrics = Arc::new(Metrics::new());
        metrics.gauge_from_database(
            "pulse_mail_outbox_messages",
            "Mail messages queued in the outbox, not sent yet",
            crate::repo::outbox::depth,
        );
        let draining = Arc::new(AtomicBool::new(false));
        let drain = config.drain;
        let mail = mail_sender(delivery, &config, address, (&db, &clock), &draining);
        let state = web::Data::new(AppState {
            db: db.clone(),
            config,
            clock,
            cookie_key: key.clone(),
            api_limiter: api_limiter.clone(),
            listen_url: format!("http://{address}"),
            reveal_key,
            usage: Default::default(),
            partner_keys,
            leak_reports: RateLimiter::new(crate::api::token_leaks::UNSIGNED_PER_MINUTE),
            mail: mail.clone(),
            metrics: metrics.clone(),
            draining: draining.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(FORM_LIMIT_BYTES))
                .wrap(session_middleware(
                    store.clone(),
                    key.clone(),
                    &state.config,
                ))
                .wrap(from_fn(session_store_outage))
                .wrap(from_fn(crate::body_timeout::cut_slow_bodies))
                .wrap(security_headers(state.config.cookie_secure))
                .wrap(from_fn(requests::observe))
                .configure(crate::api::routes)
                .configure(crate::web::routes)
        })
        // Stopping is `Shutdown`'s job (readiness first), not an immediate reaction to signals.
        .disable_signals()
        // Once the listener closes: let in-flight requests finish (up to this long).
        .shutdown_timeout(30)
        .listen(listener)?
        .run();
        let metrics_server = metrics_listener
            .map(|listener| metrics_server(listener, metrics, db.clone()))
            .transpose()?;
        let mut servers = vec![server.handle()];
        servers.extend(metrics_server.iter().map(|(_, s)| s.handle()));
        Ok(Self {
            address,
            db,
            api_limiter,
            mail,
            server,
            metrics_server,
            shutdown: Shutdown {
                draining,
                drain,
                servers,
            },
            _instance_lock: instance_lock,
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

    /// Stops the server: with `graceful`, after the requests in flight have been answered.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// This instance's mail sender, e.g. for a test to run a round at once.
    pub fn mail(&self) -> Arc<Sender> {
        self.mail.clone()
    }

    /// This instance's API rate limiter, e.g. for a test to sync it with the others at once.
    pub fn api_limiter(&self) -> Arc<RateLimiter> {
        self.api_limiter.clone()
    }

    /// Where the metrics listener is, when `PULSE_METRICS_BIND` asked for one.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_server.as_ref().map(|(address, _)| *address)
    }

    /// How to stop this instance the way SIGTERM does.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some((_, metrics)) = self.metrics_server else {
            return self.server.await;
        };
        // Both listeners run until the public one stops; then the metrics one stops too.
        let metrics_handle = metrics.handle();
        let public = async {
            let served = self.server.await;
            metrics_handle.stop(true).await;
            served
        };
        let (served, metrics) = tokio::join!(public, metrics);
        served.and(metrics)
    }
}

/// The Prometheus listener: `/metrics` only, one worker, on the operator's address.
fn metrics_server(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    db: Database,
) -> anyhow::Result<(SocketAddr, Server)> {
    let address = listener.local_addr()?;
    let metrics = web::Data::from(metrics);
    let db = web::Data::new(db);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .app_data(db.clone())
            .route(
                "/metrics",
                web::route()
                    .guard(
                        actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()),
                    )
                    .to(metrics::scrape),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((address, server))
}

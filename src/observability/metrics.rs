//! Prometheus metrics, one registry per server, rendered in the text format at `/metrics` on
//! the operator's own address (`PULSE_METRICS_BIND`; README, "Metrics"). Counters and histograms
//! are updated as requests are answered; what the database knows (the pool, a queue's depth) is
//! read when the metrics are scraped.
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::db::{Database, DbConn};
use crate::error::AppError;

/// A gauge read from the database at each scrape, e.g. the mail outbox's depth.
type DatabaseReading = fn(&mut DbConn) -> diesel::QueryResult<i64>;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    rate_limited: IntCounter,
    token_refusals: IntCounterVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    pool_queued: IntCounter,
    pool_queued_seconds: prometheus::Counter,
    pool_timeouts: IntCounter,
    from_database: Mutex<Vec<(IntGauge, DatabaseReading)>>,
}

fn registered<C: prometheus::core::Collector + Clone + 'static>(registry: &Registry, c: C) -> C {
    registry
        .register(Box::new(c.clone()))
        .expect("each metric is registered once");
    c
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let r = &registry;
        let build_info = registered(
            r,
            IntGaugeVec::new(
                Opts::new("pulse_build_info", "The running release"),
                &["version"],
            )
            .expect("valid metric"),
        );
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        Self {
            requests: registered(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "pulse_http_requests_total",
                        "HTTP requests answered, by route pattern, method and status",
                    ),
                    &["route", "method", "status"],
                )
                .expect("valid metric"),
            ),
            durations: registered(
                r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "pulse_http_request_duration_seconds",
                        "Time to the response's head, by route pattern and method",
                    )
                    .buckets(vec![
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0,
                    ]),
                    &["route", "method"],
                )
                .expect("valid metric"),
            ),
            rate_limited: registered(
                r,
                IntCounter::new(
                    "pulse_api_rate_limit_refusals_total",
                    "API requests refused with 429 over a token's rate limit",
                )
                .expect("valid metric"),
            ),
            token_refusals: registered(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "pulse_api_token_refusals_total",
                        "API requests refused for their token, by problem code",
                    ),
                    &["code"],
                )
                .expect("valid metric"),
            ),
            pool_connections: registered(
                r,
                IntGaugeVec::new(
                    Opts::new(
                        "pulse_db_pool_connections",
                        "Database connections open, by state",
                    ),
                    &["state"],
                )
                .expect("valid metric"),
            ),
            pool_max: registered(
                r,
                IntGauge::new(
                    "pulse_db_pool_max_connections",
                    "The pool's size (PULSE_DB_POOL_SIZE)",
                )
                .expect("valid metric"),
            ),
            pool_queued: registered(
                r,
                IntCounter::new(
                    "pulse_db_pool_waits_total",
                    "Database work that found every connection busy and waited",
                )
                .expect("valid metric"),
            ),
            pool_queued_seconds: registered(
                r,
                prometheus::Counter::new(
                    "pulse_db_pool_wait_seconds_total",
                    "Time database work spent waiting for a connection",
                )
                .expect("valid metric"),
            ),
            pool_timeouts: registered(
                r,
                IntCounter::new(
                    "pulse_db_pool_timeouts_total",
                    "Database work that waited too long for a connection (answered 503)",
                )
                .expect("valid metric"),
            ),
            from_database: Mutex::default(),
            registry,
        }
    }

    /// Counts one answered request. `route` is the matched pattern (`/orgs/{slug}`), never the
    /// path, so that the number of series stays bounded.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.durations
            .with_label_values(&[route, method])
            .observe(elapsed.as_secs_f64());
    }

    /// Counts an API refusal by its problem `code`: a token refusal or the rate limit.
    pub fn observe_api_refusal(&self, code: &str) {
        if code == "rate_limited" {
            self.rate_limited.inc();
        } else if code.starts_with("token_") || code == "api_disabled" {
            self.token_refusals.with_label_values(&[code]).inc();
        }
    }

    /// Adds a gauge read from the database at each scrape, as `startup` does for the mail
    /// outbox's depth (`repo::outbox::depth`).
    pub fn gauge_from_database(&self, name: &str, help: &str, reading: DatabaseReading) {
        let gauge = registered(
            &self.registry,
            IntGauge::new(name, help).expect("valid metric"),
        );
        self.from_database
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((gauge, reading));
    }

    /// Brings the pool's numbers up to date.
    fn read_pool(&self, db: &Database) {
        let pool = db.pool_use();
        self.pool_max.set(i64::from(pool.max));
        let idle = i64::from(pool.idle);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(pool.open) - idle);
        let waits = db.waits();
        let catch_up =
            |counter: &IntCounter, total: u64| counter.inc_by(total.saturating_sub(counter.get()));
        catch_up(&self.pool_queued, waits.queued.load(Ordering::Relaxed));
        catch_up(&self.pool_timeouts, waits.timed_out.load(Ordering::Relaxed));
        let seconds = waits.queued_micros.load(Ordering::Relaxed) as f64 / 1e6;
        self.pool_queued_seconds
            .inc_by((seconds - self.pool_queued_seconds.get()).max(0.0));
    }

    /// The metrics in Prometheus' text format, the database readings taken now.
    pub async fn render(&self, db: &Database) -> Result<String, AppError> {
        self.read_pool(db);
        let readings: Vec<(IntGauge, DatabaseReading)> = self
            .from_database
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if !readings.is_empty() {
            db.run(move |conn| {
                for (gauge, reading) in readings {
                    gauge.set(reading(conn)?);
                }
                Ok(())
            })
            .await?;
        }
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .map_err(|e| AppError::Internal(e.into()))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// `GET /metrics` on the metrics listener.
pub async fn scrape(metrics: web::Data<Metrics>, db: web::Data<Database>) -> HttpResponse {
    match metrics.render(&db).await {
        Ok(text) => HttpResponse::Ok()
            .content_type(prometheus::TEXT_FORMAT)
            .body(text),
        Err(e) => {
            tracing::warn!(error = ?e, "metrics could not be read");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

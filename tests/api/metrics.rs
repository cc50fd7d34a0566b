//! Prometheus metrics on their own listener (`PULSE_METRICS_BIND`), read by a real Prometheus
//! text-format parser: requests by route pattern, method and status, latency histograms, the
//! database pool, rate-limit and token refusals, the mail outbox's depth. Never on the public
//! address.
use prom_text_format_parser::{Sample, Scrape, ValueType};

use crate::helpers::{TestApp, browser, spawn_app, spawn_app_with};

/// The whole text must parse: a line the parser could not read fails the test rather than
/// going missing (label values such as `/orgs/{slug}` hold braces, which lesser parsers skip).
fn parse(text: &str) -> Scrape {
    Scrape::parse(text).unwrap_or_else(|e| panic!("not the exposition format: {e:?}\n{text}"))
}

async fn scrape(app: &TestApp) -> Scrape {
    let url = format!(
        "{}/metrics",
        app.metrics_url.as_ref().expect("a metrics listener")
    );
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    parse(&response.text().await.unwrap())
}

/// The samples of the metric `name` (for a histogram: its buckets, sum and count).
fn samples<'a>(scrape: &'a Scrape, name: &str) -> impl Iterator<Item = &'a Sample> {
    scrape
        .metrics
        .iter()
        .filter(move |m| m.name == name)
        .flat_map(|m| &m.samples)
}

fn has_labels(sample: &Sample, labels: &[(&str, &str)]) -> bool {
    labels.iter().all(|(key, value)| {
        sample
            .labels
            .iter()
            .any(|l| l.key == *key && l.value == *value)
    })
}

fn sample<'a>(scrape: &'a Scrape, name: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    samples(scrape, name).find(|s| s.value.value_type == ValueType::Sample && has_labels(s, labels))
}

#[track_caller]
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    match sample(scrape, name, labels) {
        Some(found) => found.value.value.as_f64(),
        None => {
            let all: Vec<_> = samples(scrape, name)
                .map(|s| s.labels.to_string())
                .collect();
            panic!("no {name}{labels:?} among {all:?}")
        }
    }
}

/// How many observations the histogram `name` holds for `labels`.
#[track_caller]
fn histogram_count(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples(scrape, name)
        .find(|s| s.value.value_type == ValueType::Count && has_labels(s, labels))
        .unwrap_or_else(|| panic!("no histogram {name}{labels:?}"))
        .value
        .value
        .as_f64()
}

#[tokio::test]
async fn requests_refusals_and_the_pool_are_counted() {
    let app = spawn_app_with(|c| {
        c.metrics_bind = Some("127.0.0.1:0".into());
        c.api_rate_limit = 2;
        c.db_pool_size = Some(3);
    })
    .await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    for _ in 0..3 {
        app.whoami_status(&token).await;
    }
    // The token with its last character changed (to 'B' when it already ends in 'A', one token in
    // 62, which would otherwise be the token itself and be rate limited).
    let (kept, last) = token.split_at(token.len() - 1);
    let unknown = format!("{kept}{}", if last == "A" { "B" } else { "A" });
    app.whoami_status(&unknown).await;
    reqwest::get(app.url("/api/v1/whoami")).await.unwrap();
    // A static file, a page, the redirect to the sign-in page, and paths no route matches.
    for (path, status) in [
        ("/static/app.css", 200),
        ("/login", 200),
        ("/orgs/acme/settings", 303),
        ("/no/such/page", 404),
        ("/orgs/acme/no-such-page", 404),
        ("/api/v1/no-such", 404),
    ] {
        let response = browser().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
    }
    let brew = reqwest::Method::from_bytes(b"BREW").unwrap();
    browser()
        .request(brew, app.url("/login"))
        .send()
        .await
        .unwrap();

    let metrics = scrape(&app).await;
    let whoami = [("route", "/api/v1/whoami"), ("method", "GET")];
    let ok = value(
        &metrics,
        "pulse_http_requests_total",
        &[whoami[0], whoami[1], ("status", "200")],
    );
    assert_eq!(ok, 2.0);
    let limited = value(
        &metrics,
        "pulse_http_requests_total",
        &[whoami[0], whoami[1], ("status", "429")],
    );
    assert_eq!(limited, 1.0);
    assert_eq!(
        value(&metrics, "pulse_api_rate_limit_refusals_total", &[]),
        1.0
    );
    for code in ["token_missing", "token_malformed"] {
        let counted = sample(
            &metrics,
            "pulse_api_token_refusals_total",
            &[("code", code)],
        );
        assert!(counted.is_some(), "{code}");
    }
    // Route patterns, never paths (`acme` appears in no label); paths that match no route,
    // and methods nobody defined, are one label each: clients cannot add series at will.
    for (route, method, status, count) in [
        ("/static/{name}", "GET", "200", 1.0),
        ("/orgs/{slug}/settings", "GET", "303", 1.0),
        ("/login", "GET", "200", 1.0),
        ("unmatched", "GET", "404", 3.0),
        ("/login", "other", "404", 1.0),
    ] {
        let labels = [("route", route), ("method", method), ("status", status)];
        assert_eq!(
            value(&metrics, "pulse_http_requests_total", &labels),
            count,
            "{labels:?}"
        );
    }
    let labels: Vec<String> = samples(&metrics, "pulse_http_requests_total")
        .map(|s| s.labels.to_string())
        .collect();
    assert!(
        labels
            .iter()
            .all(|l| !l.contains("acme") && !l.contains("BREW")),
        "{labels:?}"
    );
    assert_eq!(
        histogram_count(&metrics, "pulse_http_request_duration_seconds", &whoami),
        5.0,
        "every whoami in the histogram"
    );
    assert_eq!(value(&metrics, "pulse_db_pool_max_connections", &[]), 3.0);
    assert!(sample(&metrics, "pulse_db_pool_connections", &[("state", "idle")]).is_some());
    assert!(sample(&metrics, "pulse_db_pool_waits_total", &[]).is_some());
    assert!(
        sample(
            &metrics,
            "pulse_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        )
        .is_some()
    );
}

#[tokio::test]
async fn metrics_are_never_on_the_public_address() {
    let app = spawn_app_with(|c| c.metrics_bind = Some("127.0.0.1:0".into())).await;
    let public = browser().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    let unset = spawn_app().await;
    assert!(
        unset.metrics_url.is_none(),
        "no listener without PULSE_METRICS_BIND"
    );
}

#[tokio::test]
async fn the_mail_outbox_depth_is_read_at_each_scrape() {
    let mail = tempfile::tempdir().unwrap();
    let app = spawn_app_with(|c| {
        c.metrics_bind = Some("127.0.0.1:0".into());
        c.mail_dir = Some(mail.path().display().to_string());
    })
    .await;
    let depth = "pulse_mail_outbox_messages";
    assert_eq!(value(&scrape(&app).await, depth, &[]), 0.0);
    // A new token is a notice to the organisation's managers, queued in its transaction.
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    let queued = app
        .outbox()
        .iter()
        .filter(|(_, _, status)| status == "queued")
        .count();
    assert!(queued > 0, "{:?}", app.outbox());
    assert_eq!(value(&scrape(&app).await, depth, &[]), queued as f64);
    assert_eq!(app.deliver_mail().await.sent, queued);
    assert_eq!(value(&scrape(&app).await, depth, &[]), 0.0, "sent");
}

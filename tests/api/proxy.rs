//! Behind a load balancer (PULSE_TRUST_PROXY) the client address comes from X-Forwarded-For, so
//! per-address sign-in throttling tells clients apart instead of locking out the balancer.
use pulse::domain::accounts::MAX_FAILURES_PER_ADDRESS;

use pulse::domain::role::Role;

use crate::helpers::{PASSWORD, TestApp, body, browser, spawn_app, spawn_app_with};

/// Signs in through a proxy that saw the client at `addr` (a forged entry first, as a client
/// could send, then the one the proxy appended).
async fn login_via_proxy(app: &TestApp, addr: &str, email: &str, password: &str) -> u16 {
    let client = browser();
    let token = app.csrf_token(&client, "/login").await;
    client
        .post(app.url("/login"))
        .header("Origin", &app.address)
        .header("X-Forwarded-For", format!("198.51.100.99, {addr}"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn exhaust_address(app: &TestApp, addr: &str) {
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        let status =
            login_via_proxy(app, addr, &format!("guess{i}@example.com"), "nope nope").await;
        assert_eq!(status, 401);
    }
}

#[tokio::test]
async fn a_trusted_proxy_s_forwarded_address_is_throttled_per_client() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    app.create_user("ann@example.com", false);
    exhaust_address(&app, "203.0.113.7").await;
    let same = login_via_proxy(&app, "203.0.113.7", "ann@example.com", PASSWORD).await;
    assert_eq!(same, 429);
    // Another client behind the same balancer is not locked out.
    let other = login_via_proxy(&app, "203.0.113.8", "ann@example.com", PASSWORD).await;
    assert_eq!(other, 303);
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarded_for_is_ignored() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    exhaust_address(&app, "203.0.113.7").await;
    // A made-up header does not let a client escape its own address's lock.
    let forged = login_via_proxy(&app, "203.0.113.8", "ann@example.com", PASSWORD).await;
    assert_eq!(forged, 429);
}

/// Posts the sign-out form with `Origin: origin` and the given forwarded headers.
async fn sign_out_from(app: &TestApp, origin: &str, forwarded: &[(&str, &str)]) -> u16 {
    app.create_user("ann@example.com", false);
    let client = app.signed_in("ann@example.com").await;
    let token = app.csrf_token(&client, "/").await;
    let mut request = client
        .post(app.url("/logout"))
        .header("Origin", origin)
        .form(&[("csrf_token", token.as_str())]);
    for (name, value) in forwarded {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status().as_u16()
}

const FORWARDED_EVIL: [(&str, &str); 3] = [
    ("X-Forwarded-Host", "evil.example"),
    ("X-Forwarded-Proto", "https"),
    ("Forwarded", "host=evil.example;proto=https"),
];

#[tokio::test]
async fn forwarded_host_headers_are_ignored_without_a_trusted_proxy() {
    let app = spawn_app().await;
    // They neither widen the Origin check...
    let status = sign_out_from(&app, "https://evil.example", &FORWARDED_EVIL).await;
    assert_eq!(status, 403);
    // ...nor change the address the API documentation shows.
    app.create_org("acme", true);
    let owner = app.member("owner@acme.example", "acme", Role::Owner);
    let client = app.signed_in(&owner.email).await;
    let mut request = client.get(app.url("/orgs/acme/api-docs"));
    for (name, value) in FORWARDED_EVIL {
        request = request.header(name, value);
    }
    let html = body(request.send().await.unwrap()).await;
    assert!(!html.contains("evil.example"));
    assert!(html.contains(&app.url("/api/v1/feedback")));
}

#[tokio::test]
async fn the_configured_public_url_is_the_only_origin_forms_may_come_from() {
    let app = spawn_app_with(|c| c.public_url = Some("https://pulse.example.com".into())).await;
    app.create_user("ann@example.com", false);
    let sign_in_from = |origin: &str| {
        let (app, origin) = (&app, origin.to_owned());
        async move {
            let client = browser();
            let token = app.csrf_token(&client, "/login").await;
            let fields = [
                ("csrf_token", token.as_str()),
                ("email", "ann@example.com"),
                ("password", PASSWORD),
            ];
            let request = client.post(app.url("/login")).header("Origin", origin);
            request
                .form(&fields)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(sign_in_from(&app.address).await, 403, "the listen address");
    assert_eq!(sign_in_from("https://pulse.example.com").await, 303);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_host_is_the_origin() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let forwarded = [
        ("X-Forwarded-Host", "pulse.example.com"),
        ("X-Forwarded-Proto", "https"),
    ];
    let status = sign_out_from(&app, "https://pulse.example.com", &forwarded).await;
    assert_eq!(status, 303);
}

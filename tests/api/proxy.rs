//! Behind a load balancer (PULSE_TRUST_PROXY) the client address comes from X-Forwarded-For, so
//! per-address sign-in throttling tells clients apart instead of locking out the balancer.
use pulse::domain::accounts::MAX_FAILURES_PER_ADDRESS;

use crate::helpers::{PASSWORD, TestApp, browser, spawn_app, spawn_app_with};

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

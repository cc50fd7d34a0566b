//! `POST /api/v1/token-leaks`: secret-scanning reports revoke genuine tokens at once, label
//! every string, tell the organisation where its token was found, and refuse bad reports
//! without changing anything. With partner keys configured only signed reports count; without,
//! unsigned ones are limited per address.
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use pulse::api::token_leaks::UNSIGNED_PER_MINUTE;
use pulse::domain::api_tokens::Expiry;
use pulse::domain::token::PlainToken;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, body, spawn_app, spawn_app_with};
use crate::token_screen::{SCREEN, audit_actions};

async fn report(app: &TestApp, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/token-leaks"))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_reported_token_is_revoked_at_once_and_its_owners_are_told_where_it_was_found() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let unknown = PlainToken::generate().expose().to_owned();
    let url = "https://github.com/acme/reports/blob/main/refresh.py";
    let sent = json!([
        {"token": token, "type": "pulse_api_token", "url": url, "source": "content"},
        {"token": unknown, "type": "pulse_api_token", "url": url, "source": "content"},
        {"token": "pulse_notatoken", "type": "pulse_api_token", "url": url, "source": "commit"},
    ]);
    let response = report(&app, sent.to_string()).await;
    assert_eq!(response.status(), 200);
    let labels: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        labels,
        json!([
            {"token_raw": token, "token_type": "pulse_api_token", "label": "true_positive"},
            {"token_raw": unknown, "token_type": "pulse_api_token", "label": "false_positive"},
            {"token_raw": "pulse_notatoken", "token_type": "pulse_api_token", "label": "false_positive"},
        ])
    );
    let refusal = assert_problem(app.api_get(&token, "/api/v1/whoami").await, 401).await;
    assert_eq!(refusal["code"], "token_revoked");
    assert!(
        refusal["detail"]
            .as_str()
            .unwrap()
            .contains("reported exposed")
    );

    let (_, screen) = app.get_html(&owner, SCREEN).await;
    assert!(
        screen.contains("Your API token was found in public"),
        "red banner"
    );
    assert!(screen.contains(&format!("{} reported exposed at {url}", &token[..10])));
    assert!(
        screen.contains("Generate token"),
        "the field is blank again"
    );
    // Reporting it again revokes nothing more; a new token ends the banner.
    let again = report(
        &app,
        json!([{"token": token, "type": "pulse_api_token"}]).to_string(),
    )
    .await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        audit_actions(&app)
            .iter()
            .filter(|a| *a == "token.exposed")
            .count(),
        1
    );
    let fresh = app.generate_token(&owner, "acme").await;
    assert_eq!(app.whoami_status(&fresh).await, 200);
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    assert!(!screen.contains("Your API token was found in public"));
}

#[tokio::test]
async fn malformed_and_oversized_reports_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let many: Vec<_> = (0..101).map(|_| json!({"token": token})).collect();
    let cases = [
        ("not json".to_owned(), 400),
        (json!({"token": token}).to_string(), 400),
        ("[]".to_owned(), 400),
        (json!([{"url": "https://example.com"}]).to_string(), 400),
        (serde_json::Value::Array(many).to_string(), 400),
        (
            format!("[{{\"token\":\"{}\"}}]", "x".repeat(1024 * 1024)),
            413,
        ),
    ];
    for (sent, status) in cases {
        let response = report(&app, sent).await;
        assert_eq!(response.status(), status);
        let body = body(response).await;
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(problem["code"] == "invalid_request" || problem["code"] == "payload_too_large");
    }
    assert_eq!(app.whoami_status(&token).await, 200, "nothing was revoked");
}

/// A partner's signing key, as GitHub keeps its own.
pub fn partner_key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

/// The `Github-Public-Key-Signature` of `body` by `key`.
pub fn signature_of(body: &str, key: &SigningKey) -> String {
    let signature: Signature = key.sign(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(signature.to_der())
}

/// Posts `body` signed with `key` the way GitHub's partner program does.
async fn signed_report(app: &TestApp, body: &str, key: &SigningKey) -> reqwest::Response {
    let signature = signature_of(body, key);
    reqwest::Client::new()
        .post(app.url("/api/v1/token-leaks"))
        .header("Content-Type", "application/json")
        .header(
            "Github-Public-Key-Identifier",
            "bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c",
        )
        .header("Github-Public-Key-Signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn with_partner_keys_only_a_signed_report_revokes_anything() {
    let partner = partner_key(7);
    let pem = partner
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let app = spawn_app_with(|c| c.leak_report_keys = Some(pem)).await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    let sent =
        json!([{"token": token, "type": "pulse_api_token", "url": "https://github.com/a/b"}])
            .to_string();
    let unsigned = assert_problem(report(&app, sent.clone()).await, 401).await;
    assert_eq!(unsigned["code"], "signature_invalid");
    let forged = signed_report(&app, &sent, &partner_key(8)).await;
    assert_problem(forged, 401).await;
    // A signature of another body does not carry over.
    let other = json!([{"token": PlainToken::generate().expose()}]).to_string();
    let signature: Signature = partner.sign(other.as_bytes());
    let replayed = reqwest::Client::new()
        .post(app.url("/api/v1/token-leaks"))
        .header("Github-Public-Key-Identifier", "k")
        .header(
            "Github-Public-Key-Signature",
            base64::engine::general_purpose::STANDARD.encode(signature.to_der()),
        )
        .body(sent.clone())
        .send()
        .await
        .unwrap();
    assert_problem(replayed, 401).await;
    assert_eq!(app.whoami_status(&token).await, 200, "nothing revoked yet");
    let genuine = signed_report(&app, &sent, &partner).await;
    assert_eq!(genuine.status(), 200);
    assert_eq!(app.whoami_status(&token).await, 401);
}

#[tokio::test]
async fn without_partner_keys_unsigned_reports_are_limited_per_address() {
    let app = spawn_app().await;
    let sent = json!([{"token": PlainToken::generate().expose()}]).to_string();
    for _ in 0..UNSIGNED_PER_MINUTE {
        assert_eq!(report(&app, sent.clone()).await.status(), 200);
    }
    let limited = report(&app, sent.clone()).await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(assert_problem(limited, 429).await["code"], "rate_limited");
}

#[tokio::test]
async fn a_report_over_64_kib_is_refused() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    // A well-formed report of 100 strings with long URLs: about 70 KiB.
    let url = format!("https://github.com/acme/x/blob/main/{}", "a".repeat(650));
    let many: Vec<_> = (0..100)
        .map(|_| json!({"token": token, "url": url}))
        .collect();
    let sent = serde_json::Value::Array(many).to_string();
    assert!(sent.len() > 64 * 1024 && sent.len() < 80 * 1024);
    let refused = assert_problem(report(&app, sent).await, 413).await;
    assert_eq!(refused["code"], "payload_too_large");
    assert_eq!(app.whoami_status(&token).await, 200, "nothing was revoked");
}

#[tokio::test]
async fn only_a_token_that_worked_is_a_true_positive() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.create_org("beta", true);
    let working = app.issue_token("acme");
    let owner = app.member(
        "owner@beta.example",
        "beta",
        pulse::domain::role::Role::Owner,
    );
    let (expired, _) = app
        .issue_as("beta", owner.id, Expiry::parse("30").unwrap())
        .unwrap();
    app.advance(chrono::Duration::days(31));
    let sent = json!([{"token": working}, {"token": expired}]).to_string();
    let labels: serde_json::Value = report(&app, sent.clone()).await.json().await.unwrap();
    assert_eq!(labels[0]["label"], "true_positive");
    assert_eq!(labels[1]["label"], "false_positive", "expired");
    // Reported again, the now revoked token is no longer a working one either.
    let again: serde_json::Value = report(&app, sent).await.json().await.unwrap();
    assert_eq!(again[0]["label"], "false_positive");
}

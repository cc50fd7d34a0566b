//! `POST /api/v1/token-leaks`: secret-scanning reports revoke genuine tokens at once, label
//! every string, tell the organisation where its token was found, and refuse bad reports
//! without changing anything.
use pulse::domain::token::PlainToken;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, body, spawn_app};
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

//! API tokens: issuing, verifying by bearer header, and the API authentication screen.
use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pulse::db::schema::api_tokens;
use pulse::domain::api_tokens::{Expiry, Grace};
use pulse::domain::role::Role;
use pulse::domain::token::PlainToken;
use pulse::error::AppError;

use crate::helpers::{TestApp, assert_problem, body, spawn_app};

/// Issues a token straight through the domain, returning (plaintext, token id).
fn issue(app: &TestApp, slug: &str, user_id: i32) -> (String, i32) {
    app.issue_as(slug, user_id, Expiry::NEVER)
        .expect("generate")
}

async fn whoami(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.url("/api/v1/whoami"));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.unwrap()
}

fn active_tokens(app: &TestApp, slug: &str) -> i64 {
    let org = app.org_id(slug);
    app.with_conn(|conn| {
        api_tokens::table
            .filter(api_tokens::organisation_id.eq(org))
            .filter(api_tokens::superseded_at.is_null())
            .count()
            .get_result(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn a_valid_token_authenticates_as_its_organisation() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let owner = app.member("owner@acme.example", "acme", Role::Owner);
    let (token, _) = issue(&app, "acme", owner.id);
    let response = whoami(&app, Some(&format!("Bearer {token}"))).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["organisation"]["slug"], "acme");
    assert_eq!(body["organisation"]["name"], "Org acme");
    assert_eq!(body["token"]["prefix"], &token[..10]);
    // The scheme is case-insensitive (RFC 9110).
    let lower = whoami(&app, Some(&format!("bearer {token}"))).await;
    assert_eq!(lower.status().as_u16(), 200);
}

#[tokio::test]
async fn last_used_is_recorded_at_most_once_a_minute() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let owner = app.member("owner@acme.example", "acme", Role::Owner);
    let (token, id) = issue(&app, "acme", owner.id);
    let last_used = || {
        app.with_conn(|conn| {
            api_tokens::table
                .find(id)
                .select(api_tokens::last_used_at)
                .first::<Option<chrono::NaiveDateTime>>(conn)
                .unwrap()
        })
    };
    assert_eq!(last_used(), None);
    let bearer = format!("Bearer {token}");
    whoami(&app, Some(&bearer)).await;
    let first = last_used().expect("recorded");
    app.advance(Duration::seconds(50));
    whoami(&app, Some(&bearer)).await;
    assert_eq!(last_used(), Some(first), "not rewritten within a minute");
    // Over a minute after the recorded use, the next request records again.
    app.advance(Duration::seconds(11));
    whoami(&app, Some(&bearer)).await;
    assert!(last_used().unwrap() > first + Duration::seconds(60));
    // Only the very first use goes into the audit trail.
    let first_uses: i64 = app.with_conn(|conn| {
        use pulse::db::schema::audit_events;
        audit_events::table
            .filter(audit_events::action.eq("token.first_used"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(first_uses, 1);
}

#[tokio::test]
async fn missing_credentials_get_401_with_bearer_and_basic_challenges() {
    let app = spawn_app().await;
    let response = whoami(&app, None).await;
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="pulse", Basic realm="pulse", charset="UTF-8""#
    );
    assert_eq!(assert_problem(response, 401).await["code"], "token_missing");
    let other_scheme = whoami(&app, Some("Digest username=\"x\"")).await;
    assert_eq!(
        assert_problem(other_scheme, 401).await["code"],
        "token_missing"
    );
    // Basic credentials that hold no token (user:pass) are a malformed token.
    let basic = whoami(&app, Some("Basic dXNlcjpwYXNz")).await;
    assert_eq!(assert_problem(basic, 401).await["code"], "token_malformed");
}

#[tokio::test]
async fn malformed_tokens_get_401_without_touching_the_database() {
    let app = spawn_app().await;
    let good = PlainToken::generate().expose().to_owned();
    let mut bad_checksum = good.clone();
    let last = bad_checksum.pop().unwrap();
    bad_checksum.push(if last == 'a' { 'b' } else { 'a' });
    let mut non_base62 = good.clone();
    non_base62.replace_range(20..21, "_");
    let candidates = [
        format!("Bearer ghp_{}", &good[6..]),
        format!("Bearer {bad_checksum}"),
        format!("Bearer {}", &good[..40]),
        format!("Bearer {good}0"),
        format!("Bearer {non_base62}"),
        "Bearer".to_owned(),
        format!("Bearer pulse_{}", "A".repeat(100 * 1024)),
    ];
    // Without the table, any lookup would fail with a 500: a 401 proves none was attempted.
    app.with_conn(|conn| {
        conn.batch_execute("ALTER TABLE api_tokens RENAME TO api_tokens_hidden")
            .unwrap()
    });
    for authorization in &candidates {
        let response = whoami(&app, Some(authorization)).await;
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.starts_with("Bearer") && challenge.contains(", Basic realm="),
            "challenge for {:.40}",
            authorization
        );
        let body = assert_problem(response, 401).await;
        assert_eq!(body["code"], "token_malformed", "{:.40}", authorization);
        assert!(!body.to_string().contains(&good[6..]));
    }
    let invalid = whoami(&app, Some(&format!("Bearer {bad_checksum}"))).await;
    assert_eq!(
        invalid.headers()["www-authenticate"],
        r#"Bearer realm="pulse", error="invalid_token", error_description="The token is malformed", Basic realm="pulse", charset="UTF-8""#
    );
    // A well-formed token does reach the database, which is why the table must come back.
    let reached = whoami(&app, Some(&format!("Bearer {good}"))).await;
    assert_eq!(reached.status().as_u16(), 500);
    let body = body(reached).await;
    assert!(!body.contains("api_tokens"), "opaque 500: {body}");
}

#[tokio::test]
async fn an_unknown_well_formed_token_is_refused() {
    let app = spawn_app().await;
    let response = whoami(
        &app,
        Some(&format!("Bearer {}", PlainToken::generate().expose())),
    )
    .await;
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn a_token_of_an_organisation_without_api_access_gets_403() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let owner = app.member("owner@acme.example", "acme", Role::Owner);
    app.create_user("staff@pulse.example", true);
    let (token, _) = issue(&app, "acme", owner.id);
    app.set_api_access("acme", false, owner.id);
    let response = whoami(&app, Some(&format!("Bearer {token}"))).await;
    let body = assert_problem(response, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("disabled"));
}

#[tokio::test]
async fn a_superseded_token_is_refused_at_once_unless_in_grace() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let owner = app.member("owner@acme.example", "acme", Role::Owner);
    let (first, first_id) = issue(&app, "acme", owner.id);
    let regenerate = |current, grace| app.regenerate_as("acme", owner.id, current, grace);
    let (second, second_id) = regenerate(first_id, Grace::OneHour).unwrap();
    let status = |token: String| {
        let app = &app;
        async move {
            whoami(app, Some(&format!("Bearer {token}")))
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(first.clone()).await, 200, "in grace");
    assert_eq!(status(second.clone()).await, 200);
    let (third, _) = regenerate(second_id, Grace::None).unwrap();
    assert_eq!(status(second).await, 401);
    assert_eq!(status(third.clone()).await, 200);
    assert_eq!(active_tokens(&app, "acme"), 1);
    // Regenerating from a token that is no longer current changes nothing.
    let stale = regenerate(first_id, Grace::None).err().unwrap();
    assert!(matches!(stale, AppError::Conflict(_)));
    assert_eq!(status(third).await, 200);
    // A second first token is refused by the domain and, failing that, by the unique index.
    let again = app.issue_as("acme", owner.id, Expiry::NEVER).err().unwrap();
    assert!(matches!(again, AppError::Conflict(_)));
    assert_eq!(active_tokens(&app, "acme"), 1);
}

#[tokio::test]
async fn unknown_api_paths_answer_in_problem_json() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/api/v1/nothing-here")).await.unwrap();
    assert_problem(response, 404).await;
}

#[tokio::test]
async fn every_refusal_has_its_own_code_and_says_when_and_why_the_token_stopped() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let code = |response: reqwest::Response, status: u16| async move {
        let challenge = response.headers().get("www-authenticate").cloned();
        let body = assert_problem(response, status).await;
        (body["code"].as_str().unwrap().to_owned(), body, challenge)
    };
    let (missing, _, challenge) = code(whoami(&app, None).await, 401).await;
    assert_eq!(missing, "token_missing");
    assert_eq!(
        challenge.unwrap(),
        r#"Bearer realm="pulse", Basic realm="pulse", charset="UTF-8""#
    );
    let (malformed, ..) = code(whoami(&app, Some("Bearer pulse_nope")).await, 401).await;
    assert_eq!(malformed, "token_malformed");
    let unknown = format!("Bearer {}", PlainToken::generate().expose());
    let (unknown, ..) = code(whoami(&app, Some(&unknown)).await, 401).await;
    assert_eq!(unknown, "token_unknown");

    // Replaced without grace: revoked, saying when and why.
    let first = app.generate_token(&owner, "acme").await;
    let regenerated_at = app.now();
    app.regenerate_token(&owner, "acme", "none").await;
    let (revoked, body, challenge) = code(app.api_get(&first, "/api/v1/whoami").await, 401).await;
    assert_eq!(revoked, "token_revoked");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("replaced by a new token")
    );
    let stopped_at = body["stopped_at"].as_str().unwrap();
    assert!(stopped_at.starts_with(&regenerated_at.format("%Y-%m-%dT%H:%M").to_string()));
    let challenge = challenge.unwrap().to_str().unwrap().to_owned();
    assert!(challenge.starts_with(r#"Bearer realm="pulse", error="invalid_token", error_description="The token stopped working at "#));
    // Nothing about any other organisation, nor the token itself.
    assert!(!body.to_string().contains(&first[6..]));

    // Switched off by staff: 403 api_disabled.
    app.create_org("globex", true);
    let globex = app.issue_token("globex");
    let staff = app.create_user("staff@pulse.example", true);
    app.set_api_access("globex", false, staff.id);
    let (disabled, body, _) = code(app.api_get(&globex, "/api/v1/whoami").await, 403).await;
    assert_eq!(disabled, "api_disabled");
    assert!(body["detail"].as_str().unwrap().contains("Ask Pulse staff"));
}

/// The token is judged before anything else about the request: a caller without a working token
/// learns nothing about the parameters, and is told first what it must fix first.
#[tokio::test]
async fn the_token_is_checked_before_the_parameters() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let owner = app.member("owner@acme.example", "acme", Role::Owner);
    let (token, _) = issue(&app, "acme", owner.id);
    let unknown = PlainToken::generate().expose().to_owned();
    for path in [
        "/api/v1/feedback?limit=oops",
        "/api/v1/scores?group_by=week",
        "/api/v1/clients?format=xml",
    ] {
        let anonymous = reqwest::get(app.url(path)).await.unwrap();
        assert_problem(anonymous, 401).await;
        assert_problem(app.api_get(&unknown, path).await, 401).await;
        assert_problem(app.api_get(&token, path).await, 400).await;
    }
    app.set_api_access("acme", false, owner.id);
    let disabled = app.api_get(&token, "/api/v1/feedback?limit=oops").await;
    assert_problem(disabled, 403).await;
}

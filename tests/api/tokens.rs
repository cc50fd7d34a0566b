//! API tokens: issuing, verifying by bearer header, and the API authentication screen.
use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pulse::db::schema::api_tokens;
use pulse::domain::actor::Actor;
use pulse::domain::api_tokens::{self as tokens, Grace};
use pulse::domain::role::Role;
use pulse::domain::token::PlainToken;
use pulse::error::AppError;

use crate::helpers::{TestApp, assert_problem, body, spawn_app};

fn actor(user_id: i32) -> Actor {
    Actor {
        user_id,
        session: "test-session".into(),
        client_addr: "127.0.0.1".into(),
    }
}

/// Issues a token straight through the domain, returning (plaintext, token id).
fn issue(app: &TestApp, slug: &str, user_id: i32) -> (String, i32) {
    let org = app.org_id(slug);
    app.with_conn(|conn| {
        let issued = tokens::generate(
            conn,
            org,
            &actor(user_id),
            Duration::seconds(300),
            app.now(),
        )
        .expect("generate");
        (issued.token.expose().to_owned(), issued.record.id)
    })
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
async fn missing_credentials_get_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let response = whoami(&app, None).await;
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="pulse""#
    );
    assert_problem(response, 401).await;
    let basic = whoami(&app, Some("Basic dXNlcjpwYXNz")).await;
    assert_problem(basic, 401).await;
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
            challenge.starts_with("Bearer"),
            "challenge for {:.40}",
            authorization
        );
        let body = assert_problem(response, 401).await;
        assert!(!body.to_string().contains(&good[6..]));
    }
    let invalid = whoami(&app, Some(&format!("Bearer {bad_checksum}"))).await;
    assert_eq!(
        invalid.headers()["www-authenticate"],
        r#"Bearer realm="pulse", error="invalid_token""#
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
    let org = app.org_id("acme");
    let issuer = actor(owner.id);
    let window = Duration::seconds(300);
    let now = app.now();
    let (first, first_id) = issue(&app, "acme", owner.id);
    let second = app.with_conn(|conn| {
        tokens::regenerate(conn, org, first_id, &issuer, window, Grace::OneHour, now).unwrap()
    });
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
    assert_eq!(status(second.token.expose().to_owned()).await, 200);
    let third = app.with_conn(|conn| {
        tokens::regenerate(
            conn,
            org,
            second.record.id,
            &issuer,
            window,
            Grace::None,
            now,
        )
        .unwrap()
    });
    assert_eq!(status(second.token.expose().to_owned()).await, 401);
    assert_eq!(status(third.token.expose().to_owned()).await, 200);
    assert_eq!(active_tokens(&app, "acme"), 1);
    // Regenerating from a token that is no longer current changes nothing.
    let stale = app.with_conn(|conn| {
        tokens::regenerate(conn, org, first_id, &issuer, window, Grace::None, now)
            .err()
            .unwrap()
    });
    assert!(matches!(stale, AppError::Conflict(_)));
    assert_eq!(status(third.token.expose().to_owned()).await, 200);
    // A second first token is refused by the domain and, failing that, by the unique index.
    let again = app.with_conn(|conn| {
        tokens::generate(conn, org, &issuer, window, now)
            .err()
            .unwrap()
    });
    assert!(matches!(again, AppError::Conflict(_)));
    assert_eq!(active_tokens(&app, "acme"), 1);
}

#[tokio::test]
async fn unknown_api_paths_answer_in_problem_json() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/api/v1/nothing-here")).await.unwrap();
    assert_problem(response, 404).await;
}

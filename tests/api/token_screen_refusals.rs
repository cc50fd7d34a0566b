//! The API authentication screen refuses what it must and changes nothing when it does: other
//! roles and organisations, signed-out visitors, API access off, forged forms, a second token,
//! bad input, and the loser of a race.
use pulse::domain::role::Role;

use crate::helpers::{attr_of, body, browser, extract_csrf, spawn_app};
use crate::token_screen::{active_count, current_token_id, token_rows};

const SCREEN: &str = "/orgs/acme/settings/api";
const GENERATE: &str = "/orgs/acme/settings/api/generate";
const REGENERATE: &str = "/orgs/acme/settings/api/regenerate";

#[tokio::test]
async fn an_unknown_grace_period_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let response = app.regenerate_token(&owner, "acme", "forever").await;
    assert_eq!(response.status().as_u16(), 400);
    assert!(body(response).await.contains("grace period"));
    assert_eq!(token_rows(&app).len(), 1);
    assert_eq!(app.whoami_status(&token).await, 200);
}

#[tokio::test]
async fn generating_when_a_token_exists_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    let before = token_rows(&app);
    let again = app.post_form(&owner, GENERATE, SCREEN, &[]).await;
    assert_eq!(again.status().as_u16(), 409);
    assert!(body(again).await.contains("already has an API token"));
    assert_eq!(token_rows(&app), before);
}

#[tokio::test]
async fn members_get_403_and_outsiders_404() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    let before = token_rows(&app);
    app.member("member@acme.example", "acme", Role::Member);
    app.create_org("other", true);
    app.member("outsider@other.example", "other", Role::Owner);
    for (email, expected) in [
        ("member@acme.example", 403),
        ("outsider@other.example", 404),
    ] {
        let client = app.signed_in(email).await;
        for path in [SCREEN, REGENERATE] {
            let (status, html) = app.get_html(&client, path).await;
            assert_eq!(status, expected, "{email} GET {path}");
            assert!(!html.contains("pulse_"));
        }
        // Their own form token from a page they may see, so only authorisation can refuse.
        let csrf = app.csrf_token(&client, "/").await;
        for path in [GENERATE, REGENERATE] {
            let response = app
                .post_raw(
                    &client,
                    path,
                    &[("csrf_token", &csrf), ("current", "1"), ("grace", "none")],
                )
                .await;
            assert_eq!(response.status().as_u16(), expected, "{email} POST {path}");
        }
    }
    assert_eq!(token_rows(&app), before);
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let response = browser().get(app.url(SCREEN)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test]
async fn with_api_access_disabled_nothing_can_be_generated_and_tokens_get_403() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    app.create_org("closed", false);
    let owner_user = app.member("owner@acme.example", "closed", Role::Owner);
    let (status, html) = app.get_html(&owner, "/orgs/closed/settings/api").await;
    assert_eq!(status, 200);
    // The card says no token works, whom to ask, and offers nothing that cannot be done.
    assert!(
        html.contains("no token works") && html.contains("ask Pulse staff to enable API access")
    );
    assert!(!html.contains("Generate token") && !html.contains("<select"));
    let response = app
        .post_form(
            &owner,
            "/orgs/closed/settings/api/generate",
            "/orgs/closed/settings/api",
            &[],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
    assert!(body(response).await.contains("Ask Pulse staff"));
    assert_eq!(token_rows(&app).len(), 1, "only acme's token");

    // Switching acme off refuses its existing token with 403 problem+json and hides Regenerate.
    app.set_api_access("acme", false, owner_user.id);
    let response = app.api_get(&token, "/api/v1/whoami").await;
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let (_, html) = app.get_html(&owner, SCREEN).await;
    assert!(html.contains("existing token is refused"));
    assert!(!html.contains("Regenerate token") && !html.contains("Reveal token"));
    assert!(
        html.contains("Revoke token"),
        "revoking still works and still matters"
    );
    assert!(html.contains("API access disabled"), "history entry");
    // The confirmation step sends people back, and a forged regenerate changes nothing.
    let confirm = owner.get(app.url(REGENERATE)).send().await.unwrap();
    assert_eq!(confirm.status().as_u16(), 303);
    let before = token_rows(&app);
    let current = current_token_id(&app);
    let response = app
        .post_form(
            &owner,
            REGENERATE,
            SCREEN,
            &[("current", &current), ("grace", "none")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(token_rows(&app), before);
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    for fields in [vec![], vec![("csrf_token", "forged")]] {
        let response = app.post_raw(&owner, GENERATE, &fields).await;
        assert_eq!(response.status().as_u16(), 403);
    }
    assert!(token_rows(&app).is_empty());
    let token = app.generate_token(&owner, "acme").await;
    let before = token_rows(&app);
    let current = current_token_id(&app);
    for csrf in [None, Some("forged")] {
        let mut fields = vec![("current", current.as_str()), ("grace", "none")];
        if let Some(value) = csrf {
            fields.push(("csrf_token", value));
        }
        let response = app.post_raw(&owner, REGENERATE, &fields).await;
        assert_eq!(response.status().as_u16(), 403);
    }
    // A valid token from another origin is refused too.
    let csrf = app.csrf_token(&owner, SCREEN).await;
    let cross_site = owner
        .post(app.url(REGENERATE))
        .header("Origin", "https://evil.example")
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current", &current),
            ("grace", "none"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status().as_u16(), 403);
    assert_eq!(token_rows(&app), before);
    assert_eq!(app.whoami_status(&token).await, 200);
}

#[tokio::test]
async fn simultaneous_regenerates_leave_exactly_one_active_token() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.member("admin@acme.example", "acme", Role::Admin);
    let admin = app.signed_in("admin@acme.example").await;
    app.generate_token(&owner, "acme").await;
    let (_, confirm) = app.get_html(&owner, REGENERATE).await;
    let current = attr_of(&confirm, r#"input[name="current"]"#, "value").unwrap();
    let owner_csrf = extract_csrf(&confirm).unwrap();
    let admin_csrf = app.csrf_token(&admin, REGENERATE).await;
    let requests = (0..8).map(|i| {
        let (client, csrf) = if i % 2 == 0 {
            (&owner, &owner_csrf)
        } else {
            (&admin, &admin_csrf)
        };
        let current = current.clone();
        let app = &app;
        async move {
            let response = app
                .post_raw(
                    client,
                    REGENERATE,
                    &[
                        ("csrf_token", csrf),
                        ("current", &current),
                        ("grace", "none"),
                    ],
                )
                .await;
            let status = response.status().as_u16();
            (status, body(response).await)
        }
    });
    let outcomes = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = outcomes.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    for (_, body) in outcomes.iter().filter(|(s, _)| *s == 409) {
        assert!(body.contains("The token changed after this page was shown"));
    }
    assert_eq!(active_count(&app), 1);
    assert_eq!(token_rows(&app).len(), 2);
}

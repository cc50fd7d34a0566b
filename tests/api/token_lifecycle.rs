//! The token's whole life through the screen: grace periods (at most one token in grace, End
//! now), Revoke, expiry (the header, the banner, the refusal), and bad choices refused.
use chrono::Duration;
use pulse::domain::role::Role;

use crate::helpers::{TestApp, assert_problem, body, spawn_app};
use crate::token_screen::{SCREEN, audit_actions, current_token_id, token_rows};

const REVOKE: &str = "/orgs/acme/settings/api/revoke";
const END_GRACE: &str = "/orgs/acme/settings/api/grace/end";

/// Regenerates through the confirmation step with `grace` (and `expiry` for the new token),
/// and returns the new token the screen then shows.
async fn regenerate(app: &TestApp, client: &reqwest::Client, grace: &str) -> String {
    let response = app.regenerate_token(client, "acme", grace).await;
    assert_eq!(response.status(), 303, "regenerate with grace {grace}");
    let (_, html) = app.get_html(client, SCREEN).await;
    crate::helpers::shown_token(&html).expect("the new token is shown once")
}

#[tokio::test]
async fn regenerating_without_grace_ends_every_older_token_at_once() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let a = app.generate_token(&owner, "acme").await;
    let b = regenerate(&app, &owner, "1h").await;
    assert_eq!(app.whoami_status(&a).await, 200, "A in its grace period");
    let (_, html) = app.get_html(&owner, SCREEN).await;
    assert!(html.contains(&format!("{}…</code> keeps working until", &a[..10])));
    let c = regenerate(&app, &owner, "none").await;
    assert_eq!(app.whoami_status(&b).await, 401);
    assert_eq!(app.whoami_status(&a).await, 401, "A stops too");
    assert_eq!(app.whoami_status(&c).await, 200);
    let (_, html) = app.get_html(&owner, SCREEN).await;
    assert!(!html.contains("keeps working until"), "nothing in grace");
}

#[tokio::test]
async fn a_grace_period_ends_by_itself() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let a = app.generate_token(&owner, "acme").await;
    let b = regenerate(&app, &owner, "1h").await;
    app.advance(Duration::minutes(59));
    assert_eq!(app.whoami_status(&a).await, 200);
    app.advance(Duration::minutes(2));
    let refusal = assert_problem(app.api_get(&a, "/api/v1/whoami").await, 401).await;
    assert_eq!(refusal["code"], "token_revoked");
    assert!(
        refusal["detail"]
            .as_str()
            .unwrap()
            .contains("grace period ended")
    );
    assert_eq!(app.whoami_status(&b).await, 200);
}

#[tokio::test]
async fn at_most_one_token_is_in_grace_and_end_now_stops_it() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let a = app.generate_token(&owner, "acme").await;
    let b = regenerate(&app, &owner, "24h").await;
    let c = regenerate(&app, &owner, "7d").await;
    assert_eq!(
        app.whoami_status(&a).await,
        401,
        "only the latest replaced token is in grace"
    );
    assert_eq!(app.whoami_status(&b).await, 200);
    assert_eq!(app.whoami_status(&c).await, 200);
    let (_, html) = app.get_html(&owner, SCREEN).await;
    assert_eq!(html.matches("keeps working until").count(), 1);
    assert!(html.contains(&b[..10]) && html.contains("End now"));
    // End now stops it at once.
    let ended = app.post_form(&owner, END_GRACE, SCREEN, &[]).await;
    assert_eq!(ended.status(), 303);
    assert_eq!(app.whoami_status(&b).await, 401);
    assert_eq!(app.whoami_status(&c).await, 200);
    let (_, html) = app
        .get_html(&owner, "/orgs/acme/settings/api?done=grace-ended")
        .await;
    assert!(html.contains("grace period has ended") && html.contains("Grace period ended"));
    // Nothing left in grace: End now again changes nothing and says so.
    let again = app.post_form(&owner, END_GRACE, SCREEN, &[]).await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn revoke_confirms_then_stops_the_token_and_any_in_grace_and_blanks_the_field() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let a = app.generate_token(&owner, "acme").await;
    let b = regenerate(&app, &owner, "1h").await;
    let used = reqwest::Client::builder()
        .user_agent("python-requests/2.32.3")
        .build()
        .unwrap();
    used.get(app.url("/api/v1/whoami"))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    let (status, confirm) = app.get_html(&owner, REVOKE).await;
    assert_eq!(status, 200);
    for expected in [
        &b[..10],
        "stops working at once",
        "Python (requests)",
        &a[..10],
    ] {
        assert!(
            confirm.contains(expected),
            "the confirmation names {expected}"
        );
    }
    let current = current_token_id(&app);
    let revoked = app
        .post_form(&owner, REVOKE, REVOKE, &[("current", &current)])
        .await;
    assert_eq!(revoked.status(), 303);
    for token in [&a, &b] {
        let refusal = assert_problem(app.api_get(token, "/api/v1/whoami").await, 401).await;
        assert_eq!(refusal["code"], "token_revoked");
        // Revoked, not "replaced": the reason stored is Revoke's own.
        let detail = refusal["detail"].as_str().unwrap();
        assert!(detail.contains("an owner or admin revoked it"), "{detail}");
    }
    let (_, html) = app
        .get_html(&owner, "/orgs/acme/settings/api?done=revoked")
        .await;
    assert!(html.contains("No current token") && html.contains("Generate token"));
    assert!(html.contains("The token was revoked"));
    assert!(audit_actions(&app).contains(&"token.revoked".to_owned()));
    // A stale confirmation (the token changed meanwhile) revokes nothing.
    let fresh = app.generate_token(&owner, "acme").await;
    let stale = app
        .post_form(&owner, REVOKE, SCREEN, &[("current", &current)])
        .await;
    assert_eq!(stale.status(), 409);
    assert_eq!(app.whoami_status(&fresh).await, 200);
}

#[tokio::test]
async fn an_expiring_token_says_so_everywhere_and_is_refused_once_expired_but_stays_listed() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.member("admin@acme.example", "acme", Role::Admin);
    app.member("member@acme.example", "acme", Role::Member);
    let generated = app
        .post_form(
            &owner,
            "/orgs/acme/settings/api/generate",
            SCREEN,
            &[("expiry", "30")],
        )
        .await;
    assert_eq!(generated.status(), 303);
    let (_, html) = app.get_html(&owner, SCREEN).await;
    let token = crate::helpers::shown_token(&html).unwrap();
    assert!(html.contains("Expires on"));
    let expires = (app.now() + Duration::days(30))
        .date()
        .format("%Y-%m-%d")
        .to_string();
    let response = app.api_get(&token, "/api/v1/whoami").await;
    let header = response.headers()["pulse-token-expires"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        header.starts_with(&expires) && header.ends_with('Z'),
        "{header}"
    );
    // Errors after authentication carry it too.
    let bad = app.api_get(&token, "/api/v1/feedback?limit=0").await;
    assert_eq!(bad.status(), 400);
    assert!(bad.headers().contains_key("pulse-token-expires"));

    // 14 days before: a banner on the organisation's pages, for owners and admins only. (Weeks
    // pass, so everyone signs in afresh.)
    app.advance(Duration::days(15));
    let admin = app.signed_in("admin@acme.example").await;
    let (_, home) = app.get_html(&admin, "/orgs/acme").await;
    assert!(!home.contains("class=\"banner"), "not yet");
    app.advance(Duration::days(2));
    let admin = app.signed_in("admin@acme.example").await;
    let owner = app.signed_in("owner@acme.example").await;
    for (client, path) in [(&admin, "/orgs/acme"), (&owner, "/orgs/acme/settings")] {
        let (_, html) = app.get_html(client, path).await;
        assert!(
            html.contains("class=\"banner") && html.contains("expires on"),
            "{path}"
        );
    }
    let member = app.signed_in("member@acme.example").await;
    let (_, home) = app.get_html(&member, "/orgs/acme").await;
    assert!(!home.contains("class=\"banner"), "members are not told");

    app.advance(Duration::days(14));
    let owner = app.signed_in("owner@acme.example").await;
    let refusal = assert_problem(app.api_get(&token, "/api/v1/whoami").await, 401).await;
    assert_eq!(refusal["code"], "token_expired");
    assert!(
        refusal["stopped_at"]
            .as_str()
            .unwrap()
            .starts_with(&expires)
    );
    let (_, html) = app.get_html(&owner, SCREEN).await;
    assert!(
        html.contains("Expired on") && html.contains(&token[..10]),
        "still listed"
    );
    let (_, home) = app.get_html(&owner, "/orgs/acme").await;
    assert!(home.contains("expired on"));
    assert_eq!(token_rows(&app).len(), 1, "never silently deleted");
    // Regenerating replaces it.
    let fresh = regenerate(&app, &owner, "none").await;
    assert_eq!(app.whoami_status(&fresh).await, 200);
    let without_expiry = app.api_get(&fresh, "/api/v1/whoami").await;
    assert!(!without_expiry.headers().contains_key("pulse-token-expires"));
}

#[tokio::test]
async fn unknown_grace_and_expiry_choices_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let forever = app
        .post_form(
            &owner,
            "/orgs/acme/settings/api/generate",
            SCREEN,
            &[("expiry", "forever")],
        )
        .await;
    assert_eq!(forever.status(), 400);
    assert!(body(forever).await.contains("The expiry must be"));
    assert!(token_rows(&app).is_empty());
    let token = app.generate_token(&owner, "acme").await;
    let before = token_rows(&app);
    for (grace, expiry, message) in [
        ("forever", "never", "The grace period must be"),
        ("none", "1000", "The expiry must be"),
    ] {
        let mut form = app.regenerate_form(&owner, "acme", grace).await;
        form.push(("expiry".into(), expiry.into()));
        let response = app.post_regenerate(&owner, "acme", &form).await;
        assert_eq!(response.status(), 400);
        assert!(body(response).await.contains(message));
    }
    let not_a_token = app
        .post_form(&owner, REVOKE, SCREEN, &[("current", "abc")])
        .await;
    assert_eq!(not_a_token.status(), 400);
    assert_eq!(token_rows(&app), before);
    assert_eq!(app.whoami_status(&token).await, 200);
}

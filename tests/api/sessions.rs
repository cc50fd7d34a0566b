//! Server-side sessions: none for visitors who are not signed in, the idle expiry pushed back at
//! most once a minute, a fresh form token at sign-in and after a password change.
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::sessions;

use crate::helpers::{PASSWORD, TestApp, browser, extract_csrf, spawn_app, spawn_app_with};

fn session_rows(app: &TestApp) -> i64 {
    app.with_conn(|conn| pulse::repo::sessions::count(conn).unwrap())
}

fn expiries(app: &TestApp) -> Vec<chrono::NaiveDateTime> {
    app.with_conn(|conn| {
        sessions::table
            .select(sessions::expires_at)
            .load(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn visitors_who_do_not_sign_in_get_no_session_row() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    for _ in 0..50 {
        let response = reqwest::get(app.url("/login")).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            response
                .cookies()
                .all(|c| c.name() != pulse::state::SESSION_COOKIE),
            "no session cookie for a visitor"
        );
    }
    // Failed sign-ins and sign-out without a session store nothing either.
    let client = browser();
    let failed = app
        .login_as(&client, "ann@example.com", "not the password")
        .await;
    assert_eq!(failed.status().as_u16(), 401);
    let again = app
        .login_as(&client, "ann@example.com", "still not it")
        .await;
    assert_eq!(
        again.status().as_u16(),
        401,
        "the re-rendered form works too"
    );
    assert_eq!(session_rows(&app), 0);
    // Signing in then starts exactly one.
    let signed_in = app.login_as(&client, "ann@example.com", PASSWORD).await;
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(session_rows(&app), 1);
}

#[tokio::test]
async fn the_sign_in_form_needs_its_own_signed_cookie() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = browser();
    let token = app.csrf_token(&client, "/login").await;
    let fields = [
        ("csrf_token", token.as_str()),
        ("email", "ann@example.com"),
        ("password", PASSWORD),
    ];
    // Another browser with the same form token but without the cookie is refused...
    let elsewhere = app.post_raw(&browser(), "/login", &fields).await;
    assert_eq!(elsewhere.status().as_u16(), 403);
    // ...and so is a forged cookie whose signature does not match.
    let forged = reqwest::Client::new()
        .post(app.url("/login"))
        .header("Origin", &app.address)
        .header("Cookie", format!("pulse_sign_in={token}"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let ok = app.post_raw(&client, "/login", &fields).await;
    assert_eq!(ok.status().as_u16(), 303);
    let cleared = ok.cookies().find(|c| c.name() == "pulse_sign_in");
    assert!(
        cleared.is_some_and(|c| c.value().is_empty()),
        "cookie cleared"
    );
}

#[tokio::test]
async fn sign_in_renews_the_session_id() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = browser();
    let first = app.login_as(&client, "ann@example.com", PASSWORD).await;
    let first = crate::helpers::session_cookie(&first).expect("cookie at sign-in");
    let second = app.login_as(&client, "ann@example.com", PASSWORD).await;
    let second = crate::helpers::session_cookie(&second).expect("new cookie at sign-in");
    assert_ne!(first, second);
}

#[tokio::test]
async fn the_form_token_is_renewed_at_sign_in_and_at_password_change() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = browser();
    let before = app.csrf_token(&client, "/login").await;
    app.login_as(&client, "ann@example.com", PASSWORD).await;
    let signed_in = app.csrf_token(&client, "/account/password").await;
    assert_ne!(before, signed_in);
    let fields = [
        ("current_password", PASSWORD),
        ("new_password", "a brand new passphrase"),
        ("new_password_again", "a brand new passphrase"),
    ];
    let changed = app
        .post_form(&client, "/account/password", "/account/password", &fields)
        .await;
    assert_eq!(changed.status().as_u16(), 303);
    let (_, page) = app.get_html(&client, "/account/password").await;
    let after = extract_csrf(&page).unwrap();
    assert_ne!(signed_in, after);
    // The old token no longer passes.
    let stale = app
        .post_raw(&client, "/logout", &[("csrf_token", signed_in.as_str())])
        .await;
    assert_eq!(stale.status().as_u16(), 403);
}

#[tokio::test]
async fn page_views_push_the_expiry_back_at_most_once_a_minute() {
    let app = spawn_app_with(|c| c.session_idle = Duration::minutes(30)).await;
    app.create_user("ann@example.com", false);
    let client = app.signed_in("ann@example.com").await;
    // The first page after sign-in stores the session's new form token: a change, so a write.
    assert_eq!(app.status_of(&client, "/").await, 200);
    let at_sign_in = expiries(&app);
    app.advance(Duration::seconds(50));
    for _ in 0..5 {
        assert_eq!(app.status_of(&client, "/").await, 200);
    }
    assert_eq!(expiries(&app), at_sign_in, "no write within the minute");
    app.advance(Duration::seconds(20));
    assert_eq!(app.status_of(&client, "/").await, 200);
    let pushed = expiries(&app);
    assert!(pushed[0] > at_sign_in[0], "pushed back after a minute");
    assert!(pushed[0] >= app.now() + Duration::minutes(29));
    // Idle for the full timeout (the last push was under a minute before): signed out.
    app.advance(Duration::minutes(30));
    assert_eq!(app.status_of(&client, "/").await, 303);
}

#[tokio::test]
async fn the_default_idle_timeout_is_thirty_minutes() {
    // Nothing in the test environment sets PULSE_SESSION_IDLE_SECONDS.
    let config = pulse::config::Config::from_env().unwrap();
    assert_eq!(config.session_idle, Duration::minutes(30));
}

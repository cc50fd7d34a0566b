//! A half-signed-in session (the right password, no second factor yet; review finding 2): it
//! belongs to its user, so every sign-out and password change ends it and the account page lists
//! it; it is tied to the password hash it began with; and it lasts minutes, however it is used.
use chrono::Duration;
use pulse::domain::password::{self, Password};
use pulse::domain::role::Role;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::second_factor::totp_code;
use crate::two_factor::{password_given, secret_of};

/// An owner with two-factor sign-in on, signed in on their laptop; and the authenticator secret.
async fn owner_with_two_factor(app: &TestApp) -> (reqwest::Client, String) {
    app.create_org("acme", true);
    app.member("owner@acme.example", "acme", Role::Owner);
    let laptop = app.signed_in("owner@acme.example").await;
    let on = app
        .turn_on_two_factor(&laptop, "owner@acme.example", &[])
        .await;
    assert_eq!(on.status(), 200);
    app.advance(Duration::seconds(30));
    (laptop, secret_of(app, "owner@acme.example").unwrap())
}

/// Whether `attacker`'s pending sign-in still lets the right code sign in.
async fn finishes(app: &TestApp, attacker: &reqwest::Client, secret: &str) -> bool {
    let code = totp_code(secret, app.now());
    let fields = [("code", code.as_str())];
    let response = app
        .post_form(attacker, "/login/two-factor", "/login", &fields)
        .await;
    response.status() == 303 && app.status_of(attacker, "/account").await == 200
}

#[tokio::test]
async fn a_password_change_ends_a_pending_sign_in_and_the_account_page_lists_it() {
    let app = spawn_app().await;
    let (laptop, secret) = owner_with_two_factor(&app).await;
    let attacker = password_given(&app, "owner@acme.example").await;
    let (_, account) = app.get_html(&laptop, "/account").await;
    assert!(
        account.contains("Waiting for the second factor"),
        "{account}"
    );
    let fields = [
        ("current_password", PASSWORD),
        ("new_password", "a brand new passphrase"),
        ("new_password_again", "a brand new passphrase"),
    ];
    let changed = app
        .post_form(&laptop, "/account/password", "/account/password", &fields)
        .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(app.status_of(&attacker, "/login/two-factor").await, 303);
    assert!(!finishes(&app, &attacker, &secret).await);
}

#[tokio::test]
async fn signing_out_everywhere_else_or_at_all_ends_pending_sign_ins() {
    let app = spawn_app().await;
    let (laptop, secret) = owner_with_two_factor(&app).await;
    let attacker = password_given(&app, "owner@acme.example").await;
    let ended = app
        .post_form(&laptop, "/account/sessions/end-others", "/account", &[])
        .await;
    assert_eq!(ended.status(), 303);
    assert!(!finishes(&app, &attacker, &secret).await);

    let attacker = password_given(&app, "owner@acme.example").await;
    let out = app.post_form(&laptop, "/logout", "/", &[]).await;
    assert_eq!(out.status(), 303);
    assert!(!finishes(&app, &attacker, &secret).await);
}

#[tokio::test]
async fn a_pending_sign_in_is_tied_to_the_password_it_began_with() {
    let app = spawn_app().await;
    let (_, secret) = owner_with_two_factor(&app).await;
    let attacker = password_given(&app, "owner@acme.example").await;
    // The password changes without any session ending (as an operator's reset might).
    let hash = password::hash(&Password::new("an operator's new passphrase".into())).unwrap();
    app.with_conn(|conn| {
        let owner = pulse::repo::users::find_by_email(conn, "owner@acme.example")
            .unwrap()
            .unwrap();
        pulse::repo::users::set_password_hash(conn, owner.id, &hash).unwrap();
    });
    assert!(!finishes(&app, &attacker, &secret).await);
}

#[tokio::test]
async fn a_pending_sign_in_lasts_its_minutes_however_often_it_is_used() {
    // With a 90-second idle timeout a pending sign-in lasts 90 seconds, not a page view longer.
    let app = spawn_app_with(|c| c.session_idle = Duration::seconds(90)).await;
    let (_, secret) = owner_with_two_factor(&app).await;
    let attacker = password_given(&app, "owner@acme.example").await;
    for _ in 0..4 {
        app.advance(Duration::seconds(20));
        assert_eq!(app.status_of(&attacker, "/login/two-factor").await, 200);
    }
    app.advance(Duration::seconds(11));
    assert_eq!(app.status_of(&attacker, "/login/two-factor").await, 303);
    assert!(!finishes(&app, &attacker, &secret).await);

    // With the default idle timeout, five minutes.
    let app = spawn_app().await;
    let (_, secret) = owner_with_two_factor(&app).await;
    let attacker = password_given(&app, "owner@acme.example").await;
    app.advance(Duration::minutes(4));
    assert_eq!(app.status_of(&attacker, "/login/two-factor").await, 200);
    app.advance(Duration::seconds(61));
    assert!(!finishes(&app, &attacker, &secret).await);
    let in_time = password_given(&app, "owner@acme.example").await;
    assert!(finishes(&app, &in_time, &secret).await);
}

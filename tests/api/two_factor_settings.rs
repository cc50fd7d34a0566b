//! Turning two-factor sign-in on or off (review finding 3): behind sudo mode, so a stolen cookie
//! alone cannot enrol the thief's authenticator (nor an empty password on the prompt); either
//! change ends the user's other sessions and tells them.
use chrono::Duration;
use pulse::domain::role::Role;

use crate::helpers::{PASSWORD, TestApp, spawn_app};
use crate::two_factor::secret_of;

const SETTINGS: &str = "/account/two-factor";

/// An owner signed in on a laptop and a phone.
async fn owner_on_two_devices(app: &TestApp) -> (reqwest::Client, reqwest::Client) {
    app.create_org("acme", true);
    app.member("owner@acme.example", "acme", Role::Owner);
    let laptop = app.signed_in("owner@acme.example").await;
    let phone = app.signed_in("owner@acme.example").await;
    (laptop, phone)
}

async fn turn_on(
    app: &TestApp,
    client: &reqwest::Client,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    app.turn_on_two_factor(client, "owner@acme.example", extra)
        .await
}

#[tokio::test]
async fn turning_it_on_needs_the_password_recently_and_signs_out_everywhere_else() {
    let app = spawn_app().await;
    let (thief, phone) = owner_on_two_devices(&app).await;
    // An old cookie (no password for eleven minutes) gets the password prompt, nothing more.
    app.advance(Duration::minutes(11));
    let prompt = turn_on(&app, &thief, &[]).await;
    assert_eq!(prompt.status(), 200);
    assert!(
        prompt
            .text()
            .await
            .unwrap()
            .contains("Confirm your password")
    );
    assert!(secret_of(&app, "owner@acme.example").is_none());
    for (password, status) in [("", 400), ("not the password", 401)] {
        let refused = turn_on(&app, &thief, &[("password", password)]).await;
        assert_eq!(refused.status(), status, "password {password:?}");
        assert!(secret_of(&app, "owner@acme.example").is_none());
    }
    // With the password: on, with recovery codes, and the phone is signed out.
    let on = turn_on(&app, &thief, &[("password", PASSWORD)]).await;
    assert_eq!(on.status(), 200);
    let page = on.text().await.unwrap();
    assert!(
        page.contains("recovery codes") && page.contains("Your 1 other session was signed out.")
    );
    assert!(secret_of(&app, "owner@acme.example").is_some());
    assert_eq!(app.status_of(&phone, "/account").await, 303);
    assert_eq!(
        app.status_of(&thief, "/account").await,
        200,
        "this session stays"
    );
    let (_, account) = app.get_html(&thief, "/account").await;
    assert!(
        account.contains("Two-factor sign-in was turned on. 1 other session was signed out."),
        "{account}"
    );
}

#[tokio::test]
async fn turning_it_off_needs_the_password_signs_out_everywhere_else_and_tells_the_user() {
    let app = spawn_app().await;
    let (laptop, _) = owner_on_two_devices(&app).await;
    assert_eq!(turn_on(&app, &laptop, &[]).await.status(), 200);
    let phone = app.signed_in("owner@acme.example").await;
    app.advance(Duration::minutes(11));
    let off = |password: Option<&'static str>| {
        let (app, laptop) = (&app, &laptop);
        async move {
            let fields: Vec<(&str, &str)> = password.map(|p| ("password", p)).into_iter().collect();
            let path = "/account/two-factor/disable";
            app.post_form(laptop, path, SETTINGS, &fields)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(off(None).await, 200, "the prompt");
    assert_eq!(off(Some("")).await, 400);
    assert!(secret_of(&app, "owner@acme.example").is_some());
    assert_eq!(off(Some(PASSWORD)).await, 303);
    assert!(secret_of(&app, "owner@acme.example").is_none());
    assert_eq!(app.status_of(&phone, "/account").await, 303);
    let (_, account) = app.get_html(&laptop, "/account").await;
    assert!(
        account.contains("Two-factor sign-in was turned off. 1 other session was signed out."),
        "{account}"
    );
}

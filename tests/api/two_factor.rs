//! The second factor: staff must enrol a TOTP authenticator (QR code) and give a code at every
//! sign-in; others may opt in. Recovery codes are shown once, stored as digests and work once;
//! codes cannot be replayed. (Guessing codes: `second_factor_guessing.rs`; turning it on and off:
//! `two_factor_settings.rs`.)
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::recovery_codes;

use crate::helpers::{PASSWORD, TestApp, attr_of, browser, spawn_app};
use crate::second_factor::{totp_code, totp_secret_of};

/// Submits `code` on the second-factor step of `client`'s sign-in.
pub async fn give(app: &TestApp, client: &reqwest::Client, code: &str) -> reqwest::Response {
    let fields = [("code", code)];
    app.post_form(client, "/login/two-factor", "/login/two-factor", &fields)
        .await
}

/// A browser that gave `email`'s password and now stands at the second-factor step.
pub async fn password_given(app: &TestApp, email: &str) -> reqwest::Client {
    let client = browser();
    let response = app.login_as(&client, email, PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/login/two-factor");
    client
}

/// The authenticator secret of `email`, as their app holds it (the database keeps it sealed).
pub fn secret_of(app: &TestApp, email: &str) -> Option<String> {
    let user = app.with_conn(|conn| {
        pulse::repo::users::find_by_email(conn, email)
            .unwrap()
            .unwrap()
    });
    totp_secret_of(app, &user)
}

fn codes_on(page: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse(".recovery-codes code").unwrap();
    // One code a line, in one block that the Copy button copies whole.
    doc.select(&selector)
        .flat_map(|c| {
            c.inner_html()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

#[tokio::test]
async fn staff_enrol_by_qr_code_at_first_sign_in_and_keep_their_recovery_codes_once() {
    let app = spawn_app().await;
    app.create_user("staff@pulse.example", true);
    let client = password_given(&app, "staff@pulse.example").await;
    assert_eq!(
        app.status_of(&client, "/staff/orgs").await,
        303,
        "not signed in yet"
    );
    let (status, page) = app.get_html(&client, "/login/two-factor").await;
    assert_eq!(status, 200);
    let qr = attr_of(&page, "img", "src").expect("QR code");
    assert!(qr.starts_with("data:image/svg+xml;base64,"), "{qr}");
    assert!(
        secret_of(&app, "staff@pulse.example").is_none(),
        "stored only once confirmed"
    );

    let wrong = give(&app, &client, "000000").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(app.status_of(&client, "/staff/orgs").await, 303);
    let code = app.totp_now("staff@pulse.example", &page);
    let enrolled = give(&app, &client, &code).await;
    assert_eq!(enrolled.status().as_u16(), 200);
    let codes = codes_on(&enrolled.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    assert_eq!(
        app.status_of(&client, "/staff/orgs").await,
        200,
        "signed in"
    );
    // The codes are kept only as digests, and never shown again.
    let stored: Vec<String> = app.with_conn(|conn| {
        recovery_codes::table
            .select(recovery_codes::code_digest)
            .load(conn)
            .unwrap()
    });
    assert_eq!(stored.len(), 10);
    let plain = codes[0].replace('-', "");
    assert!(stored.iter().all(|d| d.len() == 64 && !d.contains(&plain)));
    let (_, settings) = app.get_html(&client, "/account/two-factor").await;
    assert!(!settings.contains(&codes[0]) && settings.contains("10 unused recovery codes"));
}

#[tokio::test]
async fn each_code_signs_in_once() {
    let app = spawn_app().await;
    app.create_user("staff@pulse.example", true);
    app.signed_in("staff@pulse.example").await; // enrols
    let secret = secret_of(&app, "staff@pulse.example").unwrap();
    app.advance(Duration::seconds(30));
    let code = totp_code(&secret, app.now());
    let first = password_given(&app, "staff@pulse.example").await;
    assert_eq!(give(&app, &first, &code).await.status().as_u16(), 303);
    // The same code again, from another browser within its 30 seconds: refused.
    let replay = password_given(&app, "staff@pulse.example").await;
    let refused = give(&app, &replay, &code).await;
    assert_eq!(refused.status().as_u16(), 401);
    assert!(refused.text().await.unwrap().contains("already used"));
    // Once enrolled, the step asks for a code only; and staff cannot turn it off.
    let (_, page) = app.get_html(&replay, "/login/two-factor").await;
    assert!(
        attr_of(&page, "img", "src").is_none(),
        "no QR code once enrolled"
    );
    let staff = app.signed_in("staff@pulse.example").await;
    let (_, settings) = app.get_html(&staff, "/account/two-factor").await;
    assert!(settings.contains("Staff accounts must keep two-factor sign-in."));
    assert!(!settings.contains("/account/two-factor/disable"));
}

#[tokio::test]
async fn recovery_codes_work_once_each() {
    let app = spawn_app().await;
    app.create_user("staff@pulse.example", true);
    let client = password_given(&app, "staff@pulse.example").await;
    let (_, page) = app.get_html(&client, "/login/two-factor").await;
    let code = app.totp_now("staff@pulse.example", &page);
    let codes = codes_on(&give(&app, &client, &code).await.text().await.unwrap());
    let lost_phone = password_given(&app, "staff@pulse.example").await;
    let upper = codes[3].to_uppercase();
    assert_eq!(give(&app, &lost_phone, &upper).await.status().as_u16(), 303);
    assert_eq!(app.status_of(&lost_phone, "/staff/orgs").await, 200);
    let again = password_given(&app, "staff@pulse.example").await;
    assert_eq!(give(&app, &again, &codes[3]).await.status().as_u16(), 401);
}

#[tokio::test]
async fn owners_may_turn_it_on_and_off() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let wrong = app
        .post_form(
            &owner,
            "/account/two-factor",
            "/account/two-factor",
            &[("code", "1")],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 400);
    assert!(
        secret_of(&app, "owner@acme.example").is_none(),
        "nothing changed"
    );
    let on = app
        .turn_on_two_factor(&owner, "owner@acme.example", &[])
        .await;
    assert_eq!(on.status().as_u16(), 200);
    assert_eq!(codes_on(&on.text().await.unwrap()).len(), 10);
    // The next sign-in asks for a code.
    password_given(&app, "owner@acme.example").await;
    // Turning it off takes the password.
    let off = |password: &'static str| {
        let (app, owner) = (&app, &owner);
        async move {
            let fields = [("password", password)];
            let path = "/account/two-factor/disable";
            app.post_form(owner, path, "/account/two-factor", &fields)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(off("not my password").await, 401);
    assert!(secret_of(&app, "owner@acme.example").is_some());
    assert_eq!(off(PASSWORD).await, 303);
    assert!(secret_of(&app, "owner@acme.example").is_none());
    let plain = app
        .login_as(&browser(), "owner@acme.example", PASSWORD)
        .await;
    assert_eq!(plain.headers()["location"], "/");
}

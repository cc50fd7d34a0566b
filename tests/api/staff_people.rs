//! `/staff/users`: staff find a person by email or name and see their memberships and roles,
//! staff or not, two-factor sign-in, the sign-in lock and their sessions; and, each behind a
//! confirmation page and sudo mode, with an audit event and a mail to the person: reset their
//! two-factor sign-in, lift a sign-in lock, send a password-reset link, sign them out
//! everywhere.
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::{audit_events, users};
use pulse::domain::role::Role;

use crate::helpers::{PASSWORD, TestApp, body, browser, spawn_app};
use crate::mail_helpers::spawn_app_mailing_to;
use crate::smtp_sink::SmtpSink;

const STAFF: &str = "staff@pulse.example";
const ANN: &str = "ann@acme.example";

/// `acme` with Ann as its owner (signed in, as returned), and a member of staff (signed in).
async fn setup(app: &TestApp) -> (reqwest::Client, reqwest::Client, i32) {
    app.create_org("acme", true);
    let ann = app.member(ANN, "acme", Role::Owner);
    app.create_user(STAFF, true);
    let staff = app.signed_in(STAFF).await;
    (app.signed_in(ANN).await, staff, ann.id)
}

/// Five wrong passwords for Ann from this address: she is locked out here.
async fn lock_out(app: &TestApp) {
    let stranger = browser();
    for _ in 0..5 {
        app.login_as(&stranger, ANN, "not the password at all")
            .await;
    }
    let refused = app.login_as(&stranger, ANN, PASSWORD).await;
    assert_eq!(refused.status().as_u16(), 429, "locked");
}

fn staff_events(app: &TestApp) -> Vec<String> {
    app.with_conn(|conn| {
        audit_events::table
            .filter(audit_events::action.like("staff_%"))
            .order(audit_events::id)
            .select(audit_events::action)
            .load(conn)
            .unwrap()
    })
}

async fn act(app: &TestApp, staff: &reqwest::Client, id: i32, action: &str) -> reqwest::Response {
    let path = format!("/staff/users/{id}/{action}");
    let (status, confirm) = app.get_html(staff, &path).await;
    assert_eq!(status, 200, "{path}: a confirmation page first");
    assert!(confirm.contains(ANN));
    app.post_form(staff, &path, &path, &[]).await
}

#[tokio::test]
async fn staff_find_people_by_email_or_name_with_what_support_needs() {
    let app = spawn_app().await;
    let (_ann, staff, id) = setup(&app).await;
    app.create_user("annabel@other.example", false);
    app.create_user("bob@acme.example", false);

    let (status, page) = app.get_html(&staff, "/staff/users?q=ANN").await;
    assert_eq!(status, 200);
    assert!(page.contains("2 people"), "{page}");
    assert!(page.contains(ANN) && page.contains("annabel@other.example"));
    assert!(!page.contains("bob@acme.example"));
    assert!(page.contains("Org acme</a> (owner)"));
    assert!(page.contains("Not locked"));

    let (_, person) = app.get_html(&staff, &format!("/staff/users/{id}")).await;
    for fact in [
        "<dt>Staff</dt><dd>No</dd>",
        "<dt>Sessions</dt><dd>1</dd>",
        "Not locked",
    ] {
        assert!(person.contains(fact), "{fact} in {person}");
    }
    assert!(person.contains("Two-factor sign-in</dt><dd><span class=\"badge\">Off"));
    lock_out(&app).await;
    let (_, person) = app.get_html(&staff, &format!("/staff/users/{id}")).await;
    assert!(person.contains(">Locked<"), "{person}");
    // Staff are shown as staff, with two-factor sign-in on.
    let (_, page) = app.get_html(&staff, "/staff/users?q=pulse.example").await;
    assert!(page.contains("<dt>Staff</dt><dd>Yes</dd>"));
    assert!(page.contains("Two-factor sign-in</dt><dd><span class=\"badge on\">On"));
    let (_, none) = app.get_html(&staff, "/staff/users?q=nobody").await;
    assert!(none.contains("Nobody's email or name contains"));
}

#[tokio::test]
async fn each_action_is_confirmed_recorded_and_told_to_the_person() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let (ann, staff, id) = setup(&app).await;

    // Lift a sign-in lock.
    lock_out(&app).await;
    let done = act(&app, &staff, id, "unlock").await;
    assert_eq!(done.status().as_u16(), 303);
    let location = done.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/staff/users/{id}?done=unlock"));
    let (_, page) = app.get_html(&staff, &location).await;
    assert!(page.contains("Sign-in lock lifted"));
    let again = app.login_as(&browser(), ANN, PASSWORD).await;
    assert_eq!(again.status().as_u16(), 303, "Ann can sign in again");

    // Send a password-reset link.
    let done = act(&app, &staff, id, "password-reset").await;
    assert_eq!(done.status().as_u16(), 303);

    // Reset two-factor sign-in: the authenticator goes, sessions end.
    app.turn_on_two_factor(&ann, ANN, &[]).await;
    let secret = || -> Option<String> {
        app.with_conn(|conn| {
            users::table
                .find(id)
                .select(users::totp_secret)
                .first(conn)
                .unwrap()
        })
    };
    assert!(secret().is_some(), "two-factor sign-in on");
    let done = act(&app, &staff, id, "reset-two-factor").await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(secret(), None);
    assert_eq!(app.status_of(&ann, "/account").await, 303, "signed out");

    // Sign out everywhere.
    let ann = app.signed_in(ANN).await;
    assert_eq!(app.status_of(&ann, "/account").await, 200);
    let done = act(&app, &staff, id, "sign-out").await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(app.status_of(&ann, "/account").await, 303, "signed out");

    assert_eq!(
        staff_events(&app),
        [
            "staff_unlocked",
            "staff_sent_password_reset",
            "staff_reset_two_factor",
            "staff_signed_out"
        ]
    );
    app.deliver_mail().await;
    sink.one_to(ANN, "Your Pulse account can sign in again");
    let reset = sink.one_to(ANN, "Reset your Pulse password");
    assert!(
        reset
            .text
            .contains("staff of Pulse staff sent you this link"),
        "{}",
        reset.text
    );
    let link = reset.link_after("Choose a new password");
    assert!(link.contains("/reset-password?token="));
    let two_factor = sink.one_to(ANN, "Two-factor sign-in of your Pulse account was reset");
    assert!(
        two_factor.text.contains("By: staff (Pulse staff)"),
        "{}",
        two_factor.text
    );
    sink.one_to(ANN, "You were signed out of Pulse everywhere");
}

#[tokio::test]
async fn actions_need_the_password_recently_and_change_nothing_without_it() {
    let app = spawn_app().await;
    let (ann, staff, id) = setup(&app).await;
    app.advance(Duration::minutes(11));
    let path = format!("/staff/users/{id}/sign-out");
    let prompt = app.post_form(&staff, &path, &path, &[]).await;
    assert_eq!(prompt.status().as_u16(), 200);
    let prompt = body(prompt).await;
    assert!(prompt.contains("To sign someone out everywhere, enter your password again"));
    assert_eq!(
        app.status_of(&ann, "/account").await,
        200,
        "nothing changed"
    );
    assert!(staff_events(&app).is_empty());
    let wrong = app
        .post_form(&staff, &path, &path, &[("password", "wrong password here")])
        .await;
    assert_eq!(
        wrong.status().as_u16(),
        401,
        "a wrong password has one status everywhere"
    );
    assert_eq!(
        app.status_of(&ann, "/account").await,
        200,
        "nothing changed"
    );
    let done = app
        .post_form(&staff, &path, &path, &[("password", PASSWORD)])
        .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(app.status_of(&ann, "/account").await, 303);
    assert_eq!(staff_events(&app), ["staff_signed_out"]);
}

#[tokio::test]
async fn only_staff_reach_people_and_unknown_ones_are_not_found() {
    let app = spawn_app().await;
    let (ann, staff, id) = setup(&app).await;
    assert_eq!(app.status_of(&ann, "/staff/users?q=ann").await, 403);
    assert_eq!(
        app.status_of(&ann, &format!("/staff/users/{id}")).await,
        403
    );
    let path = format!("/staff/users/{id}/sign-out");
    let refused = app.post_form(&ann, &path, "/account", &[]).await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        app.status_of(&ann, "/account").await,
        200,
        "nothing changed"
    );
    assert_eq!(app.status_of(&staff, "/staff/users/99999").await, 404);
    let unknown = format!("/staff/users/{id}/delete");
    assert_eq!(app.status_of(&staff, &unknown).await, 404);
    let anonymous = browser();
    assert_eq!(app.status_of(&anonymous, "/staff/users").await, 303);
}

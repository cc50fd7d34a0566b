//! Account recovery by an operator (`pulse user …`) on the database of a running server: each
//! change takes effect at once, is audited, and a mistake is a clear refusal with a non-zero
//! exit that changes nothing.
use std::process::Output;

use diesel::prelude::*;
use pulse::db::DatabaseUrl;
use pulse::db::schema::{audit_events, recovery_codes, sessions, users};

use crate::commands::{pulse, refused, run, succeeded};
use crate::helpers::{PASSWORD, TestApp, browser, spawn_app};

const NEW_PASSWORD: &str = "a brand new passphrase for ann";

/// `pulse ARGS` on the server's database, with `PULSE_PASSWORD` when `password` is given.
fn pulse_on(app: &TestApp, args: &[&str], password: Option<&str>) -> Output {
    let url = match app.db.url() {
        DatabaseUrl::Sqlite(path) => path.clone(),
        DatabaseUrl::Postgres(url) => url.clone(),
    };
    let mut command = pulse(&url, args);
    if let Some(password) = password {
        command.env("PULSE_PASSWORD", password);
    }
    run(&mut command)
}

fn audited(app: &TestApp, action: &str) -> i64 {
    app.with_conn(|conn| {
        audit_events::table
            .filter(audit_events::action.eq(action))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

fn sessions_of(app: &TestApp, user_id: i32) -> i64 {
    app.with_conn(|conn| {
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn set_password_applies_the_policy_and_ends_sessions() {
    let app = spawn_app().await;
    let ann = app.create_user("ann@example.com", false);
    let laptop = app.signed_in("ann@example.com").await;
    refused(
        &pulse_on(
            &app,
            &["user", "set-password", "--email", "ann@example.com"],
            Some("password1234"),
        ),
        &["too easy to guess"],
    );
    assert_eq!(
        sessions_of(&app, ann.id),
        1,
        "a refused password changes nothing"
    );
    let out = succeeded(&pulse_on(
        &app,
        &["user", "set-password", "--email", "Ann@Example.com"],
        Some(NEW_PASSWORD),
    ));
    assert!(out.contains("ann@example.com"), "{out}");
    assert_eq!(sessions_of(&app, ann.id), 0);
    assert_eq!(app.status_of(&laptop, "/account").await, 303, "signed out");
    let old = app.login_as(&browser(), "ann@example.com", PASSWORD).await;
    assert_eq!(old.status(), 401, "the old password no longer works");
    let new = app
        .login_as(&browser(), "ann@example.com", NEW_PASSWORD)
        .await;
    assert_eq!(new.status(), 303);
    assert_eq!(audited(&app, "operator_set_password"), 1);
    refused(
        &pulse_on(
            &app,
            &["user", "set-password", "--email", "nobody@example.com"],
            Some(NEW_PASSWORD),
        ),
        &["no account with email nobody@example.com"],
    );
}

#[tokio::test]
async fn a_lost_authenticator_is_reset_and_a_lock_lifted() {
    let app = spawn_app().await;
    let staff = app.create_user("staff@pulse.example", true);
    let _console = app.signed_in("staff@pulse.example").await;
    let enrolled = |app: &TestApp| {
        app.with_conn(|conn| {
            users::table
                .find(staff.id)
                .select(users::totp_secret.is_not_null())
                .first::<bool>(conn)
                .unwrap()
        })
    };
    assert!(enrolled(&app), "staff enrolled at first sign-in");
    succeeded(&pulse_on(
        &app,
        &["user", "reset-two-factor", "--email", "staff@pulse.example"],
        None,
    ));
    assert!(!enrolled(&app));
    let codes: i64 = app.with_conn(|conn| {
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(staff.id))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(codes, 0, "recovery codes gone");
    assert_eq!(sessions_of(&app, staff.id), 0);
    // Signing in again asks to enrol a new authenticator.
    let client = browser();
    let response = app.login_as(&client, "staff@pulse.example", PASSWORD).await;
    assert_eq!(response.headers()["location"], "/login/two-factor");
    assert_eq!(audited(&app, "operator_reset_two_factor"), 1);

    app.create_user("ann@example.com", false);
    for _ in 0..5 {
        app.login_as(&browser(), "ann@example.com", "wrong password!")
            .await;
    }
    let locked = app.login_as(&browser(), "ann@example.com", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    succeeded(&pulse_on(
        &app,
        &["user", "unlock", "--email", "ann@example.com"],
        None,
    ));
    let unlocked = app.login_as(&browser(), "ann@example.com", PASSWORD).await;
    assert_eq!(unlocked.status(), 303);
    assert_eq!(audited(&app, "operator_unlocked"), 1);
}

#[tokio::test]
async fn a_disabled_person_cannot_sign_in_but_their_tokens_keep_working() {
    let app = spawn_app().await;
    let client = app.owner_of("acme").await;
    let token = app.generate_token(&client, "acme").await;
    succeeded(&pulse_on(
        &app,
        &["user", "disable", "--email", "owner@acme.example"],
        None,
    ));
    assert_eq!(
        app.status_of(&client, "/orgs/acme").await,
        303,
        "signed out at once"
    );
    let again = app
        .login_as(&browser(), "owner@acme.example", PASSWORD)
        .await;
    assert_eq!(
        again.status(),
        400,
        "the right password: not a wrong-password refusal"
    );
    assert!(again.text().await.unwrap().contains("disabled"));
    assert_eq!(
        app.whoami_status(&token).await,
        200,
        "the API is unaffected"
    );
    succeeded(&pulse_on(
        &app,
        &["user", "enable", "--email", "owner@acme.example"],
        None,
    ));
    let back = app
        .login_as(&browser(), "owner@acme.example", PASSWORD)
        .await;
    assert_eq!(back.status(), 303);
    assert_eq!(audited(&app, "operator_disabled"), 1);
    assert_eq!(audited(&app, "operator_enabled"), 1);
}

#[tokio::test]
async fn create_user_refuses_an_existing_address_unless_adding_a_membership() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let ann = app.create_user("ann@example.com", false);
    let existing = pulse_on(
        &app,
        &[
            "create-user",
            "--email",
            "ANN@example.com",
            "--name",
            "Other",
        ],
        Some(NEW_PASSWORD),
    );
    refused(&existing, &["exists already"]);
    let hash: String = app.with_conn(|conn| {
        users::table
            .find(ann.id)
            .select(users::password_hash)
            .first(conn)
            .unwrap()
    });
    assert_eq!(hash, ann.password_hash, "nothing changed");
    let out = succeeded(&pulse_on(
        &app,
        &[
            "create-user",
            "--email",
            "ann@example.com",
            "--name",
            "Ann",
            "--org",
            "acme",
            "--role",
            "admin",
        ],
        None,
    ));
    assert!(
        out.contains("Added ann@example.com to acme as admin"),
        "{out}"
    );
}

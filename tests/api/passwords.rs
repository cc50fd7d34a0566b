//! The password policy wherever a password is set: 12 to 128 characters, not weak or common.
use std::process::Command;

use crate::databases::TestDatabase;
use crate::helpers::{PASSWORD, browser, spawn_app};

#[tokio::test]
async fn a_weak_new_password_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = app.signed_in("ann@example.com").await;
    let other_device = app.signed_in("ann@example.com").await;
    for (weak, message) in [
        ("short", "12 to 128 characters"),
        ("password1234", "too easy to guess"),
        ("ann@example.com!", "too easy to guess"),
        (&"x".repeat(129), "12 to 128 characters"),
    ] {
        let fields = [
            ("current_password", PASSWORD),
            ("new_password", weak),
            ("new_password_again", weak),
        ];
        let response = app
            .post_form(&client, "/account/password", "/account/password", &fields)
            .await;
        assert_eq!(response.status().as_u16(), 400, "{weak}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{weak}: {page}");
    }
    assert_eq!(
        app.status_of(&other_device, "/").await,
        200,
        "no session ended"
    );
    let again = app.login_as(&browser(), "ann@example.com", PASSWORD).await;
    assert_eq!(again.status().as_u16(), 303, "the old password still works");
}

#[test]
fn create_user_refuses_a_weak_password() {
    let database = TestDatabase::fresh();
    let output = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["create-user", "--email", "ann@example.com", "--name", "Ann"])
        .env("DATABASE_URL", database.url())
        .env("PULSE_PASSWORD", "password1234")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("too easy to guess"), "{stderr}");
}

//! Retention (audit events older than the period are deleted; sessions at their expiry) and key
//! rotation: the cookie key (everyone signs in again) and the reveal key (everything sealed is
//! re-sealed, tokens' reveal ciphertexts and TOTP secrets alike; a lost key file with sealed data
//! stops the start).
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::{api_tokens, audit_events, sessions};
use pulse::domain::housekeeping::{self, Retention};
use pulse::domain::reveal::RevealKey;
use pulse::repo::audit::{self, NewAuditEvent};
use pulse::repo::users;

use crate::commands::{pulse, refused, run, succeeded};
use crate::helpers::{PASSWORD, TestApp, browser, extract_csrf, spawn_app, spawn_app_with};
use crate::second_factor::{totp_code, totp_secret_of};

#[tokio::test]
async fn audit_events_older_than_the_retention_period_are_deleted() {
    let app = spawn_app().await;
    let now = app.now();
    app.with_conn(|conn| {
        for days in [401, 399] {
            let event = NewAuditEvent {
                organisation_id: None,
                actor_user_id: None,
                action: "test",
                detail: "",
                client_addr: None,
                created_at: now - Duration::days(days),
            };
            audit::record(conn, &event).unwrap();
        }
    });
    let retention = Retention {
        audit_events: Duration::days(400),
    };
    let swept = app.with_conn(|conn| housekeeping::sweep(conn, &retention, now).unwrap());
    assert_eq!(swept.audit_events, 1);
    let left: i64 = app.with_conn(|conn| audit_events::table.count().get_result(conn).unwrap());
    assert_eq!(left, 1, "the younger one stays");
}

#[tokio::test]
async fn rotating_the_cookie_key_signs_everyone_out() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let _browser = app.signed_in("ann@example.com").await;
    let ended = app.with_conn(|conn| pulse::keys::rotate_cookie(conn).unwrap());
    assert_eq!(ended, 1);
    let left: i64 = app.with_conn(|conn| sessions::table.count().get_result(conn).unwrap());
    assert_eq!(left, 0);
    // A restarted instance signs with the new key.
    let restarted = app.another_instance(|_| {});
    let browser = restarted.signed_in("ann@example.com").await;
    assert_eq!(restarted.status_of(&browser, "/account").await, 200);
}

/// A server on a SQLite file in `dir` with its reveal key in a key file beside it, whichever
/// backend the suite runs on: the server, the database path and the key file's path.
async fn with_key_file(dir: &tempfile::TempDir) -> (TestApp, String, String) {
    let path = dir.path().join("pulse.db").display().to_string();
    let app = spawn_app_with(|c| {
        c.database_url = path.clone();
        c.reveal_key = None;
    })
    .await;
    let key_file = format!("{path}.reveal-key");
    (app, path, key_file)
}

/// Stops `app` and waits until its task has let go of the SQLite file's instance lock.
async fn stopped(app: &TestApp, path: &str) {
    app.server.clone().unwrap().stop(true).await;
    for _ in 0..100 {
        if pulse::db::sqlite_file::InstanceLock::holder(path).is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the stopped server still holds {path}.lock");
}

#[tokio::test]
async fn rotating_the_reveal_key_reseals_and_a_lost_key_file_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (app, path, key_file) = with_key_file(&dir).await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let old = RevealKey::from_base64(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let config = crate::helpers::test_config(path.clone());
    let refused = app.with_conn(|conn| pulse::keys::rotate_reveal(&config, conn, None).err());
    assert!(refused.unwrap().to_string().contains("stop pulse serve"));
    stopped(&app, &path).await;
    let rotation = app.with_conn(|conn| pulse::keys::rotate_reveal(&config, conn, None).unwrap());
    assert_eq!(
        rotation.resealed,
        [
            ("api_tokens.reveal_ciphertext", 1),
            ("users.totp_secret", 0)
        ]
    );
    let new = RevealKey::from_base64(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let (org, id, digest, sealed): (i32, i32, String, String) = app.with_conn(|conn| {
        api_tokens::table
            .select((
                api_tokens::organisation_id,
                api_tokens::id,
                api_tokens::digest,
                api_tokens::reveal_ciphertext.assume_not_null(),
            ))
            .first(conn)
            .unwrap()
    });
    assert_eq!(
        new.open(&sealed, (org, id), &digest).unwrap().expose(),
        token
    );
    assert!(
        old.open(&sealed, (org, id), &digest).is_none(),
        "the old key opens nothing"
    );

    std::fs::remove_file(&key_file).unwrap();
    let lost = pulse::startup::Application::build(config, pulse::clock::Clock::system());
    let error = format!("{:#}", lost.err().unwrap());
    assert!(
        error.contains(&key_file) && error.contains("sealed"),
        "{error}"
    );
    assert!(
        !std::path::Path::new(&key_file).exists(),
        "not silently replaced"
    );
}

#[tokio::test]
async fn second_factors_survive_reveal_key_rotation_and_a_lost_key_file_is_refused_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let (app, path, key_file) = with_key_file(&dir).await;
    let email = "staff@pulse.example";
    app.create_user(email, true);
    app.signed_in(email).await;
    let user = app.with_conn(|conn| users::find_by_email(conn, email).unwrap().unwrap());
    // What the authenticator app holds, and how the database holds it.
    let secret = totp_secret_of(&app, &user).expect("enrolled");
    let sealed_before = user.totp_secret.clone().unwrap();
    stopped(&app, &path).await;

    // With a key that is not this database's, the rotation stops and changes nothing.
    let original = std::fs::read_to_string(&key_file).unwrap();
    std::fs::write(&key_file, RevealKey::generate().to_base64()).unwrap();
    let rotate = || run(&mut pulse(&path, &["keys", "rotate-reveal"]));
    refused(&rotate(), &["users.totp_secret", "does not open"]);
    std::fs::write(&key_file, &original).unwrap();
    assert!(!std::path::Path::new(&format!("{key_file}.new")).exists());
    let unchanged = app.with_conn(|conn| users::find(conn, user.id).unwrap().unwrap());
    assert_eq!(
        unchanged.totp_secret.as_deref(),
        Some(sealed_before.as_str())
    );

    let said = succeeded(&rotate());
    assert!(
        said.contains("Re-sealed 1 values of users.totp_secret"),
        "{said}"
    );
    assert_ne!(std::fs::read_to_string(&key_file).unwrap(), original);
    let resealed = app.with_conn(|conn| users::find(conn, user.id).unwrap().unwrap());
    assert_ne!(
        resealed.totp_secret.as_deref(),
        Some(sealed_before.as_str())
    );

    // A server with the new key file takes the authenticator's next code.
    let restarted = app.another_instance(|c| c.reveal_key = None);
    let client = browser();
    let response = restarted.login_as(&client, email, PASSWORD).await;
    assert_eq!(response.headers()["location"], "/login/two-factor");
    restarted.advance(Duration::seconds(30));
    let (_, page) = restarted.get_html(&client, "/login/two-factor").await;
    let code = totp_code(&secret, restarted.now());
    let fields = [("csrf_token", extract_csrf(&page).unwrap()), ("code", code)];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signed_in = restarted
        .post_raw(&client, "/login/two-factor", &fields)
        .await;
    assert_eq!(signed_in.status(), 303, "the TOTP sign-in after rotation");
    assert_eq!(restarted.status_of(&client, "/account").await, 200);
    stopped(&restarted, &path).await;

    // Only TOTP secrets are sealed now (no token was issued): a lost key file is still refused.
    std::fs::remove_file(&key_file).unwrap();
    let lost = pulse::startup::Application::build(
        crate::helpers::test_config(path.clone()),
        pulse::clock::Clock::system(),
    );
    let error = format!("{:#}", lost.err().unwrap());
    assert!(
        error.contains(&key_file) && error.contains("1 in users.totp_secret"),
        "{error}"
    );
    assert!(!std::path::Path::new(&key_file).exists(), "not replaced");
}

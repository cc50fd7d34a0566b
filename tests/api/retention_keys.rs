//! Retention (audit events older than the period are deleted; sessions at their expiry) and key
//! rotation: the cookie key (everyone signs in again) and the reveal key (everything sealed is
//! re-sealed; a lost key file with sealed data stops the start).
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::{api_tokens, audit_events, sessions};
use pulse::domain::housekeeping::{self, Retention};
use pulse::domain::reveal::RevealKey;
use pulse::repo::audit::{self, NewAuditEvent};

use crate::helpers::{spawn_app, spawn_app_with};

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

#[tokio::test]
async fn rotating_the_reveal_key_reseals_and_a_lost_key_file_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pulse.db").display().to_string();
    let key_file = format!("{path}.reveal-key");
    // A key file beside the SQLite file, whichever backend the suite runs on.
    let app = spawn_app_with(|c| {
        c.database_url = path.clone();
        c.reveal_key = None;
    })
    .await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let old = RevealKey::from_base64(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let config = crate::helpers::test_config(path.clone());
    let refused = app.with_conn(|conn| pulse::keys::rotate_reveal(&config, conn, None).err());
    assert!(refused.unwrap().to_string().contains("stop pulse serve"));
    app.server.clone().unwrap().stop(true).await;
    // The server's task lets go of the lock once it has stopped.
    for _ in 0..100 {
        if pulse::db::sqlite_file::InstanceLock::holder(&path).is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let rotation = app.with_conn(|conn| pulse::keys::rotate_reveal(&config, conn, None).unwrap());
    assert_eq!(rotation.resealed, [("api_tokens.reveal_ciphertext", 1)]);
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

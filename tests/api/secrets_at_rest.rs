//! Nothing secret lingers in the SQLite files (review finding 5): a cleared reveal ciphertext
//! leaves no copy in the database or its write-ahead log, the files are the owner's alone, and a
//! copy of them yields no second factor. These run on SQLite whichever backend the suite uses.
use std::os::unix::fs::PermissionsExt;

use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::{api_tokens, users};

use crate::helpers::{TestApp, spawn_app_with};
use crate::second_factor::{totp_code, totp_secret_of};
use crate::two_factor::{give, password_given};

/// A server on a SQLite file in `dir`, with `tune` applied.
async fn on_sqlite(
    dir: &tempfile::TempDir,
    tune: impl FnOnce(&mut pulse::config::Config),
) -> TestApp {
    let path = dir.path().join("pulse.db").display().to_string();
    spawn_app_with(|c| {
        c.database_url = path;
        c.reveal_key = None;
        tune(c);
    })
    .await
}

/// The bytes of the database file and of its `-wal` and `-shm` companions.
fn raw_files(dir: &tempfile::TempDir) -> Vec<(String, Vec<u8>)> {
    ["pulse.db", "pulse.db-wal", "pulse.db-shm"]
        .into_iter()
        .filter_map(|name| Some((name.to_owned(), std::fs::read(dir.path().join(name)).ok()?)))
        .collect()
}

#[track_caller]
fn assert_nowhere(dir: &tempfile::TempDir, needle: &str) {
    for (name, bytes) in raw_files(dir) {
        let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(!found, "{needle} is still in {name}");
    }
}

#[tokio::test]
async fn a_cleared_reveal_ciphertext_is_in_neither_the_database_nor_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let app = on_sqlite(&dir, |c| {
        c.housekeeping_every = std::time::Duration::from_millis(50)
    })
    .await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    let ciphertext = || -> Option<String> {
        app.with_conn(|conn| {
            api_tokens::table
                .select(api_tokens::reveal_ciphertext)
                .first(conn)
                .unwrap()
        })
    };
    let sealed = ciphertext().expect("sealed during the window");
    app.advance(Duration::seconds(301));
    let cleared = async {
        while ciphertext().is_some() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), cleared)
        .await
        .expect("housekeeping clears the ciphertext");
    // Housekeeping checkpoints right after clearing; give it the moment it takes.
    let gone = async {
        while raw_files(&dir)
            .iter()
            .any(|(_, b)| b.windows(sealed.len()).any(|w| w == sealed.as_bytes()))
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), gone).await;
    assert_nowhere(&dir, &sealed);
}

#[tokio::test]
async fn the_database_files_are_readable_by_their_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    // A file an earlier version created with the usual 0644 is narrowed too.
    std::fs::write(dir.path().join("pulse.db"), b"").unwrap();
    std::fs::set_permissions(
        dir.path().join("pulse.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let app = on_sqlite(&dir, |_| {}).await;
    app.owner_of("acme").await;
    let files = raw_files(&dir);
    assert_eq!(files.len(), 3, "database, log and index");
    for (name, _) in files {
        let mode = std::fs::metadata(dir.path().join(&name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
}

#[tokio::test]
async fn a_copy_of_the_database_yields_no_second_factor() {
    let dir = tempfile::tempdir().unwrap();
    let app = on_sqlite(&dir, |_| {}).await;
    app.create_user("staff@pulse.example", true);
    app.signed_in("staff@pulse.example").await;
    let user = app.with_conn(|conn| {
        pulse::repo::users::find_by_email(conn, "staff@pulse.example")
            .unwrap()
            .unwrap()
    });
    let secret = totp_secret_of(&app, &user).unwrap();
    let stored = user.totp_secret.clone().unwrap();
    assert!(
        stored.starts_with("sealed-v1:") && !stored.contains(&secret),
        "{stored}"
    );
    app.with_conn(|conn| pulse::db::checkpoint(conn).unwrap());
    // Not in the files either, not even from the session that showed it during enrolment.
    assert_nowhere(&dir, &secret);
}

#[tokio::test]
async fn secrets_stored_in_plain_text_by_an_earlier_version_are_sealed_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let app = on_sqlite(&dir, |_| {}).await;
    app.create_user("staff@pulse.example", true);
    app.signed_in("staff@pulse.example").await;
    let plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    app.with_conn(|conn| {
        diesel::update(users::table.filter(users::email.eq("staff@pulse.example")))
            .set((users::totp_secret.eq(plain), users::totp_last_step.eq(0)))
            .execute(conn)
            .unwrap()
    });
    // The next start (another instance on the file, as after an upgrade) seals it.
    let upgraded = app.another_instance(|c| c.reveal_key = None);
    let user = upgraded.with_conn(|conn| {
        pulse::repo::users::find_by_email(conn, "staff@pulse.example")
            .unwrap()
            .unwrap()
    });
    assert!(
        user.totp_secret
            .as_deref()
            .unwrap()
            .starts_with("sealed-v1:")
    );
    assert_eq!(totp_secret_of(&upgraded, &user).as_deref(), Some(plain));
    // And the authenticator set up with it still signs in.
    upgraded.advance(Duration::seconds(30));
    let client = password_given(&upgraded, "staff@pulse.example").await;
    let code = totp_code(plain, upgraded.now());
    assert_eq!(give(&upgraded, &client, &code).await.status(), 303);
    assert_eq!(upgraded.status_of(&client, "/staff/orgs").await, 200);
}

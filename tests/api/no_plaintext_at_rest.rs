//! The plaintext token is never written down: after a whole generate/reveal/use/regenerate run
//! against a real `pulse serve` process with verbose logs, neither the SQLite files (database and
//! write-ahead log) nor the captured log contain it.
use std::process::Stdio;

use pulse::domain::role::Role;

use crate::helpers::shown_token;
use crate::server_process::ServerProcess;

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn plaintext_tokens_reach_neither_the_database_files_nor_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("pulse.db");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let url = db_path.to_str().unwrap();
    let mut server = ServerProcess::start(url, &[("RUST_LOG", "debug")], Stdio::from(log)).await;
    let app = &server.app;
    app.create_org("acme", true);
    app.member("owner@acme.example", "acme", Role::Owner);
    let owner = app.signed_in("owner@acme.example").await;

    let first = app.generate_token(&owner, "acme").await;
    let (_, revealed) = app.reveal(&owner, "acme", &[]).await;
    assert_eq!(shown_token(&revealed).as_deref(), Some(first.as_str()));
    assert_eq!(app.whoami_status(&first).await, 200);
    let response = app.regenerate_token(&owner, "acme", "1h").await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, after) = app.get_html(&owner, "/orgs/acme/settings/api").await;
    let second = shown_token(&after).unwrap();
    assert_eq!(app.whoami_status(&second).await, 200);
    assert_eq!(app.whoami_status(&first).await, 200, "grace period");

    // Stop abruptly, so whatever is in the write-ahead log stays there to be inspected.
    server.kill().await;
    let mut files = vec![("database", std::fs::read(&db_path).unwrap())];
    let wal = dir.path().join("pulse.db-wal");
    if wal.exists() {
        files.push(("write-ahead log", std::fs::read(&wal).unwrap()));
    }
    let log = std::fs::read(&log_path).unwrap();
    assert!(
        contains(&log, "API token generated"),
        "the log was captured"
    );
    files.push(("log", log));
    for token in [&first, &second] {
        // The random part alone would be just as bad as the whole token.
        let secret_part = &token[6..49];
        for (name, bytes) in &files {
            assert!(!contains(bytes, secret_part), "the {name} contains a token");
        }
    }
    // The digest is what is stored instead.
    let digest = pulse::domain::secret::sha256_hex(second.as_bytes());
    assert!(files.iter().any(|(_, bytes)| contains(bytes, &digest)));
}

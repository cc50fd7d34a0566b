//! The plaintext token is never written down: after a whole generate/reveal/use/regenerate run
//! against a real `pulse serve` process with verbose logs, neither the SQLite files (database and
//! write-ahead log) nor the captured log contain it.
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pulse::db::Database;
use pulse::domain::role::Role;

use crate::helpers::TestApp;
use crate::token_screen::{generate, page, regenerate, shown_token, whoami_status};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
    let bind = format!("127.0.0.1:{}", free_port());
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_pulse"))
            .arg("serve")
            .env("DATABASE_URL", &db_path)
            .env("PULSE_BIND", &bind)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::from(std::fs::File::create(&log_path).unwrap()))
            .stderr(Stdio::from(
                std::fs::File::options()
                    .append(true)
                    .open(&log_path)
                    .unwrap(),
            ))
            .spawn()
            .expect("start pulse serve"),
    );
    let address = format!("http://{bind}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(server.0.try_wait().unwrap().is_none(), "server exited");
        if reqwest::get(format!("{address}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(Instant::now() < deadline, "server never became healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let db = Database::connect(db_path.to_str().unwrap()).unwrap();
    let app = TestApp::for_running_server(address, db);
    app.create_org("acme", true);
    app.member("owner@acme.example", "acme", Role::Owner);
    let owner = app.signed_in("owner@acme.example").await;

    let first = generate(&app, &owner).await;
    let (_, reload) = page(&app, &owner, "/orgs/acme/settings/api").await;
    assert_eq!(shown_token(&reload).as_deref(), Some(first.as_str()));
    assert_eq!(whoami_status(&app, &first).await, 200);
    let response = regenerate(&app, &owner, "1h").await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, after) = page(&app, &owner, "/orgs/acme/settings/api").await;
    let second = shown_token(&after).unwrap();
    assert_eq!(whoami_status(&app, &second).await, 200);
    assert_eq!(whoami_status(&app, &first).await, 200, "grace period");

    // Stop abruptly, so whatever is in the write-ahead log stays there to be inspected.
    drop(server);
    drop(app);
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

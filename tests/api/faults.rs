//! Faults: the database stops taking writes (SQLite on a read-only or full file system) or drops
//! every connection (PostgreSQL restarting). Requests get a clean 503 (an HTML page or
//! problem+json, with `Retry-After`), never a 500; nothing is half-written; and the server
//! recovers by itself once the database is back. Graceful shutdown answers requests in flight.
use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pulse::db::schema::{api_tokens, memberships, sessions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::databases::{TestDatabase, postgres_required, say};
use pulse::domain::accounts;
use pulse::domain::role::Role;

use crate::helpers::{PASSWORD, TestApp, browser, spawn_app, spawn_app_with};

/// A small tmpfs mounted for the test and unmounted after it (needs root, as CI has).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(test: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !mounted {
            say(&format!(
                "SKIPPED {test}: cannot mount a tmpfs (needs root)"
            ));
            return None;
        }
        Some(Self { dir })
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Fills the file system up to the last byte.
    fn fill(&self) {
        let status = Command::new("dd")
            .args(["if=/dev/zero", "bs=64k"])
            .arg(format!("of={}", self.path("filler")))
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "dd stops at a full disk");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: the test's server may still hold the database open as the test ends.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// The rows a failed write must not leave behind: tokens, memberships and sessions.
fn written(app: &TestApp) -> [i64; 3] {
    app.with_conn(|conn| {
        [
            api_tokens::table.count().get_result(conn).unwrap(),
            memberships::table.count().get_result(conn).unwrap(),
            sessions::table.count().get_result(conn).unwrap(),
        ]
    })
}

async fn assert_unavailable_page(response: reqwest::Response, what: &str) {
    assert_eq!(response.status().as_u16(), 503, "{what}");
    assert_eq!(response.headers()["retry-after"], "5", "{what}");
    assert!(response.headers().contains_key("content-security-policy"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Temporarily unavailable"), "{what}: {html}");
}

/// What the database outage does to the requests of a signed-in owner (a page and a token
/// generation), a visitor signing in, a reporting tool and a membership being added, all at
/// once; then, once it is over, that nothing was half-written and the same requests work.
async fn writes_fail_cleanly_and_recover(app: &TestApp, break_it: impl Fn(), mend_it: impl Fn()) {
    let owner = app.owner_of("acme").await;
    let ann = app.create_user("ann@example.com", false);
    app.create_org("reports", true);
    let token = app.issue_token("reports");
    let before = written(app);
    let screen = "/orgs/acme/settings/api";
    let generate_form = app.csrf_token(&owner, screen).await;

    break_it();
    let generate_path = format!("{screen}/generate");
    let generate_fields = [("csrf_token", generate_form.as_str())];
    let visitor = browser();
    let (generate, sign_in, api, joining) = tokio::join!(
        app.post_raw(&owner, &generate_path, &generate_fields),
        app.login_as(&visitor, "ann@example.com", PASSWORD),
        app.api_get(&token, "/api/v1/whoami"),
        app.db.run(move |conn| {
            let at = chrono::Utc::now().naive_utc();
            accounts::add_to_organisation(conn, ann.id, "acme", Role::Admin, at)
        }),
    );
    assert_unavailable_page(generate, "generate").await;
    assert_unavailable_page(sign_in, "sign-in").await;
    let problem = crate::helpers::assert_problem(api, 503).await;
    assert!(problem["detail"].as_str().unwrap().contains("unavailable"));
    assert_eq!(joining.unwrap_err().status().as_u16(), 503, "membership");
    let page = owner.get(app.url("/orgs/acme")).send().await.unwrap();
    assert!(
        [200, 503].contains(&page.status().as_u16()),
        "a page that only reads works, or is refused cleanly"
    );
    // The balancer learns it too: not ready while writes fail (reads may still work), alive.
    let ready = browser().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 503, "readiness while writes fail");
    let live = browser().get(app.url("/livez")).send().await.unwrap();
    assert_eq!(live.status().as_u16(), 200);

    mend_it();
    let ready = browser().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(
        ready.status().as_u16(),
        200,
        "ready again once the database is back"
    );
    assert_eq!(written(app), before, "nothing half-written");
    let generated = app.generate_token(&owner, "acme").await;
    assert_eq!(app.whoami_status(&generated).await, 200);
    assert_eq!(app.whoami_status(&token).await, 200);
    let sign_in = app.login_as(&browser(), "ann@example.com", PASSWORD).await;
    assert_eq!(sign_in.status().as_u16(), 303);
}

#[tokio::test]
async fn sqlite_on_a_full_disk_answers_503_and_recovers_when_space_returns() {
    let Some(disk) = Tmpfs::mount("sqlite disk full") else {
        return;
    };
    let path = disk.path("pulse.db");
    let app = spawn_app_with(|c| c.database_url = path.clone()).await;
    let checkpoint = || {
        // Empty the WAL so the next write must grow a file on the full disk.
        app.with_conn(|conn| {
            conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
                .unwrap()
        })
    };
    let break_it = || {
        checkpoint();
        disk.fill();
    };
    let mend_it = || std::fs::remove_file(disk.path("filler")).unwrap();
    writes_fail_cleanly_and_recover(&app, break_it, mend_it).await;
}

/// Sets or clears the immutable attribute of a SQLite database's files: not even root can write
/// an immutable file, as on a file system gone read-only (which cannot be remounted so while
/// the server holds the files open for writing). Needs root and a file system with attributes.
fn set_read_only(database: &str, on: bool) -> bool {
    let flag = if on { "+i" } else { "-i" };
    Command::new("chattr")
        .arg(flag)
        .args(["", "-wal", "-shm"].map(|suffix| format!("{database}{suffix}")))
        .output()
        .is_ok_and(|o| o.status.success())
}

struct Writable<'a>(&'a str);

impl Drop for Writable<'_> {
    fn drop(&mut self) {
        set_read_only(self.0, false);
    }
}

#[tokio::test]
async fn sqlite_files_turned_read_only_answer_503_and_recover() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pulse.db").display().to_string();
    let app = spawn_app_with(|c| c.database_url = path.clone()).await;
    if !set_read_only(&path, false) {
        say("SKIPPED sqlite read-only: chattr needs root and an ext4-like file system");
        return;
    }
    // Writable again however the test ends, or the temporary directory could not be removed.
    let _writable_at_the_end = Writable(&path);
    let break_it = || {
        app.with_conn(|conn| {
            conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
                .unwrap()
        });
        assert!(set_read_only(&path, true));
    };
    let mend_it = || assert!(set_read_only(&path, false));
    writes_fail_cleanly_and_recover(&app, break_it, mend_it).await;
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn postgres_going_away_mid_load_gives_503s_then_recovers() {
    postgres_required();
    let app = spawn_app().await;
    let Some(TestDatabase::Postgres(database)) = app.database() else {
        unreachable!("PULSE_TEST_POSTGRES selects PostgreSQL");
    };
    // As in a restart: every connection is cut, and new ones are refused until it is back.
    let break_it = || database.set_available(false);
    let mend_it = || database.set_available(true);
    writes_fail_cleanly_and_recover(&app, break_it, mend_it).await;
}

#[tokio::test]
async fn graceful_shutdown_answers_the_request_in_flight() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    // Two pipelined requests in one write: once the first is answered, the server has read the
    // second's head too, and waits for the rest of its body while it is told to stop.
    let body = "email=a%40b.example&password=x";
    let requests = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\
         POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..5]
    );
    stream.write_all(requests.as_bytes()).await.unwrap();
    let mut first = vec![0u8; 4096];
    let n = stream.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    // A process this test binary spawns (other tests run `pulse` beside this one) holds a copy
    // of every open socket from its fork to its exec, the listener too: the kernel may still
    // accept a connection then, though nothing serves it. Such a copy, held on purpose:
    let spawned_copy = copy_of_listener(&address).expect("the server's listener");
    let stopping = tokio::spawn(app.server.clone().unwrap().stop(true));
    stream.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "answered (the form has no CSRF token): {answer:?}"
    );
    stopping.await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(&address).await.is_ok(),
        "the copy still takes connections into its backlog (what made this test fail now and then)"
    );
    no_longer_served(&address, spawned_copy).await;
}

/// A copy of the listening socket on `address` (a duplicate of its descriptor), as a process
/// forked from this one holds until it execs.
fn copy_of_listener(address: &str) -> Option<std::net::TcpStream> {
    let address: std::net::SocketAddr = address.parse().unwrap();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .find_map(|entry| {
            let fd: std::os::fd::RawFd = entry.ok()?.file_name().to_str()?.parse().ok()?;
            // SAFETY: the descriptor is only duplicated (and the duplicate owned); if it was closed
            // meanwhile, duplicating fails.
            let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
            let socket = std::net::TcpStream::from(borrowed.try_clone_to_owned().ok()?);
            let listening =
                socket.local_addr().ok() == Some(address) && socket.peer_addr().is_err();
            listening.then_some(socket)
        })
}

/// The server on `address` serves no new connection, and its listener is gone: connections are
/// refused once the last copy of it (`copy`, and any a process being spawned holds) is closed.
async fn no_longer_served(address: &str, copy: std::net::TcpStream) {
    let refused = || async { tokio::net::TcpStream::connect(address).await.is_err() };
    let unanswered = || async {
        let Ok(mut stream) = tokio::net::TcpStream::connect(address).await else {
            return;
        };
        let _ = stream
            .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        let mut answer = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_millis(300),
            stream.read_to_end(&mut answer),
        )
        .await;
        assert!(
            read.is_err() || answer.is_empty(),
            "a stopped server answered a new connection: {:?}",
            String::from_utf8_lossy(&answer)
        );
    };
    unanswered().await;
    drop(copy);
    for _ in 0..500 {
        if refused().await {
            return;
        }
        unanswered().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{address} still accepts connections after the server stopped");
}

//! Health: `/livez` (the process answers), `/readyz` (the database takes writes, migrations are
//! done, not draining), `/healthz` (the older check: the database answers), GET and HEAD; and
//! stopping: on SIGTERM readiness fails first while requests are still served (and the mail
//! sender claims nothing more), then the requests in flight finish and it exits.
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::databases::TestDatabase;
use crate::helpers::{browser, spawn_app, spawn_app_with};
use crate::server_process::ServerProcess;

#[tokio::test]
async fn liveness_and_readiness_answer_get_and_head() {
    let app = spawn_app().await;
    for path in ["/livez", "/readyz", "/healthz"] {
        let get = browser().get(app.url(path)).send().await.unwrap();
        assert_eq!(get.status(), 200, "{path}");
        let head = browser().head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(head.text().await.unwrap(), "", "HEAD {path} has no body");
    }
    let ready: serde_json::Value = browser()
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
}

#[tokio::test]
async fn a_database_missing_migrations_is_not_ready() {
    let app = spawn_app().await;
    app.with_conn(|conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = '20261202220001'",
        )
        .unwrap();
    });
    let response = browser().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["reason"], "migrations pending");
    let live = browser().get(app.url("/livez")).send().await.unwrap();
    assert_eq!(live.status(), 200, "still alive");
}

/// Polls `/readyz` at `base` until it fails (the instance was told to stop), at most 10 s: a
/// loaded machine may take a while to deliver a signal. Returns that answer.
async fn once_not_ready(base: &str) -> reqwest::Response {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ready = browser()
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap();
        if ready.status() == 503 {
            return ready;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz still {} after 10 s",
            ready.status()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (at most 10 s) until nothing listens at `address` any more.
async fn once_closed(address: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(address).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{address} still listening after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn draining_fails_readiness_first_and_closes_connections_after_each_answer() {
    // Long enough for the requests below on a loaded machine; the test waits for all of it.
    let mail = tempfile::tempdir().unwrap();
    let app = spawn_app_with(|c| {
        c.drain = Duration::from_secs(5);
        c.mail_dir = Some(mail.path().display().to_string());
    })
    .await;
    // A message waiting to be sent (a new token's notice to the owner).
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    let stopping = tokio::spawn({
        let shutdown = app.shutdown.clone().unwrap();
        async move { shutdown.drain_and_stop().await }
    });
    let ready = once_not_ready(&app.address).await;
    assert_eq!(ready.headers()["connection"], "close");
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["reason"], "draining");
    let page = browser().get(app.url("/login")).send().await.unwrap();
    assert_eq!(
        page.status(),
        200,
        "requests are still served while draining"
    );
    assert_eq!(page.headers()["connection"], "close");
    // Its mail sender claims nothing any more: the instances that stay send it.
    assert_eq!(
        app.deliver_mail().await.claimed,
        0,
        "no claim while draining"
    );
    assert!(app.outbox().iter().any(|(_, _, status)| status == "queued"));
    stopping.await.unwrap();
    let gone = browser().get(app.url("/livez")).send().await;
    assert!(gone.is_err(), "stopped listening after the drain");
}

#[tokio::test]
async fn sigterm_drains_finishes_the_request_in_flight_then_exits() {
    let database = TestDatabase::fresh();
    let env = [("PULSE_DRAIN_SECONDS", "3")];
    let mut server = ServerProcess::start(database.url(), &env, Stdio::null()).await;
    let address = server.app.address.trim_start_matches("http://").to_owned();
    // One connection, answered once (so the server has accepted it), then a second request on
    // it whose body is only half sent when the signal comes.
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = vec![0u8; 4096];
    let n = stream.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    let body = r#"[{"token":"pulse_nothing","type":"pulse_api_token","url":"https://example.com/a","source":"content"}]"#;
    let head = format!(
        "POST /api/v1/token-leaks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..10]
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    server.terminate();
    once_not_ready(&server.app.address).await;
    // The drain over and the listener closed, the request in flight still gets its answer.
    once_closed(&address).await;
    stream.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("false_positive"), "{answer}");
    let status = server.exited(Duration::from_secs(20)).await;
    assert!(status.success(), "exits cleanly: {status:?}");
}
